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
import { cappedJwksFetch, type FetchLike } from './capped-fetch.js'

/** How one issuer's key set is fetched and cached. */
export interface KeySetOptions {
  /** Where the JWK Set is served (https, or http on a loopback address). */
  readonly jwksUri: URL
  /** Abort a fetch after this many ms. Default 3000. */
  readonly timeoutMs?: number
  /** Minimum ms between refetches triggered by an unknown `kid`. Default 30 000. */
  readonly cooldownMs?: number
  /** Refetch a key set older than this many ms before using it. Default 600 000 (10 min). */
  readonly cacheMaxAgeMs?: number
  /**
   * When a refetch fails, keep verifying with the last good key set (known `kid`s only) as long
   * as it is at most this many ms old. Default 24 h (Digdir's caching advice); 0 = strict.
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
  /** Current state, for readiness endpoints and tests. */
  state(): KeySetState
  /**
   * Fetches the key set now (no cooldown), e.g. at start-up or from an operator's command.
   * Rejects with `ConsentGuardError` `jwks_unavailable` (the fetch error as `cause`) on failure.
   */
  reload(): Promise<void>
}

/** What a key set knows right now. */
export interface KeySetState {
  /** Epoch ms of the last successful fetch, or undefined before the first one. */
  readonly fetchedAt: number | undefined
  /** The `kid`s of the last good key set. */
  readonly kids: readonly string[]
  /** True while answers come from a stale key set because the endpoint failed. */
  readonly servingStale: boolean
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

const NO_MATCH = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'])

/**
 * Creates the key set of one issuer on top of jose's `createRemoteJWKSet` (timeout, cooldown,
 * shared concurrent reloads, max age), adding a response-size cap and an explicit
 * stale-if-error policy, which jose does not have: after `cacheMaxAge` jose refetches and a failed
 * refetch fails every verification.
 */
export function createKeySet(options: KeySetOptions, observe?: (fetch: FetchLike) => FetchLike): KeySet {
  const staleIfErrorMs = options.staleIfErrorMs ?? KEY_SET_DEFAULTS.staleIfErrorMs
  // jose writes each successfully fetched set and its time into this object.
  const cache: { uat?: number; jwks?: JSONWebKeySet } = {}
  const remote = createRemoteJWKSet(options.jwksUri, {
    timeoutDuration: options.timeoutMs ?? KEY_SET_DEFAULTS.timeoutMs,
    cooldownDuration: options.cooldownMs ?? KEY_SET_DEFAULTS.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs ?? KEY_SET_DEFAULTS.cacheMaxAgeMs,
    // `observe` (the guard's key-set monitor) sees every fetch, its outcome and its duration.
    [customFetch]: (observe ?? ((f: FetchLike) => f))(
      cappedJwksFetch(options.fetch ?? fetch, {
        maxBytes: options.maxResponseBytes ?? KEY_SET_DEFAULTS.maxResponseBytes,
        maxKeys: options.maxKeys ?? KEY_SET_DEFAULTS.maxKeys,
      }),
    ),
    [jwksCache]: cache as { uat: number; jwks: JSONWebKeySet },
  })
  let stale: { jwks: JSONWebKeySet; resolve: ReturnType<typeof createLocalJWKSet> } | undefined
  let servingStale = false

  const staleResolver = (): ReturnType<typeof createLocalJWKSet> | undefined => {
    if (cache.jwks === undefined || cache.uat === undefined) return undefined
    if (Date.now() - cache.uat > staleIfErrorMs) return undefined
    if (stale?.jwks !== cache.jwks) stale = { jwks: cache.jwks, resolve: createLocalJWKSet(cache.jwks) }
    return stale.resolve
  }

  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    try {
      const key = await remote(header, token)
      servingStale = false
      return key
    } catch (err) {
      if (isCode(err, NO_MATCH)) {
        // The set was fetched; it just has no (single) key for this kid.
        servingStale = false
        throw new ConsentGuardError('token_key_unknown')
      }
      // Anything else came from fetching or reading the key set: the issuer's fault, not the client's.
      const fallback = staleResolver()
      if (fallback === undefined) throw new ConsentGuardError('jwks_unavailable')
      servingStale = true
      try {
        return await fallback(header, token)
      } catch {
        throw new ConsentGuardError('token_key_unknown')
      }
    }
  }

  return {
    getKey: getKey,
    async reload() {
      try {
        await remote.reload()
      } catch (err) {
        throw Object.assign(new ConsentGuardError('jwks_unavailable'), { cause: err })
      }
    },
    state: () => ({
      fetchedAt: cache.uat,
      kids: (cache.jwks?.keys ?? []).flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])),
      servingStale,
    }),
  }
}

function isCode(err: unknown, codes: ReadonlySet<string>): boolean {
  return typeof err === 'object' && err !== null && codes.has((err as { code?: string }).code ?? '')
}
