import { JwksResponseError, type FetchLike } from '../keys/capped-fetch.js'
import { ConsentGuardError } from '../errors.js'
import { createKeySet, KEY_SET_DEFAULTS, type KeySet, type KeySetOptions } from '../keys/key-set.js'
import { publishKeySetEvent, type KeySetFailureCause, type KeySetName } from './diagnostics.js'

/** What a readiness probe needs to know about one key set. */
export interface KeySetHealth {
  readonly keySet: KeySetName
  /**
   * `fresh`: the last fetch succeeded; `stale-serving`: the last fetch failed and tokens are
   * verified with the last good set (known kids only); `unavailable`: no usable set (never
   * fetched, or the last good set is older than `staleIfErrorMs`).
   */
  readonly status: 'fresh' | 'stale-serving' | 'unavailable'
  /** Ms since the last successful fetch; undefined before the first. */
  readonly ageMs: number | undefined
  /** The last failed fetch, while the key set is not fresh. */
  /** `at`: ISO 8601 time of the failure (no epoch number: log masking would hide 13-digit runs). */
  readonly lastFailure?: { readonly at: string; readonly cause: KeySetFailureCause | 'not_fetched'; readonly status?: number }
}

/** A logger for the warn-once lines of stale transitions. */
interface WarnLogger {
  warn?(obj: object, msg?: string): void
}

/** Watches one key set's fetches: diagnostics events, stale transitions, health. */
export interface KeySetMonitor {
  /** Wraps the key set's fetch function (passed to `createKeySet`). */
  readonly observe: (fetch: FetchLike) => FetchLike
  /** Connects the key set whose state the health is computed from. */
  attach(keySet: KeySet): void
  health(): KeySetHealth
}

/** Maps a fetch failure to a category (never its message: an address or body may be in it). */
export function failureCause(err: unknown): KeySetFailureCause {
  if (err instanceof JwksResponseError && err.category === 'status') return 'http_status'
  const name = (err as { name?: unknown } | null)?.name
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout'
  if (name === 'JwksResponseError' || name === 'SyntaxError') return 'invalid_response'
  if (name === 'TypeError') return 'network'
  return 'unknown'
}

/**
 * Creates the monitor of one key set. Each fetch publishes `fetch` (and `failure` with a cause
 * category); a failed fetch while a good set is still within `staleIfErrorMs` enters the stale
 * state, the next successful fetch leaves it: each transition is published and logged at warn
 * once, not per request. A successful fetch whose key ids differ from the last publishes `rotation`.
 */
export function createKeySetMonitor(name: KeySetName, staleIfErrorMs: number, logger: WarnLogger | undefined): KeySetMonitor {
  let keySet: KeySet | undefined
  let failure: { at: string; cause: KeySetFailureCause; status?: number } | undefined
  let stale = false
  let kids: readonly string[] | undefined

  const hasUsableSet = (): boolean => {
    const fetchedAt = keySet?.state().fetchedAt
    return fetchedAt !== undefined && Date.now() - fetchedAt <= staleIfErrorMs
  }

  const failed = (cause: KeySetFailureCause, status?: number): void => {
    failure = { at: new Date().toISOString(), cause, ...(status !== undefined && { status }) }
    publishKeySetEvent({ type: 'failure', keySet: name, cause, ...(status !== undefined && { status }) })
    if (!stale && hasUsableSet()) {
      stale = true
      const ageMs = Date.now() - (keySet?.state().fetchedAt ?? Date.now())
      publishKeySetEvent({ type: 'stale-entered', keySet: name, ageMs })
      logger?.warn?.(
        { event: 'consent_guard.key_set', keySet: name, state: 'stale-serving', cause, ageMs },
        'key set stale: serving the last good keys',
      )
    }
  }

  const succeeded = (): void => {
    failure = undefined
    if (stale) {
      stale = false
      publishKeySetEvent({ type: 'stale-left', keySet: name })
      logger?.warn?.({ event: 'consent_guard.key_set', keySet: name, state: 'fresh' }, 'key set fresh again')
    }
    // jose stores the set right after this fetch resolves; compare key ids once it has.
    setImmediate(() => {
      const now = keySet?.state().kids
      if (now === undefined) return
      if (kids !== undefined) {
        const added = now.filter((k) => !kids?.includes(k)).length
        const removed = kids.filter((k) => !now.includes(k)).length
        if (added + removed > 0) publishKeySetEvent({ type: 'rotation', keySet: name, added, removed, keys: now.length })
      }
      kids = now
    })
  }

  return {
    observe: (fetchImpl) => async (url, init) => {
      const started = performance.now()
      let response: Response
      try {
        response = await fetchImpl(url, init)
      } catch (err) {
        publishKeySetEvent({ type: 'fetch', keySet: name, durationMs: performance.now() - started, outcome: 'failure' })
        // A non-200 answer arrives as a JwksResponseError carrying its status (capped-fetch.ts).
        failed(failureCause(err), err instanceof JwksResponseError ? err.status : undefined)
        throw err
      }
      const ok = response.status === 200
      publishKeySetEvent({ type: 'fetch', keySet: name, durationMs: performance.now() - started, outcome: ok ? 'ok' : 'failure' })
      if (ok) succeeded()
      else failed('http_status', response.status)
      return response
    },
    attach(k) {
      keySet = k
    },
    health() {
      const fetchedAt = keySet?.state().fetchedAt
      const ageMs = fetchedAt === undefined ? undefined : Date.now() - fetchedAt
      const lastFailure = failure ?? (fetchedAt === undefined ? { at: new Date().toISOString(), cause: 'not_fetched' as const } : undefined)
      const status = !hasUsableSet() ? 'unavailable' : stale ? 'stale-serving' : 'fresh'
      return { keySet: name, status, ageMs, ...(status !== 'fresh' && lastFailure !== undefined && { lastFailure }) }
    },
  }
}

/** What a readiness endpoint answers: the worst key-set status, and each key set's health. */
export interface GuardReadiness {
  /** `fresh` and `stale-serving` can serve (ready); `unavailable` cannot. */
  readonly status: KeySetHealth['status']
  readonly ready: boolean
  readonly keySets: readonly KeySetHealth[]
}

/** Least ms between two fetches of one key set driven by `ready()`. */
export const READY_RETRY_MS = 1000

/** The guard's `ready()` and `readiness()` over its key sets. */
export function keySetReadiness(
  keySets: readonly { readonly keySet: KeySet; readonly monitor: KeySetMonitor }[],
  realm: string,
): { ready(): Promise<void>; readiness(): GuardReadiness } {
  // ready() may sit behind an unauthenticated /ready endpoint: at most one fetch per key set per
  // READY_RETRY_MS, whatever the probe rate.
  const lastAttempt = new Map<KeySet, number>()
  return {
    async ready() {
      await Promise.all(
        keySets.map(async (k) => {
          if (k.monitor.health().status !== 'unavailable') return
          const unavailable = () => Object.assign(new ConsentGuardError('jwks_unavailable', { realm }), { cause: k.monitor.health() })
          if (Date.now() - (lastAttempt.get(k.keySet) ?? -Infinity) < READY_RETRY_MS) throw unavailable()
          lastAttempt.set(k.keySet, Date.now())
          try {
            await k.keySet.reload()
          } catch {
            throw unavailable()
          }
        }),
      )
    },
    readiness() {
      const healths = keySets.map((k) => k.monitor.health())
      const status = healths.some((h) => h.status === 'unavailable')
        ? 'unavailable'
        : healths.some((h) => h.status === 'stale-serving')
          ? 'stale-serving'
          : 'fresh'
      return { status, ready: status !== 'unavailable', keySets: healths }
    },
  }
}

/** Creates a key set with its monitor attached (fetches observed, health computed). */
export function createObservedKeySet(
  name: KeySetName,
  options: KeySetOptions,
  logger: WarnLogger | undefined,
): { keySet: KeySet; monitor: KeySetMonitor } {
  const monitor = createKeySetMonitor(name, options.staleIfErrorMs ?? KEY_SET_DEFAULTS.staleIfErrorMs, logger)
  const keySet = createKeySet(options, monitor.observe)
  monitor.attach(keySet)
  return { keySet, monitor }
}
