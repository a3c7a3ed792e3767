/**
 * A local stand-in for Maskinporten, for trying the API without real tokens: serves test signing
 * keys on 127.0.0.1 and prints the server's environment plus one token per route, with consents
 * from synthetic people. Test keys only: never point a production server at it.
 *
 *   pnpm dev-issuer            (DEV_ISSUER_PORT, default 4100)
 */
import { createTestIssuer, TEST_IDENTITIES, type ConsentDetailOptions, type TestIssuer } from '@consent-guard/testkit'

export interface DevIssuer {
  readonly issuer: TestIssuer
  /** Environment for the server. */
  readonly env: { MASKINPORTEN_ISSUER: string; MASKINPORTEN_JWKS_URI: string }
  /** One token per route, valid for an hour. */
  readonly tokens: { INCOME_TOKEN: string; PERIOD_TOKEN: string; COMPANY_TOKEN: string; LOAN_TOKEN: string }
}

export async function startDevIssuer(port: number): Promise<DevIssuer> {
  const issuer = await createTestIssuer({ port })
  const token = (scope: string, consent: ConsentDetailOptions) => issuer.consentToken({ scope, consent, lifetimeSeconds: 3600 })
  const person = { person: TEST_IDENTITIES.personA }
  return {
    issuer,
    env: { MASKINPORTEN_ISSUER: issuer.issuer, MASKINPORTEN_JWKS_URI: issuer.jwksUri },
    tokens: {
      INCOME_TOKEN: await token('example:income', { from: person, resource: 'example-income', metadata: { inntektsaar: '2023' } }),
      PERIOD_TOKEN: await token('example:income', {
        from: person,
        resource: 'example-income-period',
        metadata: { fraogmed: '2024-01', tilogmed: '2024-12' },
      }),
      COMPANY_TOKEN: await token('example:accounts', {
        from: { organization: TEST_IDENTITIES.otherOrgno },
        resource: 'example-company-accounts',
      }),
      LOAN_TOKEN: await token('example:loan-check', { from: person, resource: 'example-loan-check' }),
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dev = await startDevIssuer(Number(process.env.DEV_ISSUER_PORT ?? 4100))
  const env = Object.entries(dev.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  console.log(`Test issuer on ${dev.issuer.issuer} (Ctrl-C stops it). Start the API with:\n\n  ${env} pnpm start\n`)
  console.log(`Tokens for person ${TEST_IDENTITIES.personA} and organisation ${TEST_IDENTITIES.otherOrgno} (one hour):\n`)
  for (const [name, value] of Object.entries(dev.tokens)) console.log(`export ${name}=${value}`)
  process.once('SIGINT', () => void dev.issuer.close())
}
