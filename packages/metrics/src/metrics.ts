import dc from 'node:diagnostics_channel'
import {
  CHANNELS,
  type CacheEvent,
  type CheckTraceContext,
  type GuardReadiness,
  type KeySetEvent,
  type StoreEvent,
} from '@consent-guard/core'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Metric names (with the default `consent_guard_` prefix) and their labels. No label ever holds
 * an identity number, a consent id or a token: `resource` is the route's configured resource,
 * `code` one of the guard's fixed error codes.
 */
export const METRIC_NAMES = Object.freeze({
  /** Counter `{outcome, code, resource}`: `outcome` accepted | rejected | error; `code` the error code or `none`. */
  decisions: 'decisions_total',
  /** Histogram `{outcome, resource}` in seconds: the whole check, key fetch and store included. */
  checkDuration: 'check_duration_seconds',
  /** Counter `{key_set, outcome}`: key-set fetches (`ok` | `failure`). */
  keySetFetches: 'key_set_fetches_total',
  /** Counter `{key_set, cause}`: failed fetches by cause (timeout, network, http_status, invalid_response, unknown). */
  keySetFailures: 'key_set_failures_total',
  /** Gauge `{key_set, state}`: 1 for the key set's current state (fresh | stale-serving | unavailable), 0 for the others. */
  keySetState: 'key_set_state',
  /** Counter `{key_set}`: key rotations seen (key ids added or removed). */
  keySetRotations: 'key_set_rotations_total',
  /** Histogram `{operation, outcome}` in seconds: one-time store calls (`markUsed` | `release`; `ok` | `failure`). */
  storeDuration: 'store_duration_seconds',
  /** Counter `{operation}`: one-time store calls that threw or rejected. */
  storeFailures: 'store_failures_total',
  /** Counter `{cache, result}`: cache lookups (`hit` | `miss`), when the guard has a cache. */
  cacheLookups: 'cache_lookups_total',
} as const)

/** Options of {@link createConsentGuardMetrics}. */
export interface ConsentGuardMetricsOptions {
  /** Registry to register in. Default: a new one (so `metrics()` holds the guard's metrics only). */
  readonly registry?: Registry
  /** Name prefix. Default `consent_guard_`. */
  readonly prefix?: string
  /** The guard (or anything with `readiness()`): feeds the key-set state gauge at each scrape. */
  readonly guard?: { readiness(): GuardReadiness }
  /** Buckets of the check duration histogram in seconds. */
  readonly checkBuckets?: readonly number[]
  /** Buckets of the store duration histogram in seconds. */
  readonly storeBuckets?: readonly number[]
}

/** The metrics, subscribed to the guard's channels until `close()`. */
export interface ConsentGuardMetrics {
  readonly registry: Registry
  /** Prometheus text exposition of the registry. */
  metrics(): Promise<string>
  /** `Content-Type` of {@link ConsentGuardMetrics.metrics}. */
  readonly contentType: string
  /** Unsubscribes from the channels (the metrics stay registered). */
  close(): void
}

const KEY_SET_STATES = ['fresh', 'stale-serving', 'unavailable'] as const

/**
 * Subscribes to the guard's diagnostics channels and keeps Prometheus metrics: decisions by
 * outcome, code and resource, check duration, key-set fetches, failures, rotations and state,
 * one-time store latency and failures, cache hits. Any number of guards in the process feed the
 * same metrics (the channels are process-wide); create this once.
 */
export function createConsentGuardMetrics(options: ConsentGuardMetricsOptions = {}): ConsentGuardMetrics {
  const registry = options.registry ?? new Registry()
  const prefix = options.prefix ?? 'consent_guard_'
  const registers = [registry]
  const decisions = new Counter({
    name: prefix + METRIC_NAMES.decisions,
    help: 'Consent decisions by outcome, code and resource',
    labelNames: ['outcome', 'code', 'resource'] as const,
    registers,
  })
  const checkDuration = new Histogram({
    name: prefix + METRIC_NAMES.checkDuration,
    help: 'Duration of consent checks in seconds',
    labelNames: ['outcome', 'resource'] as const,
    buckets: [...(options.checkBuckets ?? [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])],
    registers,
  })
  const fetches = new Counter({
    name: prefix + METRIC_NAMES.keySetFetches,
    help: 'Key-set fetches by outcome',
    labelNames: ['key_set', 'outcome'] as const,
    registers,
  })
  const failures = new Counter({
    name: prefix + METRIC_NAMES.keySetFailures,
    help: 'Failed key-set fetches by cause',
    labelNames: ['key_set', 'cause'] as const,
    registers,
  })
  const rotations = new Counter({
    name: prefix + METRIC_NAMES.keySetRotations,
    help: 'Key-set rotations seen',
    labelNames: ['key_set'] as const,
    registers,
  })
  // Without a guard the gauge follows the stale events (fresh / stale-serving only).
  const staleByEvent = new Map<string, boolean>()
  const guard = options.guard
  new Gauge({
    name: prefix + METRIC_NAMES.keySetState,
    help: 'Key-set state: 1 for the current state',
    labelNames: ['key_set', 'state'] as const,
    registers,
    collect() {
      this.reset()
      const states: [string, (typeof KEY_SET_STATES)[number]][] =
        guard !== undefined
          ? guard.readiness().keySets.map((k) => [k.keySet, k.status])
          : [...staleByEvent].map(([name, stale]) => [name, stale ? 'stale-serving' : 'fresh'])
      for (const [name, current] of states)
        for (const state of KEY_SET_STATES) this.set({ key_set: name, state }, state === current ? 1 : 0)
    },
  })
  const storeDuration = new Histogram({
    name: prefix + METRIC_NAMES.storeDuration,
    help: 'One-time store call duration in seconds',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [...(options.storeBuckets ?? [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])],
    registers,
  })
  const storeFailures = new Counter({
    name: prefix + METRIC_NAMES.storeFailures,
    help: 'One-time store calls that failed',
    labelNames: ['operation'] as const,
    registers,
  })
  const cacheLookups = new Counter({
    name: prefix + METRIC_NAMES.cacheLookups,
    help: 'Cache lookups by result',
    labelNames: ['cache', 'result'] as const,
    registers,
  })

  const onCheck = (message: unknown): void => {
    const c = message as CheckTraceContext
    const outcome = c.decision ?? 'error'
    const resource = typeof c.resource === 'string' ? c.resource : 'unknown'
    decisions.inc({ outcome, code: c.code ?? 'none', resource })
    if (c.durationMs !== undefined) checkDuration.observe({ outcome, resource }, c.durationMs / 1000)
  }
  const onKeySet = (message: unknown): void => {
    const e = message as KeySetEvent
    if (e.type === 'fetch') fetches.inc({ key_set: e.keySet, outcome: e.outcome })
    else if (e.type === 'failure') failures.inc({ key_set: e.keySet, cause: e.cause })
    else if (e.type === 'rotation') rotations.inc({ key_set: e.keySet })
    else staleByEvent.set(e.keySet, e.type === 'stale-entered')
    if (e.type === 'fetch' && e.outcome === 'ok' && !staleByEvent.has(e.keySet)) staleByEvent.set(e.keySet, false)
  }
  const onStore = (message: unknown): void => {
    const e = message as StoreEvent
    storeDuration.observe({ operation: e.operation, outcome: e.outcome }, e.durationMs / 1000)
    if (e.outcome === 'failure') storeFailures.inc({ operation: e.operation })
  }
  const onCache = (message: unknown): void => {
    const e = message as CacheEvent
    cacheLookups.inc({ cache: e.cache, result: e.hit ? 'hit' : 'miss' })
  }
  const subscriptions: [string, (message: unknown) => void][] = [
    [`tracing:${CHANNELS.check}:asyncEnd`, onCheck],
    [CHANNELS.keySet, onKeySet],
    [CHANNELS.store, onStore],
    [CHANNELS.cache, onCache],
  ]
  for (const [name, listener] of subscriptions) dc.subscribe(name, listener)

  return {
    registry,
    metrics: () => registry.metrics(),
    contentType: registry.contentType,
    close() {
      for (const [name, listener] of subscriptions) dc.unsubscribe(name, listener)
    },
  }
}
