import { randomBytes } from 'node:crypto'
import type { RedisCommandClient } from './options.js'

/**
 * Deletes the key only while it still holds this mark's value: a late release never removes a
 * mark that another request (another value) set after ours expired or was released.
 */
export const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/**
 * The value of one mark: the time of use (informational, for operators) and a random part that
 * makes it unique, so that only this call's mark is ever released by compare-and-delete.
 */
export function markValue(now = new Date()): string {
  return `${now.toISOString()} ${randomBytes(12).toString('base64url')}`
}

const RETRY_MS = 200
const MAX_PENDING = 10_000

/**
 * Releases marks whose request was answered 503 although the `SET` may have been (or will be)
 * executed: Redis paused or slow past the deadline, the connection lost with the command on the
 * wire. Redis runs a connection's commands in order, so a compare-and-delete sent on the same
 * connection after the `SET` runs after it: the mark is gone once Redis answers again.
 */
export class LateMarkReleaser {
  readonly #client: RedisCommandClient
  readonly #timeoutMs: number
  readonly #pending = new Map<string, { value: string; until: number }>()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #closed = false

  constructor(client: RedisCommandClient, timeoutMs: number) {
    this.#client = client
    this.#timeoutMs = timeoutMs
  }

  /** Marks still to be released (or whose outcome is still unknown). */
  get size(): number {
    return this.#pending.size
  }

  /**
   * `key` may hold `value` now or later: delete it by compare-and-delete, retrying until Redis
   * answers. Gives up once the mark would have expired anyway (`ttlMs` from now).
   */
  release(key: string, value: string, ttlMs: number): void {
    if (this.#closed || typeof this.#client.eval !== 'function') return
    // Bounded memory while Redis stays away: beyond the cap the oldest entry is given up (its mark,
    // if it was written, keeps the consent used until its TTL: a nuisance, never a second use).
    if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value as string)
    this.#pending.set(`${key}\u0000${value}`, { value, until: Date.now() + ttlMs })
    this.#schedule(0)
  }

  /** Stops retrying (the store was closed). */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#pending.clear()
  }

  #schedule(ms: number): void {
    if (this.#closed || this.#running || this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#run()
    }, ms)
    this.#timer.unref()
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      for (const [id, { value, until }] of [...this.#pending]) {
        if (this.#closed) return
        if (Date.now() > until) {
          this.#pending.delete(id)
          continue
        }
        const key = id.slice(0, id.length - value.length - 1)
        try {
          await bounded(this.#client.eval!(COMPARE_AND_DELETE, 1, key, value), this.#timeoutMs)
          this.#pending.delete(id)
        } catch {
          // Redis does not answer yet: try again later, in order, behind the SET.
        }
      }
    } finally {
      this.#running = false
      if (this.#pending.size > 0) this.#schedule(RETRY_MS)
    }
  }
}

/** Rejects when `promise` has not settled within `ms`; never leaves a rejection unhandled. */
export function bounded<T>(promise: Promise<T>, ms: number, what = 'redis command'): Promise<T> {
  promise.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`consent-guard redis: ${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
