import dc from 'node:diagnostics_channel'
import type { ConsentGuardErrorCode } from '../errors.js'

/**
 * `node:diagnostics_channel` names the guard publishes on. Payloads hold no personal data, no
 * consent id and no token: resource names, codes, durations and categories only. Stable: a
 * field is only ever added.
 */
export const CHANNELS = Object.freeze({
  /** `TracingChannel` around each `guard.check()`: `tracing:consent-guard:check:{start,end,asyncStart,asyncEnd,error}`. */
  check: 'consent-guard:check',
  /** Key-set events: {@link KeySetEvent}. */
  keySet: 'consent-guard:key-set',
  /** One-time store calls: {@link StoreEvent}. */
  store: 'consent-guard:store',
  /** Cache lookups: {@link CacheEvent}. */
  cache: 'consent-guard:cache',
} as const)

/** Which key set an event is about. */
export type KeySetName = 'maskinporten' | 'altinn2'

/** Why a key-set fetch failed, as a category. */
export type KeySetFailureCause = 'timeout' | 'network' | 'http_status' | 'invalid_response' | 'unknown'

/**
 * The context object of the check tracing channel. `resource`, `mode` and `oneTime` are set at
 * start; `decision`, `code`, `status` and `durationMs` before `asyncEnd` (and `error`).
 * `error` (set by the channel on rejection) is the `ConsentGuardError`, or the route function's
 * own error. `result` is always `undefined`: the verified consent never reaches subscribers.
 */
export interface CheckTraceContext {
  readonly resource: string
  readonly mode: 'single-token' | 'two-token'
  readonly oneTime: boolean
  decision?: 'accepted' | 'rejected' | 'error'
  code?: ConsentGuardErrorCode
  status?: number
  durationMs?: number
  error?: unknown
  result?: undefined
}

/** An event on {@link CHANNELS}.keySet. */
export type KeySetEvent =
  | { readonly type: 'fetch'; readonly keySet: KeySetName; readonly durationMs: number; readonly outcome: 'ok' | 'failure' }
  | {
      readonly type: 'failure'
      readonly keySet: KeySetName
      readonly cause: KeySetFailureCause
      /** HTTP status when `cause` is `http_status`. */
      readonly status?: number
    }
  | { readonly type: 'stale-entered'; readonly keySet: KeySetName; readonly ageMs: number }
  | { readonly type: 'stale-left'; readonly keySet: KeySetName }
  | { readonly type: 'rotation'; readonly keySet: KeySetName; readonly added: number; readonly removed: number; readonly keys: number }

/** An event on {@link CHANNELS}.store: one call of the one-time store. */
export interface StoreEvent {
  readonly operation: 'markUsed' | 'release'
  readonly durationMs: number
  /** `ok`: the call answered (for markUsed: first use or not); `failure`: it threw or rejected. */
  readonly outcome: 'ok' | 'failure'
  /** For markUsed answers: whether the record was new. */
  readonly fresh?: boolean
}

/** An event on {@link CHANNELS}.cache. */
export interface CacheEvent {
  /** Which cache (`token`: verified tokens). */
  readonly cache: string
  readonly hit: boolean
}

/** The check tracing channel (see {@link CHANNELS}.check). */
export const checkChannel = dc.tracingChannel<CheckTraceContext, CheckTraceContext>(CHANNELS.check)
const keySetChannel = dc.channel(CHANNELS.keySet)
const storeChannel = dc.channel(CHANNELS.store)
const cacheChannel = dc.channel(CHANNELS.cache)

/** Publishes a key-set event (no-op without subscribers). */
export function publishKeySetEvent(event: KeySetEvent): void {
  if (keySetChannel.hasSubscribers) keySetChannel.publish(event)
}

/** Publishes a store event (no-op without subscribers). */
export function publishStoreEvent(event: StoreEvent): void {
  if (storeChannel.hasSubscribers) storeChannel.publish(event)
}

/** Publishes a cache lookup (no-op without subscribers); for caches inside the guard. */
export function publishCacheEvent(event: CacheEvent): void {
  if (cacheChannel.hasSubscribers) cacheChannel.publish(event)
}
