import { Redis, type RedisOptions } from 'ioredis'
import type { ConsentUseStore } from '@consent-guard/core'

/**
 * The two commands the store sends. An ioredis `Redis` or `Cluster` instance fits; so does any
 * wrapper with the same call shape.
 */
export interface RedisCommandClient {
  /** `SET key value PX ttl NX`: `'OK'` when set, `null` when the key already existed. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>
  /** `DEL key`: the number of keys removed. */
  del(key: string): Promise<number>
}

/** Options shared by both ways of creating the store. */
export interface RedisConsentUseStoreCommonOptions {
  /**
   * Prepended to every record key, e.g. `'my-api:'` when several applications share one Redis
   * database. The guard's keys already start with `consent-guard:used:v1:`. Default `''`.
   * (An ioredis `keyPrefix` configured on the client applies on top of this.)
   */
  readonly keyPrefix?: string
  /**
   * Give up on one Redis command after this many ms and reject, so the guard answers 503
   * `store_unavailable`. Keep it below the guard's `storeTimeoutMs` (default 1000). Default 500.
   */
  readonly commandTimeoutMs?: number
}

/** Use a client you created and own. {@link RedisConsentUseStore.close} leaves it open. */
export interface RedisConsentUseStoreClientOptions extends RedisConsentUseStoreCommonOptions {
  /**
   * An ioredis `Redis` or `Cluster` (or anything with {@link RedisCommandClient}'s shape). Its
   * own settings decide how it queues and retries while disconnected: for fail-fast behaviour
   * create it with `enableOfflineQueue: false` and a small `maxRetriesPerRequest` (see
   * {@link FAIL_FAST_REDIS_OPTIONS}); `commandTimeoutMs` bounds each call in any case.
   */
  readonly client: RedisCommandClient
}

/** Let the store create (and own) an ioredis client. */
export interface RedisConsentUseStoreConnectionOptions extends RedisConsentUseStoreCommonOptions {
  readonly client?: undefined
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://...` for TLS. Default: ioredis's (`127.0.0.1:6379`). */
  readonly url?: string
  /**
   * ioredis options, applied over {@link FAIL_FAST_REDIS_OPTIONS}. Overriding
   * `enableOfflineQueue`, `maxRetriesPerRequest` or `autoResendUnfulfilledCommands` gives up the
   * fail-fast behaviour described there.
   */
  readonly options?: RedisOptions
  /**
   * Called with connection errors of the created client (refused, reset, DNS). Default: ignored,
   * because every request that needs the store already ends in a 503 that the guard logs at
   * warn level; pass your logger here to see the cause.
   */
  readonly onError?: (error: Error) => void
}

/** Options of {@link createRedisConsentUseStore}: an existing `client`, or `url`/`options`. */
export type RedisConsentUseStoreOptions = RedisConsentUseStoreClientOptions | RedisConsentUseStoreConnectionOptions

/** The store, plus lifecycle helpers. */
export interface RedisConsentUseStore extends ConsentUseStore {
  /**
   * Resolves once the client is connected and ready (immediately for a client without a
   * `status`). Await it before accepting traffic: until then one-time routes answer 503. Rejects
   * after `timeoutMs` (default 10 000).
   */
  ready(timeoutMs?: number): Promise<void>
  /**
   * Closes the client when the store created it (`QUIT`, or a hard disconnect when Redis is
   * unreachable), which also stops reconnecting. A client passed in as `client` is left open:
   * its owner closes it. Idempotent.
   */
  close(): Promise<void>
}

/**
 * ioredis settings that make a created client fail fast instead of queueing requests while Redis
 * is down, and reconnect on its own so the store recovers when Redis comes back:
 * - `enableOfflineQueue: false`: a command issued while disconnected rejects at once.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the connection drops rejects; it is never sent again later, after the guard answered.
 * - `retryStrategy`: reconnect forever, waiting 50 ms more per attempt up to 1 s.
 * - `connectTimeout: 2000`: a connection attempt to an unresponsive host ends after 2 s.
 */
export const FAIL_FAST_REDIS_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times: number) => Math.min(times * 50, 1000),
  connectTimeout: 2000,
})

const DEFAULT_COMMAND_TIMEOUT_MS = 500

/**
 * Creates a {@link ConsentUseStore} on Redis, for APIs that run on more than one instance: every
 * instance sees the same "used" records. A consent is marked with one atomic
 * `SET <prefix><key> <timestamp> NX PX <ttl>`, so among any number of concurrent requests for
 * the same consent, on any number of instances, exactly one wins. `release` is `DEL`.
 *
 * Every failure (Redis down, slow, refusing the command) rejects, and the guard answers
 * 503 `store_unavailable`: a one-time consent is never accepted without a record.
 *
 * @example
 * const store = createRedisConsentUseStore({ url: process.env.REDIS_URL })
 * await store.ready()
 * const guard = createConsentGuard({ maskinporten: 'prod', store })
 * // on shutdown:
 * await store.close()
 */
export function createRedisConsentUseStore(options: RedisConsentUseStoreOptions = {}): RedisConsentUseStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRedisConsentUseStore: options must be an object')
  const keyPrefix = options.keyPrefix ?? ''
  if (typeof keyPrefix !== 'string') throw new TypeError('createRedisConsentUseStore: "keyPrefix" must be a string')
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new TypeError('createRedisConsentUseStore: "commandTimeoutMs" must be a positive number')
  }

  let client: RedisCommandClient
  let owned: Redis | undefined
  if (options.client !== undefined) {
    const given = options as RedisConsentUseStoreClientOptions & { url?: unknown; options?: unknown }
    if (given.url !== undefined || given.options !== undefined) {
      throw new TypeError('createRedisConsentUseStore: give either "client" or "url"/"options", not both')
    }
    if (typeof given.client.set !== 'function' || typeof given.client.del !== 'function') {
      throw new TypeError('createRedisConsentUseStore: "client" must be a Redis client (ioredis Redis or Cluster)')
    }
    client = given.client
  } else {
    const redisOptions: RedisOptions = { ...FAIL_FAST_REDIS_OPTIONS, commandTimeout: commandTimeoutMs, ...options.options }
    owned = options.url === undefined ? new Redis(redisOptions) : new Redis(options.url, redisOptions)
    // Without a listener ioredis prints every connection error to stderr.
    const onError = options.onError ?? (() => {})
    owned.on('error', onError)
    client = owned
  }

  const withTimeout = <T>(command: string, promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consent-guard redis: ${command} timed out after ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      )
    })
    // A late rejection of the command must not surface as an unhandled rejection.
    promise.catch(() => {})
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  let closed = false
  return {
    async markUsed(key: string, ttlMs: number): Promise<boolean> {
      if (typeof key !== 'string' || key === '') throw new TypeError('consent-guard redis: key must be a non-empty string')
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('consent-guard redis: ttlMs must be a positive number')
      // The value is informational (when the consent was used); only the key's presence counts.
      const reply = await withTimeout('SET', client.set(keyPrefix + key, new Date().toISOString(), 'PX', Math.ceil(ttlMs), 'NX'))
      if (reply === 'OK') return true
      if (reply === null) return false
      throw new Error('consent-guard redis: unexpected reply to SET NX')
    },

    async release(key: string): Promise<void> {
      if (typeof key !== 'string' || key === '') throw new TypeError('consent-guard redis: key must be a non-empty string')
      await withTimeout('DEL', client.del(keyPrefix + key))
    },

    async ready(timeoutMs = 10_000): Promise<void> {
      const target = client as Partial<Pick<Redis, 'status' | 'once' | 'off'>>
      if (typeof target.status !== 'string' || typeof target.once !== 'function' || typeof target.off !== 'function') return
      if (target.status === 'ready') return
      if (target.status === 'end') throw new Error('consent-guard redis: the client is closed')
      const once = target.once.bind(client)
      const off = target.off.bind(client)
      await new Promise<void>((resolve, reject) => {
        const onReady = (): void => {
          clearTimeout(timer)
          off('end', onEnd)
          resolve()
        }
        const onEnd = (): void => {
          clearTimeout(timer)
          off('ready', onReady)
          reject(new Error('consent-guard redis: the client was closed before it became ready'))
        }
        const timer = setTimeout(() => {
          off('ready', onReady)
          off('end', onEnd)
          reject(new Error(`consent-guard redis: not ready after ${timeoutMs} ms`))
        }, timeoutMs)
        once('ready', onReady)
        once('end', onEnd)
      })
    },

    async close(): Promise<void> {
      if (closed || owned === undefined) return
      closed = true
      if (owned.status === 'ready') {
        try {
          await withTimeout('QUIT', owned.quit())
          return
        } catch {
          // Fall through to a hard disconnect.
        }
      }
      owned.disconnect()
    },
  }
}
