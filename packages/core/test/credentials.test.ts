import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsentGuardError, headersFromNodeRequest, headersFromRecord } from '@consent-guard/core'
import { extractCredentials, parseCompactJws } from '@consent-guard/core/pipeline'
import { createHarness, type Harness } from './support.js'

let h: Harness
let token: string
beforeAll(async () => {
  h = await createHarness()
  token = await h.token()
})
afterAll(() => h.close())

const codeOf = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return err instanceof ConsentGuardError ? err.code : `unexpected: ${String(err)}`
  }
}

describe('HTTP: credential extraction', () => {
  it('HTTP-01 no credentials → 401 without an error attribute', async () => {
    const err = await h.run({}).catch((e: unknown) => e as ConsentGuardError)
    expect(err).toMatchObject({ code: 'credentials_missing', statusCode: 401 })
    expect((err as ConsentGuardError).headers['WWW-Authenticate']).toBe('Bearer realm="consent-guard"')
  })
  it('HTTP-02 scheme is case-insensitive', async () => {
    expect(await h.outcome({ authorization: `bearer ${token}` })).toBe('accepted')
    expect(await h.outcome({ authorization: `BEARER ${token}` })).toBe('accepted')
  })
  it.each([['Basic dXNlcjpwYXNz'], ['DPoP abc'], ['Token abc'], ['Bearer'], ['Bearer '], ['Bearerabc']])(
    'HTTP-03 %j → credentials_missing',
    async (value) => {
      expect(await h.outcome({ authorization: value })).toBe('credentials_missing')
    },
  )
  it('HTTP-04 several spaces are allowed (1*SP); a tab is not', async () => {
    expect(await h.outcome({ authorization: `Bearer  ${token}` })).toBe('accepted')
    expect(await h.outcome({ authorization: `Bearer\t${token}` })).toBe('credentials_missing')
    expect(await h.outcome({ authorization: `Bearer \t${token}` })).toBe('token_malformed')
  })
  it('HTTP-05 two Authorization lines → 400', async () => {
    expect(await h.outcome({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })).toBe('credentials_duplicated')
    const raw = headersFromNodeRequest({ rawHeaders: ['Authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`] })
    expect(codeOf(() => extractCredentials(raw))).toBe('credentials_duplicated')
  })
  it('HTTP-06 comma-joined credentials → 400', async () => {
    expect(await h.outcome({ authorization: `Bearer ${token}, Bearer ${token}` })).toBe('credentials_duplicated')
    expect(await h.outcome({ authorization: `Bearer ${token},bearer ${token}` })).toBe('credentials_duplicated')
  })
  it('HTTP-07 access_token in the URL: alone not accepted, with a header → 400', () => {
    expect(codeOf(() => extractCredentials(headersFromRecord({}), { url: `/x?access_token=${token}` }))).toBe('credentials_missing')
    expect(
      codeOf(() => extractCredentials(headersFromRecord({ authorization: `Bearer ${token}` }), { url: `/x?a=1&access_token=${token}` })),
    ).toBe('credentials_in_url')
    expect(codeOf(() => extractCredentials(headersFromRecord({ authorization: `Bearer ${token}` }), { url: `/x?access%5Ftoken=1` }))).toBe(
      'credentials_in_url',
    )
    expect(
      codeOf(() => extractCredentials(headersFromRecord({ authorization: `Bearer ${token}` }), { url: `/x?not_access_token=1` })),
    ).toBe('ok')
  })
  it('reads header names case-insensitively from rawHeaders and falls back to headers', () => {
    expect(extractCredentials(headersFromNodeRequest({ rawHeaders: ['AUTHORIZATION', `Bearer ${token}`] })).accessToken).toBe(token)
    expect(extractCredentials(headersFromNodeRequest({ rawHeaders: [], headers: { authorization: `Bearer ${token}` } })).accessToken).toBe(
      token,
    )
  })
  it('BND-08 consent header: duplicated or comma-joined → 400, absent → no consent token', () => {
    const opts = { consentHeader: 'altinnsamtykke' }
    expect(
      codeOf(() => extractCredentials(headersFromRecord({ authorization: `Bearer ${token}`, AltinnSamtykke: [token, token] }), opts)),
    ).toBe('consent_token_duplicated')
    expect(
      codeOf(() => extractCredentials(headersFromRecord({ authorization: `Bearer ${token}`, AltinnSamtykke: `${token}, ${token}` }), opts)),
    ).toBe('consent_token_duplicated')
    expect(extractCredentials(headersFromRecord({ authorization: `Bearer ${token}` }), opts).consentToken).toBeUndefined()
    expect(extractCredentials(headersFromRecord({ authorization: `Bearer ${token}`, AltinnSamtykke: token }), opts).consentToken).toBe(
      token,
    )
  })
})

describe('DOS and RPL-04: compact JWS syntax before any decoding', () => {
  const rules = { algorithms: ['RS256'] }
  it('DOS-01 a token over 8 KiB is refused before decoding', () => {
    expect(codeOf(() => parseCompactJws('a'.repeat(8 * 1024 + 1), rules))).toBe('token_too_large')
  })
  it('DOS-02 15 000 dots answer quickly', () => {
    const start = performance.now()
    expect(codeOf(() => parseCompactJws('.'.repeat(15_000), rules))).toBe('token_too_large')
    expect(codeOf(() => parseCompactJws('.'.repeat(8000), rules))).toBe('token_malformed')
    expect(performance.now() - start).toBeLessThan(1000)
  })
  it.each([['+'], ['/'], ['='], ['%'], [' '], ['é']])('DOS-03 %j inside a segment', (ch) => {
    const [a, b, c] = token.split('.') as [string, string, string]
    expect(codeOf(() => parseCompactJws(`${a}.${b.slice(0, 10)}${ch}${b.slice(10)}.${c}`, rules))).toBe('token_malformed')
  })
  it.each([['a'], ['a.b'], ['a.b.c.d'], ['a.b.c.d.e'], [''], ['..']])('DOS-04 segment count %j', (t) => {
    expect(codeOf(() => parseCompactJws(t, rules))).toBe('token_malformed')
  })
  it('DOS-05 ReDoS-shaped header values answer quickly', async () => {
    const start = performance.now()
    expect(await h.outcome({ authorization: `Bearer ${' '.repeat(15_000)}\u0000` })).toBe('token_malformed')
    expect(await h.outcome({ authorization: `Bearer ${'a'.repeat(30)}!` })).toBe('token_malformed')
    expect(performance.now() - start).toBeLessThan(1000)
  })
  it('DOS-06 a 12 KB header bomb is refused by size', () => {
    const header = Buffer.from('['.repeat(6000) + ']'.repeat(6000)).toString('base64url')
    expect(codeOf(() => parseCompactJws(`${header}.e30.sig`, rules))).toBe('token_too_large')
  })
  it('RPL-04 non-canonical spellings of a valid token are refused', async () => {
    const sig = token.slice(token.lastIndexOf('.') + 1)
    const last = sig.at(-1) as string
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    // A 256-byte signature leaves 4 spare bits in its last character: 15 other characters decode alike.
    const twins = [...alphabet].filter(
      (c) => c !== last && Buffer.from(sig.slice(0, -1) + c, 'base64url').equals(Buffer.from(sig, 'base64url')),
    )
    expect(twins.length).toBe(15)
    for (const c of twins) expect(await h.outcome({ authorization: `Bearer ${token.slice(0, -1)}${c}` })).toBe('token_malformed')
    expect(await h.outcome({ authorization: `Bearer ${token}==` })).toBe('token_malformed')
    expect(await h.outcome({ authorization: `Bearer ${token}\n` })).toBe('token_malformed')
    expect(await h.outcome({ authorization: `Bearer ${token}` })).toBe('accepted')
  })
})
