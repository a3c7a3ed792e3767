import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsentGuardConfigError, createConsentGuard, UNRESTRICTED_AUDIENCE } from '@consent-guard/core'
import { createHarness, type Harness } from './support.js'

// Maskinporten sets `aud` to "unspecified" when the client asked for no audience, and says it may
// omit `aud` instead (Digdir, "Audience-restricted tokens"); real consent tokens carry none. Both mean
// "not audience-restricted", and get the same answer. With `audience` configured the token must be
// restricted to it (exact match), unless the API opts out with `requireAudience: false`.
const OURS = 'https://our.api/'
let open: Harness
let restricted: Harness
let strict: Harness
let lax: Harness

beforeAll(async () => {
  open = await createHarness()
  restricted = await createHarness({ audience: OURS }, open.issuer)
  strict = await createHarness({ audience: OURS, requireAudience: true }, open.issuer)
  lax = await createHarness({ audience: OURS, requireAudience: false }, open.issuer)
})
afterAll(() => open.close())

const send = async (h: Harness, aud: unknown) => h.outcome(h.bearer(await h.token(aud === undefined ? {} : { extra: { aud } })))

describe('aud without an audience configured: not audience-restricted', () => {
  it.each([[undefined], [UNRESTRICTED_AUDIENCE], [OURS], ['https://other.api/']])('aud %j is accepted', async (aud) => {
    expect(await send(open, aud)).toBe('accepted')
  })
})

describe('aud with an audience configured: an exact match', () => {
  it('accepts the configured audience, as a string or inside an array', async () => {
    expect(await send(restricted, OURS)).toBe('accepted')
    expect(await send(restricted, ['https://other.api/', OURS])).toBe('accepted')
    expect(await send(strict, OURS)).toBe('accepted')
    expect(await send(lax, OURS)).toBe('accepted')
  })
  it.each([[UNRESTRICTED_AUDIENCE], [[UNRESTRICTED_AUDIENCE]], ['UNSPECIFIED'], ['https://our.api'], ['https://OUR.api/'], [`${OURS} `]])(
    'refuses aud %j (401 token_audience_invalid)',
    async (aud) => {
      expect(await send(restricted, aud)).toBe('token_audience_invalid')
      expect(await send(strict, aud)).toBe('token_audience_invalid')
    },
  )
  it('an absent aud is refused like "unspecified": audience implies requireAudience', async () => {
    expect(await send(restricted, undefined)).toBe('token_audience_invalid')
    expect(await send(strict, undefined)).toBe('token_audience_invalid')
  })
  it('requireAudience: false accepts both unrestricted forms, and still refuses a foreign audience', async () => {
    expect(await send(lax, undefined)).toBe('accepted')
    expect(await send(lax, UNRESTRICTED_AUDIENCE)).toBe('accepted')
    for (const aud of [[UNRESTRICTED_AUDIENCE], 'UNSPECIFIED', 'https://our.api', 'https://other.api/'])
      expect(await send(lax, aud)).toBe('token_audience_invalid')
  })
  it('the refusal is a 401 invalid_token challenge', async () => {
    const err = await restricted
      .run(restricted.bearer(await restricted.token({ extra: { aud: UNRESTRICTED_AUDIENCE } })))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 401, code: 'token_audience_invalid' })
    expect((err as { headers: Record<string, string> }).headers['WWW-Authenticate']).toContain('error="invalid_token"')
  })
})

describe('audience option', () => {
  it.each([[UNRESTRICTED_AUDIENCE], [[OURS, UNRESTRICTED_AUDIENCE]]])('refuses %j at start-up', (audience) => {
    expect(() => createConsentGuard({ maskinporten: 'test', audience })).toThrow(ConsentGuardConfigError)
    expect(() => createConsentGuard({ maskinporten: 'test', audience })).toThrow(/unspecified/)
  })
})
