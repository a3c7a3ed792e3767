/**
 * Two guards sharing one private redis-server, as two instances of a data-source API behind a
 * load balancer would. Calls `guard.check` directly (no framework).
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import {
  createConsentGuard,
  headersFromRecord,
  isConsentGuardError,
  oneTimeRecordKey,
  type AuditEvent,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentGuardOptions,
  type VerifiedConsent,
} from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { createRedisConsentUseStore, type RedisConsentUseStore } from '@consent-guard/redis'
import { describeWithRedis, startRedisServer, type RedisServer } from './support/redis-server.js'

const SCOPE = 'example:loan'
const RESOURCE = 'example-loan-check'
const PERSON = TEST_IDENTITIES.personA

interface Req {
  params: { personId: string }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves 'accepted' or the error code; the status is checked separately where it matters. */
async function outcome(promise: Promise<VerifiedConsent>): Promise<string> {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    if (isConsentGuardError(err)) return err.code
    throw err
  }
}

describeWithRedis('one-time consent on two guard instances sharing one Redis', () => {
  let redis: RedisServer
  let issuer: TestIssuer
  let admin: Redis
  const cleanup: Array<() => Promise<void>> = []

  interface Instance {
    guard: ConsentGuard
    route: CompiledRequirement<Req>
    store: RedisConsentUseStore
    events: AuditEvent[]
    check(token: string): Promise<VerifiedConsent>
  }

  /** One API instance: its own guard and its own Redis connection. */
  async function instance(
    url: string,
    options: Partial<ConsentGuardOptions> = {},
    storeOptions: { commandTimeoutMs?: number } = {},
  ): Promise<Instance> {
    const store = createRedisConsentUseStore({ url, ...storeOptions })
    cleanup.push(() => store.close())
    await store.ready()
    const events: AuditEvent[] = []
    const guard = createConsentGuard({
      maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
      store,
      onDecision: (e) => events.push(e),
      ...options,
    })
    const route = guard.compile<Req>({ scope: SCOPE, resource: RESOURCE, subject: (req) => req.params.personId, oneTime: true })
    return {
      guard,
      route,
      store,
      events,
      check: (token) =>
        guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { params: { personId: PERSON } } }, route),
    }
  }

  /** A fresh token (new jti) for the consent `id`. */
  const token = (id: string, validTo?: Date): Promise<string> =>
    issuer.consentToken({
      scope: SCOPE,
      consent: { id, from: { person: PERSON }, resource: RESOURCE, ...(validTo !== undefined ? { validTo } : {}) },
    })

  beforeAll(async () => {
    redis = await startRedisServer()
    issuer = await createTestIssuer()
    admin = new Redis(redis.url, { maxRetriesPerRequest: 0 })
  })
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    admin?.disconnect()
    await issuer?.close()
    await redis?.stop()
  })

  it('accepts a consent once across both instances, and refuses it on either afterwards', async () => {
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const id = randomUUID()
    const consent = await a.check(await token(id))
    expect(consent.id).toBe(id)
    expect(consent.oneTime?.key).toBe(oneTimeRecordKey(issuer.issuer, id, RESOURCE))
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(1)

    const refused = await b.check(await token(id)).catch((e: unknown) => e)
    expect(isConsentGuardError(refused) && refused.code).toBe('consent_already_used')
    expect(isConsentGuardError(refused) && refused.status).toBe(403)
    expect(await outcome(a.check(await token(id)))).toBe('consent_already_used')

    expect(a.events.map((e) => [e.decision, e.oneTime])).toEqual([
      ['accepted', 'first_use'],
      ['rejected', 'refused_reuse'],
    ])
    expect(b.events.map((e) => [e.decision, e.code, e.oneTime])).toEqual([['rejected', 'consent_already_used', 'refused_reuse']])

    // Another consent is unaffected (the record is per consent, not per person or consumer).
    expect(await outcome(b.check(await token(randomUUID())))).toBe('accepted')
  })

  it('race: of 20 concurrent requests over two instances, exactly one is accepted', async () => {
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const id = randomUUID()
    // Every request carries its own fresh token (own jti) for the same consent.
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token(id)))
    const settled = await Promise.allSettled(tokens.map((t, i) => (i % 2 === 0 ? a : b).check(t)))
    const accepted = settled.filter((s) => s.status === 'fulfilled')
    const rejected = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []))
    expect(accepted).toHaveLength(1)
    expect(rejected).toHaveLength(19)
    for (const reason of rejected) {
      expect(isConsentGuardError(reason)).toBe(true)
      expect(isConsentGuardError(reason) && reason.code).toBe('consent_already_used')
    }
    const events = [...a.events, ...b.events]
    expect(events.filter((e) => e.oneTime === 'first_use')).toHaveLength(1)
    expect(events.filter((e) => e.oneTime === 'refused_reuse')).toHaveLength(19)
  })

  it('keys on the consent, not the token: a fresh token for a used consent is refused (RPL-02)', async () => {
    const a = await instance(redis.url)
    const id = randomUUID()
    const first = await token(id)
    const second = await token(id)
    expect(second).not.toBe(first)
    expect(await outcome(a.check(first))).toBe('accepted')
    expect(await outcome(a.check(second))).toBe('consent_already_used')
    // Same consent id in upper case: the same consent, so the same record.
    expect(await outcome(a.check(await token(id.toUpperCase())))).toBe('consent_already_used')
  })

  it('keeps the record until the consent’s validTo, capped by oneTimeMaxTtl', async () => {
    const a = await instance(redis.url, { clockTolerance: 0 })
    const soon = randomUUID()
    await a.check(await token(soon, new Date(Date.now() + 5_000)))
    const pttlSoon = await admin.pttl(oneTimeRecordKey(issuer.issuer, soon, RESOURCE))
    expect(pttlSoon).toBeGreaterThan(3_000)
    expect(pttlSoon).toBeLessThanOrEqual(5_000)

    const capped = await instance(redis.url, { oneTimeMaxTtl: 120 })
    const later = randomUUID()
    await capped.check(await token(later, new Date(Date.now() + 30 * 86_400_000)))
    const pttlCapped = await admin.pttl(oneTimeRecordKey(issuer.issuer, later, RESOURCE))
    expect(pttlCapped).toBeGreaterThan(115_000)
    expect(pttlCapped).toBeLessThanOrEqual(120_000)
  })

  it('guard.release(consent) on one instance lets the consent be used once more on the other', async () => {
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const id = randomUUID()
    const consent = await a.check(await token(id))
    await a.guard.release(consent)
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    expect(await outcome(b.check(await token(id)))).toBe('accepted')
    expect(await outcome(a.check(await token(id)))).toBe('consent_already_used')
  })

  it('Redis killed mid-test: 503 store_unavailable within bounded time, never accepted; recovers after restart', async () => {
    const own = await startRedisServer()
    cleanup.push(() => own.stop())
    const a = await instance(own.url, { storeTimeoutMs: 1000 })
    const b = await instance(own.url, { storeTimeoutMs: 1000 })
    const used = randomUUID()
    expect(await outcome(a.check(await token(used)))).toBe('accepted')

    await own.kill()
    for (const inst of [a, b, a, b]) {
      const started = Date.now()
      const err = await inst.check(await token(randomUUID())).catch((e: unknown) => e)
      const elapsed = Date.now() - started
      expect(isConsentGuardError(err) && err.code).toBe('store_unavailable')
      expect(isConsentGuardError(err) && err.status).toBe(503)
      expect(elapsed).toBeLessThan(1500)
    }
    expect(a.events.at(-1)).toMatchObject({ decision: 'rejected', code: 'store_unavailable' })

    await own.restart()
    // Both instances reconnect on their own (reconnect delay at most 1 s).
    const fresh = [randomUUID(), randomUUID()] as const
    for (const [inst, id] of [
      [a, fresh[0]],
      [b, fresh[1]],
    ] as const) {
      const deadline = Date.now() + 10_000
      let result = await outcome(inst.check(await token(id)))
      while (result === 'store_unavailable' && Date.now() < deadline) {
        await sleep(100)
        result = await outcome(inst.check(await token(id)))
      }
      expect(result).toBe('accepted')
      // The other instance may still be reconnecting (503); once it answers, it refuses the reuse.
      const other = inst === a ? b : a
      let reuse = await outcome(other.check(await token(id)))
      while (reuse === 'store_unavailable' && Date.now() < deadline) {
        await sleep(100)
        reuse = await outcome(other.check(await token(id)))
      }
      expect(reuse).toBe('consent_already_used')
    }
  })

  it('Redis hung (SIGSTOP): 503 after storeTimeoutMs, then answers again once it resumes', async () => {
    const own = await startRedisServer()
    cleanup.push(async () => {
      own.resume()
      await own.stop()
    })
    // The store's own command timeout is longer here, so the guard's storeTimeoutMs decides.
    const a = await instance(own.url, { storeTimeoutMs: 300 }, { commandTimeoutMs: 5_000 })
    own.pause()
    const started = Date.now()
    expect(await outcome(a.check(await token(randomUUID())))).toBe('store_unavailable')
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(1500)
    own.resume()
    expect(await outcome(a.check(await token(randomUUID())))).toBe('accepted')
  })

  it('routes without oneTime never write to Redis', async () => {
    const a = await instance(redis.url)
    const plain = a.guard.compile<Req>({ scope: SCOPE, resource: RESOURCE, subject: (req) => req.params.personId })
    const id = randomUUID()
    const headers = headersFromRecord({ authorization: `Bearer ${await token(id)}` })
    const before = await admin.dbsize()
    const consent = await a.guard.check({ headers, request: { params: { personId: PERSON } } }, plain)
    await a.guard.check({ headers, request: { params: { personId: PERSON } } }, plain)
    expect(consent.oneTime).toBeUndefined()
    await a.guard.release(consent)
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    expect(await admin.dbsize()).toBe(before)
  })
})
