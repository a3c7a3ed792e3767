import { ConsentGuardConfigError } from './errors.js'
import type { ConsentGuardOptions, ResolvedOptions } from './options.js'

/** Defaults of the `tokenCache` and `overload` options. */
export const PERFORMANCE_DEFAULTS = {
  tokenCacheEntries: 5_000,
  maxInFlight: 256,
  maxQueued: 1_024,
  queueTimeoutMs: 1_000,
  retryAfterSeconds: 1,
  maxEventLoopDelayMs: 1_000,
  maxVerificationsPerTurn: 128,
} as const

/** Validates `tokenCache` and fills in its default. */
export function resolveTokenCache(value: ConsentGuardOptions['tokenCache'], fail: (m: string) => never): ResolvedOptions['tokenCache'] {
  if (value === false) return undefined
  if (value === undefined) return Object.freeze({ maxEntries: PERFORMANCE_DEFAULTS.tokenCacheEntries })
  if (typeof value !== 'object' || value === null) return fail('"tokenCache" must be false or { maxEntries }')
  checkNames(value, ['maxEntries'], 'tokenCache')
  const maxEntries = value.maxEntries ?? PERFORMANCE_DEFAULTS.tokenCacheEntries
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 1_000_000)
    fail('"tokenCache.maxEntries" must be an integer 1-1000000')
  return Object.freeze({ maxEntries })
}

/** Validates `overload` and fills in its defaults. */
export function resolveOverload(value: ConsentGuardOptions['overload'], fail: (m: string) => never): ResolvedOptions['overload'] {
  if (value === false) return undefined
  const v = value ?? {}
  if (typeof v !== 'object' || v === null)
    return fail(
      '"overload" must be false or { maxInFlight, maxQueued, queueTimeoutMs, retryAfterSeconds, maxEventLoopDelayMs, maxVerificationsPerTurn }',
    )
  checkNames(
    v,
    ['maxInFlight', 'maxQueued', 'queueTimeoutMs', 'retryAfterSeconds', 'maxEventLoopDelayMs', 'maxVerificationsPerTurn'],
    'overload',
  )
  const d = PERFORMANCE_DEFAULTS
  const out = {
    maxInFlight: v.maxInFlight ?? d.maxInFlight,
    maxQueued: v.maxQueued ?? d.maxQueued,
    queueTimeoutMs: v.queueTimeoutMs ?? d.queueTimeoutMs,
    retryAfterSeconds: v.retryAfterSeconds ?? d.retryAfterSeconds,
    // false and 0 turn the event-loop check off.
    maxEventLoopDelayMs: v.maxEventLoopDelayMs === false ? 0 : (v.maxEventLoopDelayMs ?? d.maxEventLoopDelayMs),
    // false and 0 let every verification run in the loop turn its request arrived in.
    maxVerificationsPerTurn: v.maxVerificationsPerTurn === false ? 0 : (v.maxVerificationsPerTurn ?? d.maxVerificationsPerTurn),
  }
  if (!Number.isInteger(out.maxInFlight) || out.maxInFlight < 1) fail('"overload.maxInFlight" must be a positive integer')
  if (!Number.isInteger(out.maxQueued) || out.maxQueued < 0) fail('"overload.maxQueued" must be an integer ≥ 0')
  if (!Number.isFinite(out.queueTimeoutMs) || out.queueTimeoutMs <= 0 || out.queueTimeoutMs > 60_000)
    fail('"overload.queueTimeoutMs" must be 1-60000 ms')
  if (!Number.isInteger(out.retryAfterSeconds) || out.retryAfterSeconds < 0 || out.retryAfterSeconds > 3600)
    fail('"overload.retryAfterSeconds" must be an integer 0-3600')
  const stall = out.maxEventLoopDelayMs
  if (typeof stall !== 'number' || !Number.isFinite(stall) || (stall !== 0 && (stall < 10 || stall > 60_000)))
    fail('"overload.maxEventLoopDelayMs" must be false, 0 or 10-60000 ms')
  const perTurn = out.maxVerificationsPerTurn
  if (typeof perTurn !== 'number' || !Number.isInteger(perTurn) || perTurn < 0 || perTurn > 100_000)
    fail('"overload.maxVerificationsPerTurn" must be false or an integer 0-100000')
  return Object.freeze(out)
}

function checkNames(value: object, names: readonly string[], option: string): void {
  for (const key of Object.keys(value)) {
    if (!names.includes(key))
      throw new ConsentGuardConfigError('option_unknown', `consent-guard options: unknown option "${option}.${key}"`)
  }
}
