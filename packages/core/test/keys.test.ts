import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPairSync, webcrypto } from 'node:crypto'
import {
  consentTokenClaims,
  createJwksServer,
  createTestIssuer,
  generateSigningKey,
  signCompact,
  type TestIssuer,
} from '@consent-guard/testkit'
import { ConsentGuardConfigError, createConsentGuard, type KeySetOptions } from '@consent-guard/core'
import { createHarness, NOW, type Harness } from './support.js'

// JWKS fetching, rotation and outage (docs/security.md JWK-*, DOS-08/10, SIG-09).
const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function setup(keys: Omit<KeySetOptions, 'jwksUri'> = {}): Promise<{ issuer: TestIssuer; h: Harness }> {
  const issuer = await createTestIssuer({ now: NOW })
  open.push(issuer)
  const h = await createHarness({ keys }, issuer)
  return { issuer, h }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('JWK-01/02/03: the key set cannot be had', () => {
  it.each(['down', 'status500', 'html', 'invalid-json', 'not-a-set', 'private-members'] as const)(
    'cold start with %s → 503, then recovers after the cooldown',
    async (behaviour) => {
      const { issuer, h } = await setup({ cooldownMs: 200 })
      const token = await h.token()
      issuer.server.setBehaviour(behaviour)
      const err = await h.run(h.bearer(token)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'jwks_unavailable', statusCode: 503 })
      expect((err as { headers: Record<string, string> }).headers['Retry-After']).toBe('5')
      expect((err as { headers: Record<string, string> }).headers['WWW-Authenticate']).toBeUndefined()
      expect(h.guard.keySet.state()).toMatchObject({ status: 'failing', fetchedAt: undefined })
      issuer.server.setBehaviour('ok')
      // The failure is remembered: within the cooldown no fetch, 503 at once.
      expect(await h.outcome(h.bearer(token))).toBe('jwks_unavailable')
      expect(issuer.server.requests).toBe(1)
      await sleep(250)
      expect(await h.outcome(h.bearer(token))).toBe('accepted')
      expect(h.guard.keySet.state().status).toBe('fresh')
    },
  )
  it('an empty key set is a 401 (fetched fine, no such key)', async () => {
    const { issuer, h } = await setup()
    issuer.server.setBehaviour('empty-keys')
    expect(await h.outcome(h.bearer(await h.token()))).toBe('token_key_unknown')
  })
  it('JWK-02 a slow endpoint fails at the timeout with 503', async () => {
    const { issuer, h } = await setup({ timeoutMs: 200 })
    issuer.server.setBehaviour({ delayMs: 2000 })
    const start = Date.now()
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
    expect(Date.now() - start).toBeLessThan(1500)
  })
  it('JWK-03 a redirect is never followed', async () => {
    const target = await createJwksServer()
    open.push(target)
    const { issuer, h } = await setup()
    issuer.server.setBehaviour({ redirectTo: target.url })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
    expect(target.requests).toBe(0)
  })
  it.each([false, true])('JWK-07 an oversized key set (chunked: %s) is refused with 503', async (chunked) => {
    const { issuer, h } = await setup({ maxResponseBytes: 16 * 1024 })
    issuer.server.setBehaviour({ hugeBytes: 200_000, chunked })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
  })
  it('JWK-07 too many keys is refused with 503', async () => {
    const { issuer, h } = await setup({ maxKeys: 2 })
    const extra = await Promise.all([1, 2].map((i) => generateSigningKey({ kid: `x-${i}` })))
    issuer.server.setKeys([issuer.signer, ...extra])
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
  })
})

describe('JWK-04/05: ambiguous keys and rotation', () => {
  it('JWK-04 two keys with the same kid → 401', async () => {
    const { issuer, h } = await setup()
    issuer.server.setKeys([issuer.signer, await generateSigningKey({ kid: 'mp-1' })])
    expect(await h.outcome(h.bearer(await h.token()))).toBe('token_key_unknown')
  })
  it('JWK-05 a new kid is picked up after the cooldown; a removed key stops verifying', async () => {
    const { issuer, h } = await setup({ cooldownMs: 300 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    const oldToken = await h.token()
    await issuer.rotate({ retirePrevious: true })
    const newToken = await h.token()
    expect(await h.outcome(h.bearer(newToken))).toBe('token_key_unknown')
    await sleep(350)
    expect(await h.outcome(h.bearer(newToken))).toBe('accepted')
    expect(await h.outcome(h.bearer(oldToken))).toBe('token_key_unknown')
  })
  it('SIG-09 a weak (1024-bit) key in the trusted set → 401, never 500', async () => {
    const { issuer, h } = await setup()
    // jose refuses to generate such a key, so make it with node:crypto.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const jwk = privateKey.export({ format: 'jwk' })
    const { n, e } = jwk
    issuer.server.setKeys([issuer.signer, { kty: 'RSA', n, e, kid: 'weak', alg: 'RS256', use: 'sig' }])
    const cryptoKey = await webcrypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
    const claims = consentTokenClaims({ iss: issuer.issuer, now: NOW, ...h.tokenOptions() })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    expect(await h.outcome(h.bearer(signCompact({ alg: 'RS256', kid: 'weak' }, claims, cryptoKey)))).toBe('token_key_unknown')
  })
})

describe('JWK-06: outage after warm-up (stale-if-error)', () => {
  it('keeps verifying known kids within the stale window, refuses unknown kids', async () => {
    const { issuer, h } = await setup({ cacheMaxAgeMs: 100, staleIfErrorMs: 60_000, cooldownMs: 0 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    issuer.server.setBehaviour('down')
    await sleep(150)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    // The refresh runs in the background: its failure is recorded just after the answer.
    await vi.waitFor(() => expect(h.guard.keySet.state()).toMatchObject({ servingStale: true, kids: ['mp-1'] }))
    const stranger = await generateSigningKey({ kid: 'mp-9' })
    expect(await h.outcome(h.bearer(await issuer.consentToken(h.tokenOptions(), { key: stranger })))).toBe('token_key_unknown')
    issuer.server.setBehaviour('ok')
    await sleep(150)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    await vi.waitFor(() => expect(h.guard.keySet.state().servingStale).toBe(false))
  })
  it('strict mode (staleIfErrorMs 0) answers 503 once the cache is old', async () => {
    const { issuer, h } = await setup({ cacheMaxAgeMs: 100, staleIfErrorMs: 0 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    issuer.server.setBehaviour('status500')
    await sleep(150)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
  })
  it('answers 503 once the stale window has passed', async () => {
    const { issuer, h } = await setup({ cacheMaxAgeMs: 50, staleIfErrorMs: 200 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    issuer.server.setBehaviour('down')
    await sleep(100)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    await sleep(200)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
  })
})

describe('DOS-08/10: fetch discipline', () => {
  it('DOS-10 fifty concurrent cold requests cause one fetch', async () => {
    const { issuer, h } = await setup()
    const token = await h.token()
    const results = await Promise.all(Array.from({ length: 50 }, () => h.outcome(h.bearer(token))))
    expect(new Set(results)).toEqual(new Set(['accepted']))
    expect(issuer.server.requests).toBe(1)
  })
  it('DOS-08 two hundred unknown kids within the cooldown cause no extra fetch', async () => {
    const { issuer, h } = await setup()
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    const tokens = Array.from({ length: 200 }, (_, i) =>
      signCompact({ alg: 'RS256', kid: `rnd-${i}` }, { iss: issuer.issuer }, issuer.signer.privateKey),
    )
    const results = await Promise.all(tokens.map((t) => h.outcome(h.bearer(t))))
    expect(new Set(results)).toEqual(new Set(['token_key_unknown']))
    expect(issuer.server.requests).toBeLessThanOrEqual(2)
  })
})

describe('JWK-08/09: configuration hygiene', () => {
  const make = (jwksUri: string) => () => createConsentGuard({ maskinporten: { issuer: 'https://x/', jwksUri } })
  it.each([
    'http://maskinporten.no/jwk',
    'http://10.0.0.1/jwk',
    'https://user:pw@maskinporten.no/jwk',
    'https://maskinporten.no/jwk?x=1',
    'https://maskinporten.no/jwk#frag',
    'ftp://maskinporten.no/jwk',
    'not a url',
  ])('refuses %s at start-up', (url) => {
    expect(make(url)).toThrow(ConsentGuardConfigError)
  })
  it.each([
    'http://127.0.0.1:1/jwk',
    'http://127.5.6.7/jwk',
    'http://localhost:8080/jwk',
    'http://[::1]:9/jwk',
    'https://maskinporten.no/jwk',
  ])('allows %s', (url) => {
    expect(make(url)).not.toThrow()
  })
  it('presets pin the published issuer and key-set URL', () => {
    expect(createConsentGuard({ maskinporten: 'prod' }).options).toMatchObject({
      issuer: 'https://maskinporten.no/',
      jwksUri: new URL('https://maskinporten.no/jwk'),
    })
    expect(createConsentGuard({ maskinporten: 'test' }).options).toMatchObject({
      issuer: 'https://test.maskinporten.no/',
      jwksUri: new URL('https://test.maskinporten.no/jwk'),
    })
  })
})
