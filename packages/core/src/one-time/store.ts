/**
 * Remembers which one-time consents were used. Altinn does not enforce one-time use when
 * Maskinporten issues tokens, and nothing in the token says a consent is one-time, so the data
 * source must keep this record itself (Altinn sets no "used" mark when Maskinporten issues a token).
 */
export interface ConsentUseStore {
  /**
   * Atomically records `key` as used unless it already is. Resolves `true` for the first use,
   * `false` when the key was already recorded. Rejects when the store cannot answer; the guard
   * then refuses the request (fail closed).
   *
   * `options.signal` (passed by the guard since 0.1; optional for stores) is aborted when the guard
   * stopped waiting and answered 503. A store that honours it rejects at once and removes a mark
   * of this call that lands later, so the consumer's retry is not refused as a second use.
   */
  markUsed(key: string, ttlMs: number, options?: MarkUsedOptions): Promise<boolean>
  /** Forgets `key`, so the consent can be used again (the handler failed before data left). */
  release(key: string): Promise<void>
}

/** Per-call options of {@link ConsentUseStore.markUsed}. */
export interface MarkUsedOptions {
  /** Aborted when the guard gave up waiting for this call (after `storeTimeoutMs`) and answered 503. */
  readonly signal?: AbortSignal
}

/** Thrown by {@link MemoryConsentUseStore} when it is full of live records. */
export class ConsentUseStoreFullError extends Error {
  override readonly name = 'ConsentUseStoreFullError'
}

/** Options of {@link MemoryConsentUseStore}. */
export interface MemoryConsentUseStoreOptions {
  /** Most live records kept. Default 100 000. A full store refuses new one-time uses (503). */
  readonly maxEntries?: number
  /** Clock in epoch ms (tests). */
  readonly now?: () => number
}

/**
 * The default store: one process, bounded memory, records expire with their consent. A live
 * record is never evicted to make room (that would allow a second use); when full of live records
 * the store rejects, and the guard answers 503. Use `@consent-guard/redis` when the API runs on
 * more than one instance.
 */
export class MemoryConsentUseStore implements ConsentUseStore {
  readonly #records = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: MemoryConsentUseStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    this.#now = options.now ?? Date.now
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) throw new TypeError('maxEntries must be a positive integer')
  }

  async markUsed(key: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number')
    const now = this.#now()
    const expiresAt = this.#records.get(key)
    if (expiresAt !== undefined && expiresAt > now) return false
    if (expiresAt === undefined && this.#records.size >= this.#maxEntries) {
      this.#sweep(now)
      if (this.#records.size >= this.#maxEntries) throw new ConsentUseStoreFullError('one-time consent store is full')
    }
    this.#records.set(key, now + ttlMs)
    return true
  }

  async release(key: string): Promise<void> {
    this.#records.delete(key)
  }

  /** Number of records held, expired ones included until the next sweep. */
  get size(): number {
    return this.#records.size
  }

  #sweep(now: number): void {
    for (const [key, expiresAt] of this.#records) if (expiresAt <= now) this.#records.delete(key)
  }
}
