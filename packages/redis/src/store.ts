import type { Cluster, Redis } from 'ioredis'
import type { MarkUsedOptions } from '@consent-guard/core'
import { createClient } from './client.js'
import { bounded, COMPARE_AND_DELETE, LateMarkReleaser, markValue } from './late-marks.js'
import { resolveOptions, type RedisCommandClient, type RedisConsentUseStore, type RedisConsentUseStoreOptions } from './options.js'

/** What one `SET NX` (plus `WAIT`) answered. */
interface MarkReply {
  readonly set: 'OK' | null
  /** Replicas that confirmed, when `WAIT` was sent. */
  readonly replicas?: number
}

/**
 * Creates a `ConsentUseStore` (from `@consent-guard/core`) on Redis, for APIs that run on more than one instance: every
 * instance sees the same "used" records. A consent is marked with one atomic
 * `SET <prefix><key> <time of use + random> NX PX <ttl>`, so among any number of concurrent
 * requests for the same consent, on any number of instances, exactly one wins. `release` is `DEL`.
 *
 * Every failure (Redis down, slow, refusing the command, too few replicas with `minReplicas`)
 * rejects, and the guard answers 503 `store_unavailable`: a one-time consent is never accepted
 * without a record. A mark that lands after its request was answered 503 is deleted again (by
 * compare-and-delete on its unique value) once Redis answers.
 *
 * Connect to one server (`url`), a Sentinel-managed primary (`sentinels` + `name`), a Redis
 * Cluster (`nodes`), or pass your own ioredis `client`.
 *
 * @example
 * const store = createRedisConsentUseStore({ url: process.env.REDIS_URL })
 * await store.ready()
 * const guard = createConsentGuard({ maskinporten: 'prod', store })
 * // on shutdown:
 * await store.close()
 */
export function createRedisConsentUseStore(options: RedisConsentUseStoreOptions = {}): RedisConsentUseStore {
  const { keyPrefix, commandTimeoutMs, minReplicas, replicaAckTimeoutMs } = resolveOptions(options)

  let client: RedisCommandClient
  let owned: Redis | Cluster | undefined
  if (options.client !== undefined) {
    client = options.client
  } else {
    owned = createClient(options)
    client = owned
  }
  const late = new LateMarkReleaser(client, commandTimeoutMs)

  /** `SET NX`, followed on the same connection by `WAIT` when replicas must confirm. */
  async function sendMark(key: string, value: string, ttlMs: number): Promise<MarkReply> {
    if (minReplicas === 0) return { set: await client.set(key, value, 'PX', ttlMs, 'NX') }
    const pipeline = client.pipeline!()
    pipeline.set(key, value, 'PX', ttlMs, 'NX')
    pipeline.wait(minReplicas, replicaAckTimeoutMs)
    const results = await pipeline.exec()
    const [setResult, waitResult] = results ?? []
    if (setResult === undefined || waitResult === undefined) throw new Error('consent-guard redis: pipeline was discarded')
    if (setResult[0] !== null) throw setResult[0]
    const set = setResult[1] as 'OK' | null
    // A failed WAIT is "not confirmed": the mark is released below like an unconfirmed one.
    return { set, replicas: waitResult[0] === null ? Number(waitResult[1]) : -1 }
  }

  /**
   * Whether `key` holds this call's value although `SET NX` answered `nil`: a Cluster client
   * sends a command again when its connection closed, and the first copy may have run.
   */
  async function ownMark(key: string, value: string, ms: number): Promise<boolean> {
    if (typeof client.get !== 'function') return false
    return (await bounded(client.get(key), Math.max(ms, 1), 'GET')) === value
  }

  /** Deletes this call's mark now if Redis answers within `ms`, else in the background. */
  async function releaseMark(key: string, value: string, ttlMs: number, ms: number): Promise<void> {
    if (typeof client.eval !== 'function') {
      await bounded(client.del(key), ms, 'DEL').catch(() => undefined)
      return
    }
    try {
      await bounded(client.eval(COMPARE_AND_DELETE, 1, key, value), Math.max(ms, 1), 'EVAL')
    } catch {
      late.release(key, value, ttlMs)
    }
  }

  let closed = false
  /** Marks of requests answered 503 whose SET has not answered yet. */
  let unsettled = 0
  return {
    async markUsed(key: string, ttlMs: number, callOptions?: MarkUsedOptions): Promise<boolean> {
      if (typeof key !== 'string' || key === '') throw new TypeError('consent-guard redis: key must be a non-empty string')
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('consent-guard redis: ttlMs must be a positive number')
      const signal = callOptions?.signal
      if (signal?.aborted === true) throw new Error('consent-guard redis: the guard gave up before the mark was sent')
      const fullKey = keyPrefix + key
      const ttl = Math.ceil(ttlMs)
      const value = markValue()
      const started = Date.now()
      const sent = Promise.resolve().then(() => sendMark(fullKey, value, ttl))

      let onAbort: (() => void) | undefined
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error('consent-guard redis: the guard gave up waiting (storeTimeoutMs)'))
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      aborted.catch(() => {})
      let reply: MarkReply
      try {
        reply = await bounded(Promise.race([sent, aborted]), commandTimeoutMs, 'SET')
      } catch (err) {
        unsettled++
        // The request gets a 503, but the SET may run later (Redis paused, reply lost): once
        // its outcome is known, a mark it wrote is deleted; an unknown outcome is deleted by
        // compare-and-delete when Redis answers again.
        sent
          .then(
            // A nil may hide this call's own mark (a resent copy): compare-and-delete covers both.
            (answer) => (answer.set === 'OK' ? releaseMark(fullKey, value, ttl, commandTimeoutMs) : late.release(fullKey, value, ttl)),
            () => late.release(fullKey, value, ttl),
          )
          .finally(() => unsettled--)
        throw err
      } finally {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      }
      if (reply.set === null) {
        let own: boolean
        try {
          own = await ownMark(fullKey, value, commandTimeoutMs - (Date.now() - started))
        } catch (err) {
          late.release(fullKey, value, ttl) // in case it was ours
          throw err
        }
        if (!own) return false
      }
      if (reply.set !== 'OK' && reply.set !== null) {
        await releaseMark(fullKey, value, ttl, commandTimeoutMs - (Date.now() - started))
        throw new Error('consent-guard redis: unexpected reply to SET NX')
      }
      if (reply.replicas !== undefined && reply.replicas < minReplicas) {
        // Not durable: a failover now could lose the mark. Take it back and let the consumer retry.
        await releaseMark(fullKey, value, ttl, commandTimeoutMs - (Date.now() - started))
        throw new Error(`consent-guard redis: ${Math.max(reply.replicas, 0)} of ${minReplicas} replicas confirmed the mark in time`)
      }
      return true
    },

    async release(key: string): Promise<void> {
      if (typeof key !== 'string' || key === '') throw new TypeError('consent-guard redis: key must be a non-empty string')
      await bounded(client.del(keyPrefix + key), commandTimeoutMs, 'DEL')
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

    get pendingReleases(): number {
      return unsettled + late.size
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      late.close()
      if (owned === undefined) return
      if (owned.status === 'ready') {
        try {
          await bounded(owned.quit(), commandTimeoutMs, 'QUIT')
          return
        } catch {
          // Fall through to a hard disconnect.
        }
      }
      owned.disconnect()
    },
  }
}
