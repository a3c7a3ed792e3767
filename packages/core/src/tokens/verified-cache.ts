import { LRUCache } from 'lru-cache'
import type { KeySet } from '../keys/key-set.js'

/** One verified token: its parsed form, the key that verified it and its time claims. */
export interface VerifiedEntry<T> {
  readonly token: string
  readonly value: T
  /** `kid` (or Altinn 2 `x5t`) of the signing key, so a key that leaves the key set takes its tokens along. */
  readonly kid: string
  /** Raw `iat`, `nbf`, `exp` claims, re-checked on every hit: time moves, the token does not. */
  readonly iat: unknown
  readonly nbf: unknown
  readonly exp: number
}

// The signature's last 43 characters (256 bits of an RSA signature) key the map; the full string is
// then compared. Hashing a fresh 1-2.5 KB string is most of a lookup's cost.
const KEY_CHARS = 43

/**
 * Tokens whose signature and registered claims were verified, for one guard and one token kind.
 * A hit stands for "signature and claims verified": the caller still re-checks the time claims
 * and runs every request-dependent check. Entries expire no later than the token's `exp` (in the
 * guard's clock), are evicted least-recently-used beyond `maxEntries`, and are dropped when their
 * signing key leaves the key set ({@link purgeKidsNotIn}).
 */
export class VerifiedTokenCache<T extends object> {
  readonly #lru: LRUCache<string, VerifiedEntry<T>>
  readonly #keySetFresh: () => boolean

  /**
   * @param maxEntries size cap.
   * @param keySetFresh false when the key set is due for a refetch: lookups then miss, so the full
   *   verification asks the key set for the key, the key set refreshes, and entries signed by keys
   *   that disappeared are purged before any is served again.
   */
  constructor(maxEntries: number, keySetFresh: () => boolean = () => true) {
    this.#lru = new LRUCache({ max: maxEntries, ttlAutopurge: false, updateAgeOnGet: false, allowStale: false })
    this.#keySetFresh = keySetFresh
  }

  /** The entry for exactly this token string, or undefined. */
  get(token: string): VerifiedEntry<T> | undefined {
    const entry = this.#lru.get(token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token)
    if (entry === undefined || entry.token !== token || !this.#keySetFresh()) return undefined
    return entry
  }

  /** Stores a verified token until `exp` (epoch seconds) as seen by the guard's clock `nowMs`. */
  set(entry: VerifiedEntry<T>, nowMs: number): void {
    const ttl = Math.floor(entry.exp * 1000 - nowMs)
    if (!(ttl >= 1)) return
    const token = entry.token
    this.#lru.set(token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token, entry, { ttl })
  }

  /** Drops every entry signed by a key whose `kid` is not in `kids` (called when the key set changes). */
  purgeKidsNotIn(kids: ReadonlySet<string>): number {
    const gone: string[] = []
    for (const [key, entry] of this.#lru.entries()) if (!kids.has(entry.kid)) gone.push(key)
    for (const key of gone) this.#lru.delete(key)
    return gone.length
  }

  /** Entries held now. */
  get size(): number {
    return this.#lru.size
  }

  clear(): void {
    this.#lru.clear()
  }
}

/**
 * One cache per token kind, tied to the key set that verified its entries: a refetched set without
 * some kid purges that kid's tokens; a set due for a refetch turns hits into misses. `undefined`
 * when the cache is off (`tokenCache: false`).
 */
export function cachedFor<T extends object>(
  set: KeySet,
  config: { readonly maxEntries: number } | undefined,
): VerifiedTokenCache<T> | undefined {
  if (config === undefined) return undefined
  const cache = new VerifiedTokenCache<T>(config.maxEntries, set.isFresh)
  set.onKeysChanged((kids) => cache.purgeKidsNotIn(kids))
  return cache
}
