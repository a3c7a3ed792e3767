import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestIssuer, type ConsentDetailOptions, type TestIssuer } from '@consent-guard/testkit'
import {
  ConsentUseStoreFullError,
  isConsentGuardError,
  MemoryConsentUseStore,
  oneTimeRecordKey,
  tokenRecordKey,
  type AuditEvent,
  type ConsentGuardOptions,
  type ConsentRequirement,
  type ConsentUseStore,
  type VerifiedConsent,
} from '@consent-guard/core'
import { createHarness, FNR_A, FNR_B, incomeRoute, NOW, RESOURCE, SCOPE, type FakeRequest, type Harness } from './support.js'

// One-time consent (engangssamtykke), docs/security.md RPL-02/03/05/06, with the in-memory store and
// with stub stores for the failure cases. The Redis store has its own suite in packages/redis.

const oneTimeRoute: ConsentRequirement<FakeRequest> = { ...incomeRoute, oneTime: true }
const LOAN = 'example-loan'
const loanRoute: ConsentRequirement<FakeRequest> = { scope: SCOPE, resource: LOAN, subject: (req) => req.params.personId, oneTime: true }
const base: ConsentDetailOptions = { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } }
const NOW_MS = NOW * 1000
const TOLERANCE_MS = 10_000 // the guard's default clockTolerance

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ now: NOW })
})
afterAll(() => issuer.close())

/** A harness whose guard and memory store read the same movable clock. */
async function harness(options: Partial<ConsentGuardOptions> & { maxEntries?: number } = {}) {
  const clock = { ms: NOW_MS }
  const { maxEntries, ...guardOptions } = options
  const store = new MemoryConsentUseStore({ now: () => clock.ms, ...(maxEntries !== undefined ? { maxEntries } : {}) })
  const h = await createHarness({ store, clock: () => new Date(clock.ms), ...guardOptions }, issuer)
  return { h, store, clock }
}

/** Headers with a fresh token (new jti) for the consent. */
const bearerFor = async (h: Harness, consent: ConsentDetailOptions) => h.bearer(await h.token({ consent }))

/** A store that records calls and delegates to a memory store (or fails, when told to). */
function spyStore(inner: ConsentUseStore = new MemoryConsentUseStore({ now: () => NOW_MS })) {
  return {
    markUsed: vi.fn((key: string, ttlMs: number) => inner.markUsed(key, ttlMs)),
    release: vi.fn((key: string) => inner.release(key)),
  } satisfies ConsentUseStore
}

describe('MemoryConsentUseStore', () => {
  it('records a first use, refuses the second, and release forgets the record', async () => {
    const store = new MemoryConsentUseStore()
    await expect(store.markUsed('k', 60_000)).resolves.toBe(true)
    await expect(store.markUsed('k', 60_000)).resolves.toBe(false)
    await expect(store.markUsed('other', 60_000)).resolves.toBe(true)
    await store.release('k')
    await expect(store.markUsed('k', 60_000)).resolves.toBe(true)
    await expect(store.markUsed('k', 60_000)).resolves.toBe(false)
  })

  it('expires a record exactly at its TTL (injected clock)', async () => {
    let now = 1_000
    const store = new MemoryConsentUseStore({ now: () => now })
    await expect(store.markUsed('k', 500)).resolves.toBe(true)
    now = 1_499
    await expect(store.markUsed('k', 500)).resolves.toBe(false)
    now = 1_500
    await expect(store.markUsed('k', 500)).resolves.toBe(true)
    now = 1_999
    await expect(store.markUsed('k', 500)).resolves.toBe(false)
  })

  it('when full of live records refuses new keys, still answers reuse, and makes room once records expire', async () => {
    let now = 0
    const store = new MemoryConsentUseStore({ maxEntries: 2, now: () => now })
    await expect(store.markUsed('a', 100)).resolves.toBe(true)
    await expect(store.markUsed('b', 1_000)).resolves.toBe(true)
    await expect(store.markUsed('c', 1_000)).rejects.toBeInstanceOf(ConsentUseStoreFullError)
    // A live record is never evicted to make room (that would allow a second use).
    await expect(store.markUsed('a', 100)).resolves.toBe(false)
    expect(store.size).toBe(2)
    now = 100 // 'a' expired: the sweep frees its slot
    await expect(store.markUsed('c', 1_000)).resolves.toBe(true)
    await expect(store.markUsed('b', 1_000)).resolves.toBe(false)
    expect(store.size).toBe(2)
  })

  it('rejects a maxEntries that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) expect(() => new MemoryConsentUseStore({ maxEntries })).toThrow(TypeError)
  })
})

describe('one-time route with the memory store', () => {
  it('RPL-02 first use accepted, a fresh token for the same consent refused with 403 consent_already_used', async () => {
    const { h } = await harness()
    const id = crypto.randomUUID()
    const first = await h.run(await bearerFor(h, { ...base, id }), {}, oneTimeRoute)
    expect(first.oneTime).toEqual({
      key: oneTimeRecordKey(issuer.issuer, id, RESOURCE),
      tokenKey: tokenRecordKey(issuer.issuer, first.token.jti, RESOURCE),
    })

    const err = await h.run(await bearerFor(h, { ...base, id }), {}, oneTimeRoute).catch((e: unknown) => e)
    expect(isConsentGuardError(err)).toBe(true)
    if (!isConsentGuardError(err)) return
    expect(err.code).toBe('consent_already_used')
    expect(err.status).toBe(403)

    // The same token again, and the consent id spelled in upper case: still the same consent.
    expect(await h.outcome(await bearerFor(h, { ...base, id: id.toUpperCase() }), {}, oneTimeRoute)).toBe('consent_already_used')
    // Another consent for the same person and consumer is its own record.
    expect(await h.outcome(await bearerFor(h, base), {}, oneTimeRoute)).toBe('accepted')

    expect(h.events.map((e) => [e.decision, e.code, e.oneTime, e.consentId?.toLowerCase()])).toEqual([
      ['accepted', undefined, 'first_use', id],
      ['rejected', 'consent_already_used', 'refused_reuse', id],
      ['rejected', 'consent_already_used', 'refused_reuse', id],
      ['accepted', undefined, 'first_use', expect.any(String)],
    ])
  })

  it('RPL-03 of 20 concurrent requests with one consent exactly one is accepted', async () => {
    const { h } = await harness()
    const id = crypto.randomUUID()
    const headers = await Promise.all(Array.from({ length: 20 }, () => bearerFor(h, { ...base, id })))
    const outcomes = await Promise.all(headers.map((hd) => h.outcome(hd, {}, oneTimeRoute)))
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'consent_already_used')).toHaveLength(19)
  })

  it('keys per resource: one consent with rights for two one-time resources is usable once on each', async () => {
    const { h } = await harness()
    const consent: ConsentDetailOptions = {
      id: crypto.randomUUID(),
      from: { person: FNR_A },
      rights: [{ resource: RESOURCE, metadata: { inntektsaar: '2023' } }, { resource: LOAN }],
    }
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('accepted')
    expect(await h.outcome(await bearerFor(h, consent), {}, loanRoute)).toBe('accepted')
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('consent_already_used')
    expect(await h.outcome(await bearerFor(h, consent), {}, loanRoute)).toBe('consent_already_used')
  })

  it('guard.release(consent) lets the consent be used once more', async () => {
    const { h } = await harness()
    const id = crypto.randomUUID()
    const consent = await h.run(await bearerFor(h, { ...base, id }), {}, oneTimeRoute)
    await h.guard.release(consent)
    const again = await h.run(await bearerFor(h, { ...base, id }), {}, oneTimeRoute)
    expect(again.id).toBe(id)
    expect(await h.outcome(await bearerFor(h, { ...base, id }), {}, oneTimeRoute)).toBe('consent_already_used')
  })

  it('a request refused for another reason does not use up the consent (the mark is the last step)', async () => {
    const store = spyStore()
    const h = await createHarness({ store }, issuer)
    const id = crypto.randomUUID()
    expect(await h.outcome(await bearerFor(h, { ...base, id }), { personId: FNR_B }, oneTimeRoute)).toBe('consent_subject_mismatch')
    expect(await h.outcome(await bearerFor(h, { ...base, id }), { year: '2024' }, oneTimeRoute)).toBe('consent_metadata_mismatch')
    expect(await h.outcome(await h.bearer(await h.token({ consent: { ...base, id }, scope: 'other:scope' })), {}, oneTimeRoute)).toBe(
      'scope_missing',
    )
    expect(store.markUsed).not.toHaveBeenCalled()
    expect(await h.outcome(await bearerFor(h, { ...base, id }), {}, oneTimeRoute)).toBe('accepted')
    // Two records: the consent, and the token that carried it (RPL-07).
    expect(store.markUsed).toHaveBeenCalledTimes(2)
  })
})

describe('record lifetime (RPL-06)', () => {
  it('asks the store to keep the record until validTo plus the clock tolerance', async () => {
    const store = spyStore()
    const h = await createHarness({ store }, issuer)
    await h.run(await bearerFor(h, { ...base, validTo: NOW + 3_600 }), {}, oneTimeRoute)
    expect(store.markUsed).toHaveBeenCalledWith(expect.any(String), 3_600_000 + TOLERANCE_MS, { signal: expect.any(AbortSignal) })
  })

  it('caps the lifetime at oneTimeMaxTtl', async () => {
    const store = spyStore()
    const h = await createHarness({ store, oneTimeMaxTtl: 60 }, issuer)
    await h.run(await bearerFor(h, { ...base, validTo: NOW + 30 * 86_400 }), {}, oneTimeRoute)
    expect(store.markUsed).toHaveBeenCalledWith(expect.any(String), 60_000, { signal: expect.any(AbortSignal) })
  })

  it('before validTo: 403 consent_already_used; from validTo on, and after the record expired, 403 consent_expired — never accepted', async () => {
    const { h, clock, store } = await harness()
    const consent = { ...base, id: crypto.randomUUID(), validTo: NOW + 100 }
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('accepted')
    clock.ms = NOW_MS + 100_000 - 1
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('consent_already_used')
    // validTo is an exclusive end without leeway; the record outlives it by the clock tolerance.
    clock.ms = NOW_MS + 100_000
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('consent_expired')
    clock.ms = NOW_MS + 100_000 + TOLERANCE_MS
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('consent_expired')
    // By now the record itself has expired (a new mark succeeds), and still nothing was accepted.
    await expect(store.markUsed(oneTimeRecordKey(issuer.issuer, consent.id, RESOURCE), 1)).resolves.toBe(true)
  })

  it('with a cap shorter than the consent, the consent is usable again once the record expires (documented trade-off)', async () => {
    const { h, clock } = await harness({ oneTimeMaxTtl: 60 })
    const consent = { ...base, id: crypto.randomUUID() } // valid for 30 days
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('accepted')
    clock.ms = NOW_MS + 59_999
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('consent_already_used')
    clock.ms = NOW_MS + 60_000
    expect(await h.outcome(await bearerFor(h, consent), {}, oneTimeRoute)).toBe('accepted')
  })
})

describe('fail closed (RPL-05)', () => {
  it('a memory store full of live records → 503 store_unavailable; reuse is still 403', async () => {
    const warnings: object[] = []
    // One accepted use takes two records (the consent and its token's jti).
    const { h } = await harness({ maxEntries: 2, logger: { info: () => {}, warn: (o) => warnings.push(o) } })
    const used = { ...base, id: crypto.randomUUID() }
    expect(await h.outcome(await bearerFor(h, used), {}, oneTimeRoute)).toBe('accepted')
    const err = await h.run(await bearerFor(h, base), {}, oneTimeRoute).catch((e: unknown) => e)
    expect(isConsentGuardError(err) && err.code).toBe('store_unavailable')
    expect(isConsentGuardError(err) && err.status).toBe(503)
    expect(await h.outcome(await bearerFor(h, used), {}, oneTimeRoute)).toBe('consent_already_used')
    expect(warnings).toEqual([expect.objectContaining({ decision: 'rejected', code: 'store_unavailable' })])
    // The 503 carries no one-time verdict: nothing was recorded.
    expect(h.events.find((e) => e.code === 'store_unavailable')?.oneTime).toBeUndefined()
  })

  it('a store that does not answer within storeTimeoutMs → 503 store_unavailable, in bounded time', async () => {
    const hanging: ConsentUseStore = { markUsed: () => new Promise(() => {}), release: async () => {} }
    const h = await createHarness({ store: hanging, storeTimeoutMs: 100 }, issuer)
    const started = Date.now()
    const err = await h.run(await bearerFor(h, base), {}, oneTimeRoute).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(isConsentGuardError(err) && err.code).toBe('store_unavailable')
    expect(isConsentGuardError(err) && err.status).toBe(503)
    expect(elapsed).toBeGreaterThanOrEqual(90)
    expect(elapsed).toBeLessThan(2_000)
  })

  it('a store that rejects → 503 store_unavailable, and routes without oneTime keep working', async () => {
    const broken: ConsentUseStore = {
      markUsed: async () => {
        throw new Error('ECONNREFUSED')
      },
      release: async () => {},
    }
    const h = await createHarness({ store: broken }, issuer)
    expect(await h.outcome(await bearerFor(h, base), {}, oneTimeRoute)).toBe('store_unavailable')
    expect(await h.outcome(await bearerFor(h, base), {}, incomeRoute)).toBe('accepted')
  })
})

describe('routes without oneTime', () => {
  it('never touch the store, not even through guard.release', async () => {
    const store = spyStore()
    store.markUsed.mockRejectedValue(new Error('must not be called'))
    store.release.mockRejectedValue(new Error('must not be called'))
    const events: AuditEvent[] = []
    const h = await createHarness({ store, onDecision: (e) => events.push(e) }, issuer)
    const headers = await bearerFor(h, base)
    const first: VerifiedConsent = await h.run(headers, {}, incomeRoute)
    await h.run(headers, {}, incomeRoute) // RPL-01: bearer reuse is fine on a normal route
    expect(first.oneTime).toBeUndefined()
    await h.guard.release(first)
    expect(store.markUsed).not.toHaveBeenCalled()
    expect(store.release).not.toHaveBeenCalled()
    expect(events.every((e) => e.oneTime === undefined)).toBe(true)
  })
})

describe('a store that answers after the guard gave up', () => {
  it('releases the late mark, so the retry is not refused as a second use', async () => {
    const memory = new MemoryConsentUseStore()
    let delay = 200
    const slow: ConsentUseStore = {
      markUsed: (key, ttl) => new Promise((resolve, reject) => setTimeout(() => memory.markUsed(key, ttl).then(resolve, reject), delay)),
      release: (key) => memory.release(key),
    }
    const h = await createHarness({ store: slow, storeTimeoutMs: 50 })
    try {
      const route = { ...incomeRoute, oneTime: true }
      const token = await h.token()
      expect(await h.outcome(h.bearer(token), {}, route)).toBe('store_unavailable')
      await new Promise((r) => setTimeout(r, 250))
      expect(memory.size).toBe(0)
      delay = 0
      expect(await h.outcome(h.bearer(token), {}, route)).toBe('accepted')
      expect(await h.outcome(h.bearer(token), {}, route)).toBe('consent_already_used')
    } finally {
      await h.close()
    }
  })
  it('aborts the signal it passed to markUsed when it gives up, and only then', async () => {
    const memory = new MemoryConsentUseStore()
    const signals: AbortSignal[] = []
    let delay = 200
    const slow: ConsentUseStore = {
      markUsed: (key, ttl, options) => {
        if (options?.signal !== undefined) signals.push(options.signal)
        return new Promise((resolve, reject) => setTimeout(() => memory.markUsed(key, ttl).then(resolve, reject), delay))
      },
      release: (key) => memory.release(key),
    }
    const h = await createHarness({ store: slow, storeTimeoutMs: 50 })
    try {
      const route = { ...incomeRoute, oneTime: true }
      expect(await h.outcome(h.bearer(await h.token()), {}, route)).toBe('store_unavailable')
      expect(signals.map((s) => s.aborted)).toEqual([true])
      delay = 0
      expect(await h.outcome(h.bearer(await h.token()), {}, route)).toBe('accepted')
      // Consent mark and token mark, both answered in time: neither signal was aborted.
      expect(signals.map((s) => s.aborted)).toEqual([true, false, false])
    } finally {
      await h.close()
    }
  })

  it('bounds release() by storeTimeoutMs and reports a 503', async () => {
    const memory = new MemoryConsentUseStore()
    const hanging: ConsentUseStore = { markUsed: (k, t) => memory.markUsed(k, t), release: () => new Promise(() => undefined) }
    const h = await createHarness({ store: hanging, storeTimeoutMs: 50 })
    try {
      const consent = await h.run(h.bearer(await h.token()), {}, { ...incomeRoute, oneTime: true })
      await expect(h.guard.release(consent)).rejects.toMatchObject({ code: 'store_unavailable', statusCode: 503 })
    } finally {
      await h.close()
    }
  })
  it('the memory store refuses a TTL that is not a positive number', async () => {
    const memory = new MemoryConsentUseStore()
    await expect(memory.markUsed('k', Number.NaN)).rejects.toThrow(RangeError)
    await expect(memory.markUsed('k', 0)).rejects.toThrow(RangeError)
  })
})

describe('RPL-07: one token id, two consents', () => {
  it('refuses a second token with the same jti on a one-time route, and frees the second consent again', async () => {
    const store = new MemoryConsentUseStore()
    const h = await createHarness({ store }, issuer)
    const first = await h.issuer.consentToken({ scope: SCOPE, jti: 'same-jti', consent: { ...base, id: crypto.randomUUID() } })
    const secondConsent = { ...base, id: crypto.randomUUID() }
    const second = await h.issuer.consentToken({ scope: SCOPE, jti: 'same-jti', consent: secondConsent })
    expect(await h.outcome(h.bearer(first), {}, oneTimeRoute)).toBe('accepted')
    expect(await h.outcome(h.bearer(second), {}, oneTimeRoute)).toBe('consent_already_used')
    // The second consent was not used up by the refused request: a proper token may still use it.
    expect(await h.outcome(h.bearer(await h.issuer.consentToken({ scope: SCOPE, consent: secondConsent })), {}, oneTimeRoute)).toBe(
      'accepted',
    )
  })
  it('one token may serve two different one-time resources', async () => {
    const h = await createHarness({}, issuer)
    const otherRoute = { ...oneTimeRoute, resource: 'example-other' }
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        from: { person: FNR_A },
        rights: [
          { resource: RESOURCE, metadata: { inntektsaar: '2023' } },
          { resource: 'example-other', metadata: { inntektsaar: '2023' } },
        ],
      },
    })
    expect(await h.outcome(h.bearer(token), {}, oneTimeRoute)).toBe('accepted')
    expect(await h.outcome(h.bearer(token), {}, otherRoute)).toBe('accepted')
  })
})

describe('stores that throw synchronously', () => {
  it('answer 503 store_unavailable, never a 500', async () => {
    const throwing: ConsentUseStore = {
      markUsed: () => {
        throw new Error('client not connected: secret-host:6379')
      },
      release: async () => {},
    }
    const h = await createHarness({ store: throwing }, issuer)
    const err = await h.run(await bearerFor(h, base), {}, oneTimeRoute).catch((e: unknown) => e)
    expect(isConsentGuardError(err) && err.code).toBe('store_unavailable')
    expect(String((err as Error).message)).not.toContain('secret-host')
  })
})
