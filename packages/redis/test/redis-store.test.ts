import { randomUUID } from 'node:crypto'
import { Redis, type Cluster } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRedisConsentUseStore, type RedisCommandClient, type RedisConsentUseStore } from '@consent-guard/redis'
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
    expect(Date.parse((await admin.get(key)) ?? '')).toBeGreaterThan(Date.now() - 60_000)
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
