import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  jwksCache,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
} from 'jose'
import { ConsentGuardError } from '../errors.js'
import type { KeySetFailureCause } from '../observability/diagnostics.js'
import { cappedJwksFetch, JwksResponseError, type FetchLike } from './capped-fetch.js'

/** How one issuer's key set is fetched and cached. */
export interface KeySetOptions {
  /** Where the JWK Set is served (https, or http on a loopback address). */
  readonly jwksUri: URL
  /** Abort a fetch after this many ms. Default 3000. */
  readonly timeoutMs?: number
  /**
   * Minimum ms between refetches triggered by an unknown `kid`, and between any two fetches while
   * the endpoint is failing. Default 30 000.
   */
  readonly cooldownMs?: number
  /** Refresh a key set older than this many ms (in the background while the set may serve stale). Default 600 000 (10 min). */
  readonly cacheMaxAgeMs?: number
  /**
   * Keep verifying with the last good key set (known `kid`s only) while a refresh is due or failing,
   * as long as that set is at most this many ms old. Default 24 h (Digdir's caching advice); 0 = strict.
   */
  readonly staleIfErrorMs?: number
  /** Largest accepted JWK Set response in bytes. Default 64 KiB. */
  readonly maxResponseBytes?: number
  /** Most keys accepted in one set. Default 20. */
  readonly maxKeys?: number
  /** Replaces global `fetch` (proxies, tests). */
  readonly fetch?: FetchLike
}

/** A key resolver for one issuer, plus its state for health checks. */
export interface KeySet {
  /** Passed to jose's `jwtVerify`. Throws ConsentGuardError `jwks_unavailable` or `token_key_unknown`. */
  readonly getKey: JWTVerifyGetKey
  /** Current state, for readiness endpoints and tests. A new plain object on every call. */
  state(): KeySetState
  /**
   * False once the last good fetch is older than `cacheMaxAgeMs` (a refresh is due). Cheap:
   * verified-token caches ask it on every hit and treat a due set as a miss.
   */
  isFresh(): boolean
  /**
   * Calls `listener` with the `kid`s of each newly fetched set that differs from the previous one,
   * so caches can drop tokens signed by keys that left the set.
   */
  onKeysChanged(listener: (kids: ReadonlySet<string>) => void): void
  /**
   * Fetches the key set now (no cooldown; joins a fetch in flight), e.g. at start-up or from an
   * operator's command. Rejects with `ConsentGuardError` `jwks_unavailable` (the fetch error as
   * `cause`) on failure, which `state()` then reports like any other failed fetch.
   */
  reload(): Promise<void>
}

/**
 * Health of a key set:
 * - `unloaded`: nothing fetched yet, and no fetch has failed (the first request fetches);
 * - `fresh`: the last fetch succeeded;
 * - `stale-serving`: the last fetch failed; known `kid`s are verified with the last good set, which is
 *   still within `staleIfErrorMs`;
 * - `failing`: the last fetch failed and no usable set is left: requests get 503 `jwks_unavailable`.
 */
export type KeySetStatus = 'unloaded' | 'fresh' | 'stale-serving' | 'failing'

/**
 * Why the last fetch failed, in the vocabulary of the key-set diagnostics events: `timeout`, `network`
 * (refused, reset, DNS), `http_status` (not 200, including redirects) or `invalid_response` (not JSON,
 * not a key set, too large, too many keys, private key material).
 */
export type KeySetFetchFailure = Exclude<KeySetFailureCause, 'unknown'>

/** What a key set knows right now. */
export interface KeySetState {
  readonly status: KeySetStatus
  /** Epoch ms of the last successful fetch, or undefined before the first one. */
  readonly fetchedAt: number | undefined
  /** The `kid`s of the last good key set. */
  readonly kids: readonly string[]
  /** `status === 'stale-serving'` (kept for existing readiness checks). */
  readonly servingStale: boolean
  /** Epoch ms at which the last fetch failed; undefined once a fetch has succeeded since. */
  readonly lastFailureAt: number | undefined
  /** Cause category of that failure. */
  readonly lastFailureCause: KeySetFetchFailure | undefined
  /** Epoch ms before which no fetch is made because the endpoint is failing (`lastFailureAt + cooldownMs`). */
  readonly retryAfter: number | undefined
  /** A fetch is in flight. */
  readonly refreshing: boolean
}

/** Defaults of {@link KeySetOptions}. */
export const KEY_SET_DEFAULTS = {
  timeoutMs: 3_000,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  staleIfErrorMs: 24 * 3_600_000,
  maxResponseBytes: 64 * 1024,
  maxKeys: 20,
} as const

interface GoodSet {
  readonly jwks: JSONWebKeySet
  readonly resolve: ReturnType<typeof createLocalJWKSet>
  readonly at: number
  /**
   * jose's answers for this set by `alg` and `kid` (the only header members its selection reads),
   * so a known key costs a map lookup instead of jose's asynchronous search. Only successes are kept.
   */
  readonly resolved: Map<string, Awaited<ReturnType<ReturnType<typeof createLocalJWKSet>>>>
}

// Bounds the per-set memo: a key set holds at most `maxKeys` keys, but kids are the client's to choose.
const MAX_RESOLVED = 64

/**
 * Creates the key set of one issuer. jose's `createRemoteJWKSet` fetches and validates (timeout,
 * no redirects, JSON shape; `reload()` only), with a response-size cap on top. When to fetch is
 * decided here, because jose advances its clocks only on success: a failing endpoint would be
 * fetched once per request. Here every failure is remembered: while the endpoint fails, at most one
 * fetch per `cooldownMs` whatever the `kid`; known `kid`s are answered from the last good set at
 * once, and a due refresh runs in the background, so no request waits for a failing endpoint.
 */
export function createKeySet(options: KeySetOptions, observe?: (fetch: FetchLike) => FetchLike): KeySet {
  const cooldownMs = options.cooldownMs ?? KEY_SET_DEFAULTS.cooldownMs
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? KEY_SET_DEFAULTS.cacheMaxAgeMs
  const staleIfErrorMs = options.staleIfErrorMs ?? KEY_SET_DEFAULTS.staleIfErrorMs
  // jose writes each successfully fetched set and its time into this object.
  const cache: { uat?: number; jwks?: JSONWebKeySet } = {}
  const remote = createRemoteJWKSet(options.jwksUri, {
    timeoutDuration: options.timeoutMs ?? KEY_SET_DEFAULTS.timeoutMs,
    // `observe` (the guard's key-set monitor) sees every fetch, its outcome and its duration.
    [customFetch]: (observe ?? ((f: FetchLike) => f))(
      cappedJwksFetch(options.fetch ?? fetch, {
        maxBytes: options.maxResponseBytes ?? KEY_SET_DEFAULTS.maxResponseBytes,
        maxKeys: options.maxKeys ?? KEY_SET_DEFAULTS.maxKeys,
      }),
    ),
    [jwksCache]: cache as { uat: number; jwks: JSONWebKeySet },
  })
  let good: GoodSet | undefined
  const listeners: ((kids: ReadonlySet<string>) => void)[] = []
  let failure: { at: number; cause: KeySetFetchFailure } | undefined
  let pending: Promise<void> | undefined

  /** One fetch at a time; concurrent callers share it (50 cold requests cause one fetch). */
  const refresh = (): Promise<void> => {
    pending ??= remote
      .reload()
      .then(
        () => {
          if (cache.jwks !== undefined && cache.jwks !== good?.jwks) {
            good = { jwks: cache.jwks, resolve: createLocalJWKSet(cache.jwks), at: cache.uat ?? Date.now(), resolved: new Map() }
            const kids = new Set(kidsOf(cache.jwks))
            for (const listener of listeners) listener(kids)
          }
          failure = undefined
        },
        (err: unknown) => {
          failure = { at: Date.now(), cause: failureCause(err) }
          throw err
        },
      )
      .finally(() => {
        pending = undefined
      })
    return pending
  }

  /** May a request start (or join) a fetch now? Never within `cooldownMs` of a failure. */
  const mayFetch = (now: number, unknownKid: boolean): boolean => {
    if (pending !== undefined) return true
    if (failure !== undefined) return now - failure.at >= cooldownMs
    // jose's rule for rotation: an unknown kid refetches at most once per cooldown.
    return !(unknownKid && good !== undefined && now - good.at < cooldownMs)
  }

  /** The set requests may be answered from now: fresh, or stale within `staleIfErrorMs`. */
  const usable = (now: number): GoodSet | undefined => {
    if (good === undefined) return undefined
    const age = now - good.at
    return age < cacheMaxAgeMs || age <= staleIfErrorMs ? good : undefined
  }

  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const now = Date.now()
    let set = usable(now)
    if (good === undefined || now - good.at >= cacheMaxAgeMs) {
      if (set !== undefined) {
        // Refresh in the background: the request is answered from the set in hand.
        if (mayFetch(now, false)) refresh().catch(() => undefined)
      } else {
        if (!mayFetch(now, false)) throw new ConsentGuardError('jwks_unavailable')
        await refresh().catch(() => {
          throw new ConsentGuardError('jwks_unavailable')
        })
        set = usable(Date.now())
      }
    }
    if (set === undefined) throw new ConsentGuardError('jwks_unavailable')
    const inHand = set
    // A JWS with an unprotected header (never a compact token) takes jose's path every time.
    const memoKey =
      typeof header.alg === 'string' && typeof header.kid === 'string' && token?.header === undefined
        ? `${header.alg} ${header.kid}`
        : undefined
    const known = memoKey === undefined ? undefined : inHand.resolved.get(memoKey)
    if (known !== undefined) return known
    try {
      const key = await inHand.resolve(header, token)
      if (memoKey !== undefined && inHand.resolved.size < MAX_RESOLVED) inHand.resolved.set(memoKey, key)
      return key
    } catch (err) {
      // Two keys for one kid, or a key jose cannot use: the client's token is at fault (401).
      if (!isCode(err, 'ERR_JWKS_NO_MATCHING_KEY') || !mayFetch(Date.now(), true)) {
        throw new ConsentGuardError('token_key_unknown')
      }
    }
    // An unknown kid may be a rotation: refetch (at most once per cooldown) and look again.
    try {
      await refresh()
      return await (good ?? inHand).resolve(header, token)
    } catch {
      throw new ConsentGuardError('token_key_unknown')
    }
  }

  return {
    getKey: getKey,
    isFresh: () => good !== undefined && failure === undefined && Date.now() - good.at < cacheMaxAgeMs,
    onKeysChanged: (listener) => void listeners.push(listener),
    async reload() {
      try {
        await refresh()
      } catch (err) {
        throw Object.assign(new ConsentGuardError('jwks_unavailable'), { cause: err })
      }
    },
    state: () => {
      const now = Date.now()
      const status: KeySetStatus =
        failure === undefined ? (good === undefined ? 'unloaded' : 'fresh') : usable(now) === undefined ? 'failing' : 'stale-serving'
      return {
        status,
        fetchedAt: good?.at,
        kids: good === undefined ? [] : kidsOf(good.jwks),
        servingStale: status === 'stale-serving',
        lastFailureAt: failure?.at,
        lastFailureCause: failure?.cause,
        retryAfter: failure === undefined ? undefined : failure.at + cooldownMs,
        refreshing: pending !== undefined,
      }
    },
  }
}

function failureCause(err: unknown): KeySetFetchFailure {
  if (err instanceof JwksResponseError) return err.category === 'status' ? 'http_status' : 'invalid_response'
  const e = err as { code?: unknown; name?: unknown } | null
  if (e?.code === 'ERR_JWKS_TIMEOUT' || e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout'
  if (e?.code === 'ERR_JWKS_INVALID' || (typeof e?.code === 'string' && e.code.startsWith('ERR_JOSE'))) return 'invalid_response'
  return 'network'
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

function kidsOf(jwks: JSONWebKeySet): string[] {
  return jwks.keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : []))
}
