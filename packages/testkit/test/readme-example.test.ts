// The vitest example of packages/testkit/README.md and docs/testkit.md, run as a test. A test at the
// bottom keeps the README's copy identical to the region (test/docs/snippets.test.ts checks it too).
import { readFile } from 'node:fs/promises'
import { describe } from 'vitest'

// #region readme-example
import Fastify from 'fastify'
import consentGuard from '@consent-guard/fastify'
import type { MaskinportenEnvironment } from '@consent-guard/core'
import { startEmulator, TEST_IDENTITIES, type Emulator } from '@consent-guard/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

// Your app, guarded exactly as in production; only the Maskinporten issuer differs.
async function buildApp(maskinporten: MaskinportenEnvironment) {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: (req) => req.params.personId,
          metadata: { inntektsaar: { equals: (req) => req.params.year } },
        },
      },
    },
    async (req) => ({ year: req.params.year, income: 512_000 }),
  )
  return app
}

const { personA, personB, consumerOrgno } = TEST_IDENTITIES
let emu: Emulator
let app: Awaited<ReturnType<typeof buildApp>>

beforeAll(async () => {
  emu = await startEmulator() // Maskinporten + Altinn on 127.0.0.1, a free port, fixed test keys
  app = await buildApp({ issuer: emu.issuer, jwksUri: emu.jwksUri })
})
afterAll(async () => {
  await app.close()
  await emu.close()
})

/** The person accepts a consent for `year`; the bank fetches a token with it (a real JWT grant). */
async function bankToken(year: string): Promise<string> {
  const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: year } })
  const result = await emu.requestToken({ scope: 'example:income', consent })
  if (!result.ok) throw new Error(`no token: ${result.body.error}`)
  return result.body.access_token
}

const get = (url: string, token: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } })

it('serves the consented year', async () => {
  const res = await get(`/income/2024/${personA}`, await bankToken('2024'))
  expect(res.statusCode).toBe(200)
})

it('refuses another year and another person', async () => {
  const token = await bankToken('2024')
  expect((await get(`/income/2023/${personA}`, token)).json()).toMatchObject({ code: 'consent_metadata_mismatch' })
  expect((await get(`/income/2024/${personB}`, token)).statusCode).toBe(403)
})

it('gets no token at all once the consent is revoked', async () => {
  const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
  emu.consents.revoke(consent.id)
  const result = await emu.requestToken({ scope: 'example:income', consent })
  expect(result.body).toMatchObject({ error: 'invalid_authorization_details', consent_error: 'consent_revoked' })
})
// #endregion readme-example

describe('README example', () => {
  it('is copied verbatim into packages/testkit/README.md and docs/testkit.md', async () => {
    const source = await readFile(new URL(import.meta.url), 'utf8')
    const start = '// #region readme-example\n'
    const snippet = source.slice(source.indexOf(start) + start.length, source.indexOf('// #endregion readme-example'))
    for (const doc of ['../README.md', '../../../docs/testkit.md']) {
      const text = await readFile(new URL(doc, import.meta.url), 'utf8')
      expect(text, doc).toContain(
        `<!-- snippet: packages/testkit/test/readme-example.test.ts#readme-example -->\n\`\`\`ts\n${snippet}\`\`\``,
      )
    }
  })
})
