import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import { ConsentGuardConfigError, createConsentGuard, type ConsentRequirement } from '@consent-guard/core'
import { VerifiedTokenCache } from '../src/tokens/verified-cache.js'
import { createHarness, FNR_A, FNR_B, incomeRoute, NOW, SCOPE, type FakeRequest, type Harness } from './support.js'

// A cache hit must never accept what a miss would reject. Each case runs the same requests through
// a caching guard and a guard with `tokenCache: false` over the same clock and issuer, and both must
// answer alike; the caching guard has seen the token before the change.
let issuer: TestIssuer | undefined
const harnesses: Harness[] = []
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close()
  await issuer?.close()
  issuer = undefined
})

async function pair(options: Parameters<typeof createHarness>[0] = {}) {
  issuer = await createTestIssuer({ now: NOW })
  const clock = { now: NOW * 1000 }
  const common = { clock: () => new Date(clock.now), ...options }
  const cached = await createHarness(common, issuer)
  const uncached = await createHarness({ ...common, tokenCache: false }, issuer)
  harnesses.push(cached, uncached)
  const both = async (token: string, params: Partial<FakeRequest['params']> = {}, route?: ConsentRequirement<FakeRequest>) => {
    const a = await cached.outcome(cached.bearer(token), params, route)
    const b = await uncached.outcome(uncached.bearer(token), params, route)
    expect(a).toBe(b)
    return a
  }
  return { issuer, clock, cached, uncached, both }
}

describe('verified-token cache: a hit never accepts what a miss would reject', () => {
  it('serves the same token again, and refuses a tampered copy of a cached token', async () => {
    const { cached, both } = await pair()
    const token = await cached.token()
    expect(await both(token)).toBe('accepted')
    expect(await both(token)).toBe('accepted')
    const [h, p, s] = token.split('.') as [string, string, string]
    // Same signature (the cache key's tail), another payload; and a flipped signature character.
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, jti: 'other' })).toString('base64url')}.${s}`
    expect(await both(forged)).toBe('token_signature_invalid')
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
    expect(await both(flipped)).toBe('token_signature_invalid')
    expect(await both(token)).toBe('accepted')
  })

  it('refuses a token that expired while cached (and one whose iat is too old), at the same second as a miss', async () => {
    const { cached, clock, both } = await pair({ clockTolerance: 10, maxTokenAge: 300 })
    const token = await cached.token({ lifetimeSeconds: 120 })
    expect(await both(token)).toBe('accepted')
    clock.now = (NOW + 129) * 1000
    expect(await both(token)).toBe('accepted')
    clock.now = (NOW + 130) * 1000
    expect(await both(token)).toBe('token_expired')
    // Clocks may also step back: a token "from the future" is refused alike.
    clock.now = (NOW - 11) * 1000
    expect(await both(token)).toBe('token_not_yet_valid')
  })

  it('refuses a consent whose validTo passed while its token was cached; checks subject, metadata and scope every time', async () => {
    const { cached, clock, both } = await pair()
    const validTo = new Date((NOW + 60) * 1000)
    const token = await cached.token({
      lifetimeSeconds: 600,
      consent: { from: { person: FNR_A }, resource: 'example-income', metadata: { inntektsaar: '2023' }, validTo },
    })
    expect(await both(token)).toBe('accepted')
    expect(await both(token, { personId: FNR_B })).toBe('consent_subject_mismatch')
    expect(await both(token, { year: '2022' })).toBe('consent_metadata_mismatch')
    expect(await both(token, {}, { ...incomeRoute, scope: `${SCOPE}:other` })).toBe('scope_missing')
    expect(await both(token, {}, { ...incomeRoute, consumers: ['999999999'] })).toBe('consumer_not_allowed')
    clock.now = validTo.getTime() - 1
    expect(await both(token)).toBe('accepted')
    clock.now = validTo.getTime()
    expect(await both(token)).toBe('consent_expired')
  })

  it('marks a one-time consent used on the first request, however often its token is cached', async () => {
    const { cached } = await pair()
    const token = await cached.token()
    const route: ConsentRequirement<FakeRequest> = { ...incomeRoute, oneTime: true }
    expect(await cached.outcome(cached.bearer(token), {}, incomeRoute)).toBe('accepted')
    expect(await cached.outcome(cached.bearer(token), {}, route)).toBe('accepted')
    expect(await cached.outcome(cached.bearer(token), {}, route)).toBe('consent_already_used')
  })

  it('purges tokens signed by a kid that left the key set when the set is refetched for a new kid', async () => {
    const { cached, issuer: iss, both } = await pair({ keys: { cooldownMs: 0 } })
    const old = await cached.token()
    expect(await both(old)).toBe('accepted')
    // Rotation that retires the old key; a token under the new kid makes the guards refetch.
    await iss.rotate({ retirePrevious: true })
    expect(await both(await cached.token())).toBe('accepted')
    expect(await both(old)).toBe('token_key_unknown')
  })

  it('stops serving hits once the key set is due for a refetch, and then refuses tokens of a removed key', async () => {
    const { cached, issuer: iss, both } = await pair({ keys: { cacheMaxAgeMs: 200, cooldownMs: 60_000 } })
    const old = await cached.token()
    expect(await both(old)).toBe('accepted')
    iss.server.setKeys([])
    // Within the key set's max age both guards still trust the set they have (a miss would too).
    expect(await both(old)).toBe('accepted')
    await new Promise((r) => setTimeout(r, 300))
    // Past its max age the key set answers a known kid from the last good set at once and refreshes in
    // the background (no request waits for the issuer); once that refresh has seen the key gone, and
    // purged the caches, a hit and a miss both refuse.
    await both(old)
    await vi.waitFor(async () => expect(await both(old)).toBe('token_key_unknown'), { timeout: 5000, interval: 50 })
  })
})

describe('VerifiedTokenCache', () => {
  const entry = (token: string, exp = NOW + 100) => ({ token, value: { token }, kid: 'k1', iat: NOW, nbf: undefined, exp })
  it('holds at most maxEntries, least recently used out first', () => {
    const cache = new VerifiedTokenCache<{ token: string }>(2)
    const tokens = ['a'.repeat(50) + '1', 'a'.repeat(50) + '2', 'a'.repeat(50) + '3']
    for (const t of tokens) cache.set(entry(t), NOW * 1000)
    expect(cache.size).toBe(2)
    expect(cache.get(tokens[0]!)).toBeUndefined()
    expect(cache.get(tokens[2]!)?.value).toEqual({ token: tokens[2] })
  })
  it('never keeps an entry past exp (in the clock it is given), nor one already expired', () => {
    const cache = new VerifiedTokenCache<{ token: string }>(10)
    cache.set(entry('t'.repeat(60), NOW), NOW * 1000)
    expect(cache.size).toBe(0)
    cache.set(entry('u'.repeat(60), NOW + 100), NOW * 1000)
    expect(cache.get('u'.repeat(60))).toBeDefined()
  })
  it('finds only the exact token string, and misses while the key set is stale', () => {
    let fresh = true
    const cache = new VerifiedTokenCache<{ token: string }>(10, () => fresh)
    const token = 'h.p.' + 's'.repeat(60)
    cache.set(entry(token), NOW * 1000)
    expect(cache.get('x.p.' + 's'.repeat(60))).toBeUndefined()
    expect(cache.get(token)).toBeDefined()
    fresh = false
    expect(cache.get(token)).toBeUndefined()
  })
  it('purges the entries of kids missing from a new key set', () => {
    const cache = new VerifiedTokenCache<{ token: string }>(10)
    cache.set({ ...entry('a'.repeat(60)), kid: 'k1' }, NOW * 1000)
    cache.set({ ...entry('b'.repeat(60)), kid: 'k2' }, NOW * 1000)
    expect(cache.purgeKidsNotIn(new Set(['k2']))).toBe(1)
    expect(cache.get('a'.repeat(60))).toBeUndefined()
    expect(cache.get('b'.repeat(60))).toBeDefined()
  })
})

describe('tokenCache and overload options', () => {
  const base = { maskinporten: { issuer: 'https://issuer.test/', jwksUri: 'http://127.0.0.1:9/jwk' } }
  it.each([
    [{ tokenCache: { maxEntries: 0 } }],
    [{ tokenCache: { maxEntries: 1.5 } }],
    [{ tokenCache: { size: 10 } }],
    [{ tokenCache: true }],
    [{ overload: { maxInFlight: 0 } }],
    [{ overload: { maxQueued: -1 } }],
    [{ overload: { queueTimeoutMs: 0 } }],
    [{ overload: { retryAfterSeconds: 1.5 } }],
    [{ overload: { maxInflight: 3 } }],
  ])('refuses %j at start-up', (extra) => {
    expect(() => createConsentGuard({ ...base, ...(extra as object) })).toThrow(ConsentGuardConfigError)
  })
  it.each([
    [{ maxEventLoopDelayMs: -1 }, 'option_invalid'],
    [{ maxEventLoopDelayMs: 5 }, 'option_invalid'],
    [{ maxEventLoopDelayMs: 60_001 }, 'option_invalid'],
    [{ maxEventLoopDelayMs: Number.NaN }, 'option_invalid'],
    [{ maxEventLoopDelayMs: Number.POSITIVE_INFINITY }, 'option_invalid'],
    [{ maxEventLoopDelayMs: '200' }, 'option_invalid'],
    [{ maxEventLoopDelayMs: true }, 'option_invalid'],
    [{ maxEventLoopDelay: 200 }, 'option_unknown'],
    [{ eventLoopDelayMs: 200 }, 'option_unknown'],
    [{ maxVerificationsPerTurn: -1 }, 'option_invalid'],
    [{ maxVerificationsPerTurn: 1.5 }, 'option_invalid'],
    [{ maxVerificationsPerTurn: 100_001 }, 'option_invalid'],
    [{ maxVerificationsPerTurn: '64' }, 'option_invalid'],
    [{ maxVerificationsPerTurn: true }, 'option_invalid'],
    [{ verificationsPerTurn: 64 }, 'option_unknown'],
  ])('refuses overload %j at start-up with %s', (overload, code) => {
    expect(() => createConsentGuard({ ...base, overload: overload as never })).toThrow(
      expect.objectContaining({ name: 'ConsentGuardConfigError', code }),
    )
  })
  it.each([
    [undefined, 1000],
    [false, 0],
    [0, 0],
    [10, 10],
    [250, 250],
    [60_000, 60_000],
  ] as const)('overload.maxEventLoopDelayMs %j resolves to %j (0: off)', (value, resolved) => {
    const guard = createConsentGuard({ ...base, overload: value === undefined ? {} : { maxEventLoopDelayMs: value } })
    expect(guard.options.overload?.maxEventLoopDelayMs).toBe(resolved)
  })
  it.each([
    [undefined, 128],
    [false, 0],
    [0, 0],
    [1, 1],
    [100_000, 100_000],
  ] as const)('overload.maxVerificationsPerTurn %j resolves to %j (0: off)', (value, resolved) => {
    const guard = createConsentGuard({ ...base, overload: value === undefined ? {} : { maxVerificationsPerTurn: value } })
    expect(guard.options.overload?.maxVerificationsPerTurn).toBe(resolved)
  })
  it('fills in the documented defaults, and false turns each off', () => {
    expect(createConsentGuard(base).options.tokenCache).toEqual({ maxEntries: 5000 })
    expect(createConsentGuard(base).options.overload).toEqual({
      maxInFlight: 256,
      maxQueued: 1024,
      queueTimeoutMs: 1000,
      retryAfterSeconds: 1,
      maxEventLoopDelayMs: 1000,
      maxVerificationsPerTurn: 128,
    })
    const off = createConsentGuard({ ...base, tokenCache: false, overload: false }).options
    expect(off.tokenCache).toBeUndefined()
    expect(off.overload).toBeUndefined()
  })
})
