import { randomUUID } from 'node:crypto'
import { Redis, type Cluster } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConsentGuardConfigError } from '@consent-guard/core'
import { createRedisConsentUseStore, parseRedisNodeList, type RedisCommandClient, type RedisConsentUseStore } from '@consent-guard/redis'
import { describeWithRedis, startRedisServer, freePort, type RedisServer } from './support/redis-server.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// Compile-time check: ioredis clients (standalone and cluster) fit the structural client type.
const _fitsRedis: (r: Redis) => RedisCommandClient = (r) => r
const _fitsCluster: (c: Cluster) => RedisCommandClient = (c) => c
void _fitsRedis
void _fitsCluster

describe('createRedisConsentUseStore options', () => {
  it('rejects a bad commandTimeoutMs, keyPrefix, client, or client together with url', () => {
    expect(() => createRedisConsentUseStore({ commandTimeoutMs: 0, options: { lazyConnect: true } })).toThrow(/commandTimeoutMs/)
    expect(() => createRedisConsentUseStore({ commandTimeoutMs: Number.NaN, options: { lazyConnect: true } })).toThrow(/commandTimeoutMs/)
    expect(() => createRedisConsentUseStore({ keyPrefix: 1 as never, options: { lazyConnect: true } })).toThrow(/keyPrefix/)
    expect(() => createRedisConsentUseStore({ client: {} as never })).toThrow(/client/)
    const fake: RedisCommandClient = { set: async () => 'OK', del: async () => 1 }
    expect(() => createRedisConsentUseStore({ client: fake, url: 'redis://127.0.0.1:1' } as never)).toThrow(/not both/)
  })

  it('validates Sentinel, Cluster and durability options at start-up; unknown names are errors', () => {
    const lazy = { options: { lazyConnect: true } }
    const node = { host: '127.0.0.1', port: 26379 }
    expect(() => createRedisConsentUseStore({ ...lazy, urll: 'redis://x' } as never)).toThrow(ConsentGuardConfigError)
    expect(() => createRedisConsentUseStore({ ...lazy, urll: 'redis://x' } as never)).toThrow(
      expect.objectContaining({ code: 'option_unknown', message: expect.stringContaining('unknown option "urll"') }),
    )
    expect(() => createRedisConsentUseStore({ ...lazy, sentinels: [node] })).toThrow(/"sentinels" and "name" go together/)
    expect(() => createRedisConsentUseStore({ ...lazy, name: 'mymaster' })).toThrow(/go together/)
    expect(() => createRedisConsentUseStore({ ...lazy, sentinels: [], name: 'm' })).toThrow(/non-empty array/)
    expect(() => createRedisConsentUseStore({ ...lazy, nodes: [{ host: 'h', port: 0 }] })).toThrow(/nodes/)
    expect(() => createRedisConsentUseStore({ ...lazy, url: 'redis://x', nodes: [node] })).toThrow(/only one of/)
    expect(() => createRedisConsentUseStore({ ...lazy, clusterOptions: {} })).toThrow(/needs "nodes"/)
    expect(() => createRedisConsentUseStore({ ...lazy, minReplicas: -1 })).toThrow(/minReplicas/)
    expect(() => createRedisConsentUseStore({ ...lazy, minReplicas: 1.5 })).toThrow(/minReplicas/)
    expect(() => createRedisConsentUseStore({ ...lazy, replicaAckTimeoutMs: 500 })).toThrow(/below "commandTimeoutMs"/)
    const fake: RedisCommandClient = { set: async () => 'OK', del: async () => 1 }
    expect(() => createRedisConsentUseStore({ client: fake, minReplicas: 1 })).toThrow(/pipeline/)
  })

  it('parseRedisNodeList reads host:port lists (REDIS_SENTINELS, REDIS_CLUSTER_NODES)', () => {
    expect(parseRedisNodeList('10.0.0.1:26379, sentinel-b:26380,[::1]:7000')).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-b', port: 26380 },
      { host: '::1', port: 7000 },
    ])
    for (const bad of ['', 'host', 'host:0', 'host:65536', 'a:1:2', 'redis://h:1']) {
      expect(() => parseRedisNodeList(bad, 'REDIS_SENTINELS')).toThrow(/REDIS_SENTINELS/)
    }
  })

  it('with minReplicas, sends SET NX and WAIT in one pipeline; too few replicas → reject and delete its own mark', async () => {
    const calls: unknown[][] = []
    let replicas = 1
    const fake: RedisCommandClient = {
      set: async () => 'OK',
      del: async () => 1,
      eval: async (...args) => {
        calls.push(['eval', ...args])
        return 1
      },
      pipeline: () => {
        const queued: unknown[][] = []
        const p = {
          set: (...args: unknown[]) => (queued.push(['set', ...args]), p),
          wait: (...args: unknown[]) => (queued.push(['wait', ...args]), p),
          exec: async () => {
            calls.push(...queued)
            return [
              [null, 'OK'],
              [null, replicas],
            ] as Array<[Error | null, unknown]>
          },
        }
        return p
      },
    }
    const store = createRedisConsentUseStore({ client: fake, minReplicas: 1, commandTimeoutMs: 400 })
    await expect(store.markUsed('k', 1000)).resolves.toBe(true)
    expect(calls).toEqual([
      ['set', 'k', expect.stringMatching(/^\d{4}-.+ \S{16}$/), 'PX', 1000, 'NX'],
      ['wait', 1, 200],
    ])
    replicas = 0
    calls.length = 0
    await expect(store.markUsed('k', 1000)).rejects.toThrow(/0 of 1 replicas/)
    const value = calls[0]?.[2]
    expect(calls[2]).toEqual(['eval', expect.stringContaining("redis.call('GET', KEYS[1]) == ARGV[1]"), 1, 'k', value])
  })

  it('a nil reply to a command the client sent twice counts as set when the key holds this call’s own value', async () => {
    const stored = new Map<string, string>()
    // Like a Cluster client resending SET after a closed connection: the first copy ran.
    const resending: RedisCommandClient = {
      set: async (key, value) => (stored.has(key) ? null : (stored.set(key, value), null)),
      del: async () => 1,
      get: async (key) => stored.get(key) ?? null,
    }
    const store = createRedisConsentUseStore({ client: resending })
    await expect(store.markUsed('k', 1000)).resolves.toBe(true)
    // Another call (another value) is refused as reuse.
    await expect(store.markUsed('k', 1000)).resolves.toBe(false)
  })

  it('an already aborted signal rejects without sending anything', async () => {
    let sent = 0
    const store = createRedisConsentUseStore({ client: { set: async () => (sent++, 'OK'), del: async () => 1 } })
    await expect(store.markUsed('k', 1000, { signal: AbortSignal.abort() })).rejects.toThrow(/gave up/)
    expect(sent).toBe(0)
  })

  it('prefixes keys, sends SET NX PX with a whole-ms TTL, and maps OK/null to first use/reuse', async () => {
    const calls: unknown[][] = []
    let reply: 'OK' | null = 'OK'
    const fake: RedisCommandClient = {
      set: async (...args) => {
        calls.push(['set', ...args])
        return reply
      },
      del: async (...args) => {
        calls.push(['del', ...args])
        return 1
      },
    }
    const store = createRedisConsentUseStore({ client: fake, keyPrefix: 'api-1:' })
    await expect(store.markUsed('k', 1500.2)).resolves.toBe(true)
    reply = null
    await expect(store.markUsed('k', 1500)).resolves.toBe(false)
    await store.release('k')
    expect(calls[0]).toEqual(['set', 'api-1:k', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'PX', 1501, 'NX'])
    expect(calls[2]).toEqual(['del', 'api-1:k'])
    await expect(store.markUsed('k', 0)).rejects.toThrow(RangeError)
    await expect(store.markUsed('', 1000)).rejects.toThrow(TypeError)
  })

  it('rejects an unexpected SET reply instead of guessing', async () => {
    const store = createRedisConsentUseStore({ client: { set: async () => 'QUEUED' as never, del: async () => 0 } })
    await expect(store.markUsed('k', 1000)).rejects.toThrow(/unexpected reply/)
  })

  it('bounds a passed-in client that never answers by commandTimeoutMs', async () => {
    const hanging: RedisCommandClient = { set: () => new Promise(() => {}), del: () => new Promise(() => {}) }
    const store = createRedisConsentUseStore({ client: hanging, commandTimeoutMs: 50 })
    const started = Date.now()
    await expect(store.markUsed('k', 1000)).rejects.toThrow(/timed out after 50 ms/)
    await expect(store.release('k')).rejects.toThrow(/timed out/)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('fails fast, without queueing, when nothing listens on the port', async () => {
    const port = await freePort()
    const store = createRedisConsentUseStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 2000 })
    try {
      const started = Date.now()
      await expect(store.markUsed('k', 1000)).rejects.toThrow()
      // Far below commandTimeoutMs: the command was refused, not queued until the timeout.
      expect(Date.now() - started).toBeLessThan(500)
      await expect(store.ready(200)).rejects.toThrow(/not ready after 200 ms/)
    } finally {
      await store.close()
    }
  })
})

describeWithRedis('RedisConsentUseStore against a private redis-server', () => {
  let redis: RedisServer
  let admin: Redis
  const stores: RedisConsentUseStore[] = []

  const newStore = async (options: { keyPrefix?: string } = {}): Promise<RedisConsentUseStore> => {
    const store = createRedisConsentUseStore({ url: redis.url, ...options })
    stores.push(store)
    await store.ready()
    return store
  }

  beforeAll(async () => {
    redis = await startRedisServer()
    admin = new Redis(redis.url, { maxRetriesPerRequest: 0 })
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })
  afterAll(async () => {
    admin?.disconnect()
    await redis?.stop()
  })

  it('records the first use and refuses the second', async () => {
    const store = await newStore()
    const key = `test:${randomUUID()}`
    await expect(store.markUsed(key, 60_000)).resolves.toBe(true)
    await expect(store.markUsed(key, 60_000)).resolves.toBe(false)
    // The record is in Redis, with the TTL asked for and the time of use as value.
    const pttl = await admin.pttl(key)
    expect(pttl).toBeGreaterThan(55_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
    // The value is "<ISO time of use> <random>": the random part makes every mark unique, so a
    // late mark is released only by compare-and-delete of its own value.
    const [time, nonce] = ((await admin.get(key)) ?? '').split(' ')
    expect(Date.parse(time ?? '')).toBeGreaterThan(Date.now() - 60_000)
    expect(nonce).toMatch(/^[\w-]{16}$/)
  })

  it('a second store (another instance) sees the record of the first', async () => {
    const a = await newStore()
    const b = await newStore()
    const key = `test:${randomUUID()}`
    await expect(a.markUsed(key, 60_000)).resolves.toBe(true)
    await expect(b.markUsed(key, 60_000)).resolves.toBe(false)
  })

  it('forgets a record after its TTL', async () => {
    const store = await newStore()
    const key = `test:${randomUUID()}`
    await expect(store.markUsed(key, 200)).resolves.toBe(true)
    await expect(store.markUsed(key, 200)).resolves.toBe(false)
    await sleep(300)
    await expect(admin.exists(key)).resolves.toBe(0)
    await expect(store.markUsed(key, 200)).resolves.toBe(true)
  })

  it('release deletes the record, so the key can be used once more', async () => {
    const store = await newStore()
    const key = `test:${randomUUID()}`
    await expect(store.markUsed(key, 60_000)).resolves.toBe(true)
    await store.release(key)
    await expect(admin.exists(key)).resolves.toBe(0)
    await expect(store.markUsed(key, 60_000)).resolves.toBe(true)
    await expect(store.markUsed(key, 60_000)).resolves.toBe(false)
    await expect(store.release(`test:${randomUUID()}`)).resolves.toBeUndefined()
  })

  it('keeps stores with different key prefixes apart', async () => {
    const a = await newStore({ keyPrefix: 'api-a:' })
    const b = await newStore({ keyPrefix: 'api-b:' })
    const key = `test:${randomUUID()}`
    await expect(a.markUsed(key, 60_000)).resolves.toBe(true)
    await expect(b.markUsed(key, 60_000)).resolves.toBe(true)
    await expect(admin.exists(`api-a:${key}`, `api-b:${key}`)).resolves.toBe(2)
    await expect(admin.exists(key)).resolves.toBe(0)
  })

  it('exactly one of 50 concurrent markUsed calls on two connections wins', async () => {
    const a = await newStore()
    const b = await newStore()
    const key = `test:${randomUUID()}`
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).markUsed(key, 60_000)))
    expect(results.filter((r) => r).length).toBe(1)
  })

  it('close() quits a client it created, and leaves a passed-in client open', async () => {
    const own = createRedisConsentUseStore({ url: redis.url })
    await own.ready()
    await own.close()
    await own.close()
    await expect(own.markUsed(`test:${randomUUID()}`, 1000)).rejects.toThrow()
    await expect(own.ready(100)).rejects.toThrow(/closed/)

    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 })
    try {
      const borrowed = createRedisConsentUseStore({ client })
      await borrowed.ready()
      await expect(borrowed.markUsed(`test:${randomUUID()}`, 1000)).resolves.toBe(true)
      await borrowed.close()
      await expect(client.ping()).resolves.toBe('PONG')
      await expect(borrowed.markUsed(`test:${randomUUID()}`, 1000)).resolves.toBe(true)
    } finally {
      client.disconnect()
    }
  })
})
