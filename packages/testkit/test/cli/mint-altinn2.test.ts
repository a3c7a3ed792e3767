import { createConsentGuard, headersFromRecord } from '@consent-guard/core'
import { defaultAltinn2Key, startEmulator, TEST_IDENTITIES, type Emulator } from '@consent-guard/testkit'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mint, runCli } from './helpers.js'

// `consent-guard mint --altinn2`: legacy Altinn 2 consent tokens signed with the checked-in altinn2
// key, which a deterministic emulator publishes on /altinn2/jwk.
const { personA, consumerOrgno, otherOrgno, supplierOrgno } = TEST_IDENTITIES
let emu: Emulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())

describe('mint --altinn2', () => {
  it("prints a token the core guard accepts in two-token mode against the emulator's Altinn 2 key set", async () => {
    const result = await runCli(['mint', '--altinn2', '--metadata', 'inntektsaar=2016', '--subject', personA])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/checked-in TEST key altinn2/)
    const legacy = result.stdout.trim()
    const key = await defaultAltinn2Key()
    expect(decodeProtectedHeader(legacy)).toEqual({ alg: 'RS256', kid: key.kid, x5t: key.kid, typ: 'JWT' })
    const claims = decodeJwt(legacy)
    expect(claims).toMatchObject({
      iss: 'altinn.no',
      Services: ['4629_2', '4629_2_inntektsaar=2016'],
      OfferedBy: personA,
      CoveredBy: consumerOrgno,
    })
    expect((claims.exp as number) - (claims.nbf as number)).toBe(30)

    const guard = createConsentGuard({
      maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri },
      consentHeader: 'AltinnSamtykke',
      altinn2: { jwksUri: emu.altinn2JwksUri },
    })
    const access = await emu.requestToken({ scope: 'example:income' })
    if (!access.ok) throw new Error('no access token')
    const route = guard.compile({
      scope: 'example:income',
      resource: 'example-income',
      altinn2: { serviceCode: '4629', serviceEdition: '2' },
      subject: () => personA,
      metadata: { inntektsaar: { equals: '2016' } },
    })
    const headers = headersFromRecord({ authorization: `Bearer ${access.body.access_token}`, AltinnSamtykke: legacy })
    await expect(guard.check({ headers, request: {} }, route)).resolves.toMatchObject({
      kind: 'altinn2',
      id: claims.AuthorizationCode,
      consumer: consumerOrgno,
    })
  })

  it('writes each generation, the parties, the code, the service and the dates as asked', async () => {
    const now = '2026-01-15T12:00:00Z'
    const base = ['--altinn2', '--now', now, '--consented', '2026-01-10T12:00:00Z', '--valid-to', '2026-07-01T12:00:00Z']
    expect(
      decodeJwt(
        await mint([
          ...base,
          '--generation',
          'comma-strings',
          '--service-code',
          '4630',
          '--service-edition',
          '1',
          '--metadata',
          'fraOgMed=2017-06',
        ]),
      ),
    ).toMatchObject({
      Services: ['4630,1', '4630,1,fraOgMed=2017-06'],
      DelegatedDate: '2026-01-10 13:00:00', // Norwegian local time (UTC+1 in winter)
      ValidToDate: '2026-07-01 14:00:00', // UTC+2 in summer
    })
    expect(decodeJwt(await mint([...base, '--generation', 'service-codes']))).toMatchObject({
      ServiceCodes: '4629,2',
      DelegatedDate: '10.01.2026 13:00:00',
    })
    const current = decodeJwt(
      await mint([
        ...base,
        '--to',
        personA,
        '--subject',
        otherOrgno,
        '--supplier',
        supplierOrgno,
        '--consent-id',
        'c7dbe642-0fc1-4c3b-8959-8a92e3e1f17d',
        '--lifetime',
        '60',
        '--extra',
        '{"actual_iss":"altinn-test-tools"}',
      ]),
    )
    expect(current).toEqual({
      Services: '4629_2',
      AuthorizationCode: 'c7dbe642-0fc1-4c3b-8959-8a92e3e1f17d',
      OfferedBy: otherOrgno,
      CoveredBy: personA,
      HandledBy: supplierOrgno,
      DelegatedDate: Date.parse('2026-01-10T12:00:00Z') / 1000,
      ValidToDate: Date.parse('2026-07-01T12:00:00Z') / 1000,
      iss: 'altinn.no',
      nbf: Date.parse(now) / 1000,
      exp: Date.parse(now) / 1000 + 60,
      actual_iss: 'altinn-test-tools',
    })
  })

  it('refuses flags that have no meaning for an Altinn 2 token, and Altinn 2 flags without --altinn2', async () => {
    for (const args of [
      ['--altinn2', '--scope', 'x'],
      ['--altinn2', '--issuer', 'http://127.0.0.1:9/'],
      ['--altinn2', '--resource', 'example-income'],
      ['--altinn2', '--generation', 'v3'],
      ['--altinn2', '--service-code', '46a'],
      ['--altinn2', '--metadata', 'inntekts_aar=2016'],
      ['--altinn2', '--metadata', 'x=a=b'],
      ['--altinn2', '--to', '123'],
      ['--generation', 'current', '--issuer', 'http://127.0.0.1:9/', '--scope', 'x'],
    ]) {
      const result = await runCli(['mint', ...args])
      expect(result.code, args.join(' ')).toBe(2)
    }
  })
})

describe('jwks --altinn2', () => {
  it('prints the Altinn 2 key set: the altinn2 key with kid = x5t, or another key in that form', async () => {
    const printed = JSON.parse((await runCli(['jwks', '--altinn2'])).stdout)
    expect(printed).toEqual({ keys: [(await defaultAltinn2Key()).publicJwk] })
    expect(printed.keys[0].kid).toBe(printed.keys[0].x5t)
    const other = JSON.parse((await runCli(['jwks', '--altinn2', '--key', 'mp-2'])).stdout)
    expect(other.keys[0].kid).not.toBe('mp-2')
    expect(other.keys[0].x5t).toBe(other.keys[0].kid)
  })
})
