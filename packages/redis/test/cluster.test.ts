/**
 * One-time consents on a real Redis Cluster: 3 primaries with one replica each, all
 * `redis-server` processes on 127.0.0.1, started once for the file (issue 17). The failover test
 * runs last: it kills a primary.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import {
  createConsentGuard,
  headersFromRecord,
  isConsentGuardError,
  oneTimeRecordKey,
  tokenRecordKey,
  type VerifiedConsent,
} from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import { describeWithRedis, type RedisServer } from './support/redis-server.js'
import { adminClient, startCluster, waitFor, type ClusterSetup } from './support/redis-topology.js'

const SCOPE = 'example:loan'
const RESOURCE = 'example-loan-check'
const PERSON = TEST_IDENTITIES.personA
const TIMEOUTS = { commandTimeoutMs: 3_000, replicaAckTimeoutMs: 1_000 }
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

describeWithRedis('one-time consents on Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: ClusterSetup
  let issuer: TestIssuer
  const cleanup: Array<() => Promise<void>> = []

  /** One API instance with its own Cluster client. */
  async function instance(minReplicas = 0) {
    // Generous timeouts: a loaded CI machine must not turn the race's one winner into a 503.
    const store = createRedisConsentUseStore({ nodes: cluster.addresses.slice(0, 2), minReplicas, ...TIMEOUTS })
    cleanup.push(() => store.close())
    await store.ready()
    const guard = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, store, storeTimeoutMs: 5_000 })
    const route = guard.compile<{ personId: string }>({ scope: SCOPE, resource: RESOURCE, subject: (req) => req.personId, oneTime: true })
    const check = async (id: string): Promise<string> => {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { id, from: { person: PERSON }, resource: RESOURCE } })
      return outcome(
        guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { personId: PERSON } }, route),
      )
    }
    /** Retries while the store is unavailable (failover, stale slot map); every answer is recorded. */
    const checkUntilAnswered = async (id: string, answers: string[] = [], timeoutMs = 20_000): Promise<string> => {
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

  /** One command on one node, over a short-lived admin connection. */
  const run = async (node: RedisServer, ...args: Array<string | number>): Promise<unknown> => {
    const admin = adminClient(node.port)
    try {
      return await admin.call(String(args[0]), ...args.slice(1))
    } finally {
      admin.disconnect()
    }
  }

  const keyOf = (id: string): string => oneTimeRecordKey(issuer.issuer, id, RESOURCE)

  /** A consent id whose record lives on `node`. */
  const idOn = async (node: RedisServer): Promise<string> => {
    for (;;) {
      const id = randomUUID()
      if ((await cluster.primaryFor(keyOf(id))) === node) return id
    }
  }

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3 })
    issuer = await createTestIssuer()
  }, 60_000)
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    await issuer?.close()
    await cluster?.stop()
  })

  for (const minReplicas of [0, 1]) {
    it(`race (minReplicas ${minReplicas}): of 20 concurrent requests over two guard instances, exactly one is accepted`, async () => {
      const a = await instance(minReplicas)
      const b = await instance(minReplicas)
      for (let round = 0; round < 3; round++) {
        const id = randomUUID()
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).check(id)))
        expect(results.filter((r) => r === 'accepted')).toHaveLength(1)
        expect(results.filter((r) => r === 'consent_already_used')).toHaveLength(19)
        const primary = await cluster.primaryFor(keyOf(id))
        const admin = adminClient(primary.port)
        try {
          await expect(admin.exists(keyOf(id))).resolves.toBe(1)
        } finally {
          admin.disconnect()
        }
      }
    })
  }

  it('the consent record and the token record may live on different nodes: each command touches one key', async () => {
    const a = await instance(1)
    // One consent on each primary.
    const ids = [
      await idOn(cluster.nodes[0] as RedisServer),
      await idOn(cluster.nodes[1] as RedisServer),
      await idOn(cluster.nodes[2] as RedisServer),
    ]
    for (const id of ids) expect(await a.check(id)).toBe('accepted')
    const nodes = new Set<RedisServer>()
    for (const id of ids) nodes.add(await cluster.primaryFor(keyOf(id)))
    // The consents live on three primaries, and each was accepted once.
    expect(nodes.size).toBe(3)
    for (const id of ids) expect(await a.check(id)).toBe('consent_already_used')
    expect(tokenRecordKey('i', 'j', RESOURCE)).not.toBe(keyOf('j'))
  })

  it('resharding: a slot being migrated (ASK) and then moved (MOVED) never gives two 200s for one consent', async () => {
    const plain = await instance(0)
    const durable = await instance(1)
    const source = cluster.nodes[1] as RedisServer
    const target = cluster.nodes[2] as RedisServer
    const consents = [
      { id: await idOn(source), via: plain },
      { id: await idOn(source), via: durable },
    ]
    const seen = new Map<string, string[]>(consents.map((c) => [c.id, []]))
    const ask = async (c: (typeof consents)[number], until = false) => {
      const result = until ? await c.via.checkUntilAnswered(c.id) : await c.via.check(c.id)
      seen.get(c.id)?.push(result)
      return result
    }
    const slots = new Set(await Promise.all(consents.map(async (c) => Number(await run(source, 'CLUSTER', 'KEYSLOT', keyOf(c.id))))))
    const sourceId = String(await run(source, 'CLUSTER', 'MYID'))
    const targetId = String(await run(target, 'CLUSTER', 'MYID'))
    for (const slot of slots) {
      await run(target, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId)
      await run(source, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId)
    }
    // Migrating: the source does not have the key, so it answers ASK and the target takes the SET.
    for (const c of consents) for (let i = 0; i < 2; i++) await ask(c)
    for (const slot of slots) {
      // As a real resharding does, move the keys the source still holds in the slot first: earlier
      // tests' records (token keys hash to random slots) may live there, and Redis refuses to hand
      // over a slot with keys left behind. The consents under test are not among them (ASK wrote
      // them to the target).
      for (;;) {
        const keys = (await run(source, 'CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
        if (keys.length === 0) break
        for (const c of consents) expect(keys).not.toContain(keyOf(c.id))
        await run(source, 'MIGRATE', target.host, target.port, '', 0, 5000, 'KEYS', ...keys)
      }
      // SETSLOT goes to the primaries (nodes 0..2 until the failover test runs).
      for (const node of cluster.nodes.slice(0, 3)) await run(node, 'CLUSTER', 'SETSLOT', slot, 'NODE', targetId)
    }
    // Moved: the clients still send to the source until its MOVED updates them.
    for (const c of consents) for (let i = 0; i < 2; i++) await ask(c, true)
    for (const c of consents) {
      const answers = seen.get(c.id) ?? []
      for (const r of answers) expect(['accepted', 'consent_already_used', 'store_unavailable']).toContain(r)
      const accepted = answers.filter((r) => r === 'accepted').length
      expect(accepted).toBeLessThanOrEqual(1)
      // Used exactly once over its life, and recorded on the slot's new owner.
      expect(await plain.checkUntilAnswered(c.id)).toBe(accepted === 1 ? 'consent_already_used' : 'accepted')
      expect(await run(target, 'EXISTS', keyOf(c.id))).toBe(1)
    }
    // The plain consent went through ASK at once: a redirect is followed, not turned into a 503.
    expect(seen.get(consents[0]?.id as string)?.[0]).toBe('accepted')
  })

  it('a primary killed: 503 during the failover (never a crash, never a 200 without a mark), then served by the promoted replica', async () => {
    const durable = await instance(1)
    const plain = await instance(0)
    const victim = cluster.nodes[0] as RedisServer
    const used = await idOn(victim)
    expect(await durable.check(used)).toBe('accepted')
    await victim.kill()

    const answers: string[] = []
    const fresh = await (async () => {
      // A consent nobody used, on the failed slot range; its id is fixed before the failover.
      for (;;) {
        const id = randomUUID()
        const admin = adminClient((cluster.nodes[1] as RedisServer).port)
        try {
          const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', keyOf(id)))
          if (slot < 5000) return id
        } finally {
          admin.disconnect()
        }
      }
    })()
    expect(await plain.checkUntilAnswered(fresh, answers)).toBe('accepted')
    expect(answers.slice(0, -1).every((r) => r === 'store_unavailable')).toBe(true)
    // The mark confirmed by a replica before the kill survived the failover.
    const durableAnswers: string[] = []
    expect(await durable.checkUntilAnswered(used, durableAnswers)).toBe('consent_already_used')
    expect(durableAnswers.slice(0, -1).every((r) => r === 'store_unavailable')).toBe(true)
    expect(await plain.check(fresh)).toBe('consent_already_used')
    // The promoted replica has no replica of its own: durable marks there are refused (503).
    const promoted = await cluster.primaryFor(keyOf(used))
    expect(promoted).not.toBe(victim)
    expect(await durable.check(await idOn(promoted))).toBe('store_unavailable')
    // The old primary comes back (empty) and rejoins as the promoted node's replica.
    await victim.restart()
    await cluster.waitUntilOk()
    await waitFor('the restarted node to replicate', async () => {
      const admin = adminClient(victim.port)
      try {
        const info = await admin.info('replication')
        return info.includes('role:slave') && info.includes(`master_port:${promoted.port}`) && info.includes('master_link_status:up')
      } finally {
        admin.disconnect()
      }
    })
    expect(await durable.checkUntilAnswered(await idOn(promoted))).toBe('accepted')
  })
})
