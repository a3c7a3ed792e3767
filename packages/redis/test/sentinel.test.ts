/**
 * One-time consents on a Sentinel-managed primary with one replica and three Sentinels, all real
 * `redis-server` processes on 127.0.0.1 (issue 17). The tests run in order on one topology: two
 * of them kill the primary and wait for the Sentinel failover.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createConsentGuard, headersFromRecord, isConsentGuardError, oneTimeRecordKey, type VerifiedConsent } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import { describeWithRedis, type RedisServer } from './support/redis-server.js'
import { adminClient, startSentinelSetup, waitFor, type SentinelSetup } from './support/redis-topology.js'

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

describeWithRedis('one-time consents on Redis Sentinel (primary, replica, 3 sentinels)', () => {
  let setup: SentinelSetup
  let issuer: TestIssuer
  const cleanup: Array<() => Promise<void>> = []

  /** One API instance on the Sentinel setup; `minReplicas` is the durability option. */
  async function instance(minReplicas = 0, relaxed = false) {
    // `relaxed`: generous timeouts where a 503 of a loaded CI machine would fail a test that needs a 200.
    const timeouts = relaxed ? { commandTimeoutMs: 3_000, replicaAckTimeoutMs: 1_000 } : {}
    const store = createRedisConsentUseStore({ sentinels: setup.sentinelAddresses, name: setup.name, minReplicas, ...timeouts })
    cleanup.push(() => store.close())
    await store.ready()
    const guard = createConsentGuard({
      maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
      store,
      storeTimeoutMs: relaxed ? 5_000 : 1_000,
    })
    const route = guard.compile<{ personId: string }>({ scope: SCOPE, resource: RESOURCE, subject: (req) => req.personId, oneTime: true })
    const check = async (id: string): Promise<string> => {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { id, from: { person: PERSON }, resource: RESOURCE } })
      return outcome(
        guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { personId: PERSON } }, route),
      )
    }
    /** Retries while the store is unavailable (failover in progress); every answer is recorded. */
    const checkUntilAnswered = async (id: string, answers: string[], timeoutMs = 20_000): Promise<string> => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const result = await check(id)
        answers.push(result)
        if (result !== 'store_unavailable' || Date.now() > deadline) return result
        await sleep(100)
      }
    }
    return { store, check, checkUntilAnswered }
  }

  const exists = async (server: RedisServer, key: string): Promise<number> => {
    const admin = adminClient(server.port)
    try {
      return await admin.exists(key)
    } finally {
      admin.disconnect()
    }
  }

  /** The replica of the current primary (there is one). */
  const replicaOf = async (primary: RedisServer): Promise<RedisServer> => {
    const replica = setup.nodes.find((n) => n !== primary && n.running)
    if (replica === undefined) throw new Error('no replica')
    await setup.waitForReplica(replica)
    return replica
  }

  beforeAll(async () => {
    setup = await startSentinelSetup({ replicas: 1, sentinels: 3 })
    issuer = await createTestIssuer()
  }, 60_000)
  afterEach(async () => {
    for (const node of setup?.nodes ?? []) node.resume()
    await Promise.all(cleanup.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    await issuer?.close()
    await setup?.stop()
  })

  it('accepts once and refuses reuse; with minReplicas 1 the replica holds the mark when the 200 is given', async () => {
    const a = await instance(1, true)
    const b = await instance(1, true)
    const id = randomUUID()
    expect(await a.check(id)).toBe('accepted')
    const replica = await replicaOf(await setup.currentPrimary())
    await expect(exists(replica, oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(1)
    expect(await b.check(id)).toBe('consent_already_used')
  })

  it('minReplicas 1: a replica that stops acknowledging (SIGSTOP) turns one-time requests into 503, never 200', async () => {
    const a = await instance(1)
    const primary = await setup.currentPrimary()
    const replica = await replicaOf(primary)
    const id = randomUUID()
    replica.pause()
    try {
      for (let i = 0; i < 3; i++) expect(await a.check(id)).toBe('store_unavailable')
      // Each unconfirmed mark was taken back on the primary.
      await waitFor('the unconfirmed marks to be released', async () => a.store.pendingReleases === 0, 5_000)
      await expect(exists(primary, oneTimeRecordKey(issuer.issuer, id, RESOURCE))).resolves.toBe(0)
    } finally {
      replica.resume()
    }
    await setup.waitForReplica(replica)
    expect(await a.check(id)).toBe('accepted')
    expect(await a.check(id)).toBe('consent_already_used')
  })

  it('minReplicas 1: primary killed right after a 200, Sentinel failover: the retry on the new primary gets 403', async () => {
    const a = await instance(1, true)
    const old = await setup.currentPrimary()
    await replicaOf(old)
    const id = randomUUID()
    expect(await a.check(id)).toBe('accepted')
    await old.kill()
    const promoted = await setup.waitForFailover(old.port)
    const answers: string[] = []
    expect(await a.checkUntilAnswered(id, answers)).toBe('consent_already_used')
    expect(answers.every((r) => r === 'store_unavailable' || r === 'consent_already_used')).toBe(true)
    // No replica left to confirm: a new consent gets 503, never a 200 without a durable mark.
    expect(await a.check(randomUUID())).toBe('store_unavailable')
    // The old primary comes back empty (no persistence here) and is made a replica again.
    await old.restart()
    const admin = adminClient(old.port)
    try {
      await admin.call('REPLICAOF', promoted.host, String(promoted.port))
    } finally {
      admin.disconnect()
    }
    await setup.waitForReplica(old)
    expect(await a.check(randomUUID())).toBe('accepted')
    expect(await a.check(id)).toBe('consent_already_used')
  })

  it('without minReplicas, a mark the replica never received is lost in the failover: the consent is accepted twice (the documented window)', async () => {
    const a = await instance(0, true)
    const primary = await setup.currentPrimary()
    const replica = await replicaOf(primary)
    const id = randomUUID()
    // Cut replication as a network partition or a lagging replica would: the replica is frozen
    // and the primary drops its link, so the next write stays on the primary alone.
    replica.pause()
    try {
      const admin = adminClient(primary.port)
      try {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'replica')
      } finally {
        admin.disconnect()
      }
      expect(await a.check(id)).toBe('accepted')
      await primary.kill()
    } finally {
      replica.resume()
    }
    await setup.waitForFailover(primary.port)
    const answers: string[] = []
    // What the durability option prevents: the promoted replica has no record of the first use.
    expect(await a.checkUntilAnswered(id, answers)).toBe('accepted')
  })
})
