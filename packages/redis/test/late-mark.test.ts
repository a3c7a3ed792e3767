/**
 * A store stall must not use up a one-time consent (issue 11, defect 2): with Redis paused
 * (SIGSTOP) past the deadline, the request gets 503, the `SET NX` already on the socket runs
 * when Redis resumes, and that late mark must be released, never two 200s for one consent.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import {
  createConsentGuard,
  headersFromRecord,
  isConsentGuardError,
  oneTimeRecordKey,
  type ConsentGuardOptions,
  type VerifiedConsent,
} from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { createRedisConsentUseStore, type RedisConsentUseStore, type RedisConsentUseStoreCommonOptions } from '@consent-guard/redis'
import { describeWithRedis, startRedisServer, type RedisServer } from './support/redis-server.js'

const SCOPE = 'example:loan'
const RESOURCE = 'example-loan-check'
const PERSON = TEST_IDENTITIES.personA
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function outcome(promise: Promise<VerifiedConsent>): Promise<string> {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    if (isConsentGuardError(err)) return err.code
    throw err
  }
}

/** Waits until the store knows the outcome of every late mark and released those it wrote. */
async function settled(store: RedisConsentUseStore, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (store.pendingReleases > 0) {
    if (Date.now() > deadline) throw new Error(`${store.pendingReleases} late marks still pending`)
    await sleep(20)
  }
}

describeWithRedis('a Redis stall does not use up a one-time consent (SIGSTOP / SIGCONT)', () => {
  let redis: RedisServer
  let issuer: TestIssuer
  let admin: Redis
  const cleanup: Array<() => Promise<void>> = []

  async function instance(guardOptions: Partial<ConsentGuardOptions>, storeOptions: RedisConsentUseStoreCommonOptions = {}) {
    const store = createRedisConsentUseStore({ url: redis.url, ...storeOptions })
    cleanup.push(() => store.close())
    await store.ready()
    const guard = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, store, ...guardOptions })
    const route = guard.compile<{ personId: string }>({ scope: SCOPE, resource: RESOURCE, subject: (req) => req.personId, oneTime: true })
    const check = async (id: string): Promise<string> => {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { id, from: { person: PERSON }, resource: RESOURCE } })
      return outcome(
        guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { personId: PERSON } }, route),
      )
    }
    return { store, check }
  }

  beforeAll(async () => {
    redis = await startRedisServer()
    issuer = await createTestIssuer()
    admin = new Redis(redis.url, { maxRetriesPerRequest: 0 })
  })
  afterEach(async () => {
    redis.resume()
    await Promise.all(cleanup.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    admin?.disconnect()
    await issuer?.close()
    await redis?.stop()
  })

  /** Pauses Redis for `pauseMs` while one request runs; that request must get 503. */
  async function stalledRequest(check: (id: string) => Promise<string>, id: string, pauseMs: number): Promise<string> {
    redis.pause()
    try {
      const pending = check(id)
      await sleep(pauseMs)
      return await pending
    } finally {
      redis.resume()
    }
  }

  it('the store’s own timeout (500 ms, below storeTimeoutMs 1000): 503, then the retry is accepted, and only once', async () => {
    const a = await instance({ storeTimeoutMs: 1000 })
    const id = randomUUID()
    const started = Date.now()
    expect(await stalledRequest(a.check, id, 800)).toBe('store_unavailable')
    expect(Date.now() - started).toBeLessThan(1_500)
    await settled(a.store)
    // The SET ran when Redis resumed, and was deleted again by compare-and-delete.
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    expect(await a.check(id)).toBe('accepted')
    expect(await a.check(id)).toBe('consent_already_used')
  })

  it('the guard’s deadline first (storeTimeoutMs 300 < commandTimeoutMs 5000): the store follows the guard’s signal', async () => {
    const a = await instance({ storeTimeoutMs: 300 }, { commandTimeoutMs: 5_000 })
    const id = randomUUID()
    const started = Date.now()
    redis.pause()
    try {
      expect(await a.check(id)).toBe('store_unavailable')
      expect(Date.now() - started).toBeLessThan(1_500)
      // The store stopped waiting at the guard's signal (not at its own 5 s) and watches the SET.
      expect(a.store.pendingReleases).toBe(1)
    } finally {
      redis.resume()
    }
    await settled(a.store)
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    expect(await a.check(id)).toBe('accepted')
    expect(await a.check(id)).toBe('consent_already_used')
  })

  it('never two 200s: requests racing the late release on two instances, then one more', async () => {
    const a = await instance({ storeTimeoutMs: 1000 })
    const b = await instance({ storeTimeoutMs: 1000 })
    const id = randomUUID()
    expect(await stalledRequest(a.check, id, 700)).toBe('store_unavailable')
    // Right after SIGCONT, while the late SET and its release are on their way.
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).check(id)))
    const accepted = racing.filter((r) => r === 'accepted').length
    expect(accepted).toBeLessThanOrEqual(1)
    for (const r of racing) expect(['accepted', 'consent_already_used']).toContain(r)
    await Promise.all([settled(a.store), settled(b.store)])
    // Afterwards the consent was used exactly once in total: a further request is accepted only
    // when none of the racing ones was.
    expect(await b.check(id)).toBe(accepted === 1 ? 'consent_already_used' : 'accepted')
    expect(await a.check(id)).toBe('consent_already_used')
  })

  it('the late release deletes only its own mark: an earlier mark of another consent stays', async () => {
    const a = await instance({ storeTimeoutMs: 1000 }, { commandTimeoutMs: 200 })
    const other = randomUUID()
    expect(await a.check(other)).toBe('accepted')
    const id = randomUUID()
    expect(await stalledRequest(a.check, id, 400)).toBe('store_unavailable')
    await settled(a.store)
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    await expect(admin.exists(oneTimeRecordKey(issuer.issuer, other, RESOURCE))).resolves.toBe(1)
    expect(await a.check(other)).toBe('consent_already_used')
  })
})
