import { createLocalJWKSet, jwtVerify } from 'jose'
import { createTestIssuer } from '@consent-guard/testkit'
import { createConsentGuard, headersFromRecord } from '@consent-guard/core'
import { measure, table, type Measurement } from './measure.js'

/**
 * Core cost per request, side by side in one process: the bare jose verification the guard is
 * built on, then the whole guard pipeline in single-token and two-token mode.
 */
export async function benchCore(): Promise<string> {
  const issuer = await createTestIssuer()
  try {
    const consent = { from: { person: '25922947409' }, resource: 'example-income', metadata: { inntektsaar: '2024' } }
    const single = await issuer.consentToken({ scope: 'example:income', consent, lifetimeSeconds: 3600 })
    const access = await issuer.accessToken({ scope: 'example:income', lifetimeSeconds: 3600 })
    const jwks = createLocalJWKSet({ keys: issuer.keys.map((k) => k.publicJwk) })
    const requirement = {
      scope: 'example:income',
      resource: 'example-income',
      subject: (r: { id: string; year: string }) => r.id,
      metadata: { inntektsaar: { equals: (r: { id: string; year: string }) => r.year } },
    }
    const request = { id: '25922947409', year: '2024' }
    const guard1 = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } })
    const guard2 = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, consentHeader: 'AltinnSamtykke' })
    const route1 = guard1.compile(requirement)
    const route2 = guard2.compile(requirement)
    const h1 = headersFromRecord({ authorization: `Bearer ${single}` })
    const h2 = headersFromRecord({ authorization: `Bearer ${access}`, AltinnSamtykke: single })
    const rows: Measurement[] = []
    rows.push(await measure('jose jwtVerify (1 token, local JWKS)', () => jwtVerify(single, jwks, { issuer: issuer.issuer, algorithms: ['RS256'] })))
    rows.push(await measure('guard.check single-token (1 verify)', () => guard1.check({ headers: h1, request }, route1)))
    rows.push(await measure('guard.check two-token (2 verifies)', () => guard2.check({ headers: h2, request }, route2)))
    const rejected = headersFromRecord({ authorization: `Bearer ${single.slice(0, -3)}AAA` })
    rows.push(await measure('guard.check rejecting a bad signature', () => guard1.check({ headers: rejected, request }, route1).catch(() => undefined)))
    rows.push(await measure('guard.check rejecting a malformed token (no crypto)', () => guard1.check({ headers: headersFromRecord({ authorization: 'Bearer a.b' }), request }, route1).catch(() => undefined)))
    return table(rows, 'jose jwtVerify (1 token, local JWKS)')
  } finally {
    await issuer.close()
  }
}
