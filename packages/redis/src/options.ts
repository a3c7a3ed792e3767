import type { ClusterOptions, RedisOptions } from 'ioredis'
import { ConsentGuardConfigError, type ConsentUseStore } from '@consent-guard/core'

/** `Array.isArray` without narrowing a typed value to `any[]`: options may come from JavaScript as anything. */
const isArray = (value: unknown): boolean => Array.isArray(value)

/**
 * The commands the store sends. An ioredis `Redis` or `Cluster` instance fits; so does any
 * wrapper with the same call shape. `set` and `del` are required; `get` (recognising its own mark),
 * `eval` (releasing a late mark by compare-and-delete) and `pipeline` (the durability option's
 * `WAIT`) are used when present.
 */
export interface RedisCommandClient {
  /** `SET key value PX ttl NX`: `'OK'` when set, `null` when the key already existed. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>
  /** `DEL key`: the number of keys removed. */
  del(key: string): Promise<number>
  /**
   * `GET key`: after a `nil` reply to `SET NX`, tells whether the mark is this call's own (a
   * command that the client sent again after a lost connection), which counts as set.
   */
  get?(key: string): Promise<string | null>
  /** `EVAL script numkeys key value`: used to delete a mark only while it still holds this store's value. */
  eval?(script: string, numkeys: number, key: string, value: string): Promise<unknown>
  /** A pipeline, so that `SET` and `WAIT` reach the same connection (the key's node in a Cluster). */
  pipeline?(): RedisMarkPipeline
}

/** The part of an ioredis pipeline the durability option uses. */
export interface RedisMarkPipeline {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): unknown
  wait(numreplicas: number, timeout: number): unknown
  exec(): Promise<Array<[error: Error | null, result: unknown]> | null>
}

/** A Sentinel or Cluster node address. */
export interface RedisNodeAddress {
  readonly host: string
  readonly port: number
}

/** Options shared by every way of creating the store. */
export interface RedisConsentUseStoreCommonOptions {
  /**
   * Prepended to every record key, e.g. `'my-api:'` when several applications share one Redis
   * database. The guard's keys already start with `consent-guard:used:v1:`. Default `''`.
   * (An ioredis `keyPrefix` configured on the client applies on top of this.)
   */
  readonly keyPrefix?: string
  /**
   * Give up on one Redis call after this many ms and reject, so the guard answers 503
   * `store_unavailable`. Keep it below the guard's `storeTimeoutMs` (default 1000). Default 500.
   */
  readonly commandTimeoutMs?: number
  /**
   * Durability: a first use counts only when at least this many replicas confirmed the mark
   * (`WAIT minReplicas replicaAckTimeoutMs` right after the `SET NX`, on the same connection).
   * When fewer confirm in time the mark is deleted again and `markUsed` rejects (503): the
   * consumer retries, nothing is used twice. Default 0: the primary's answer counts, and a mark
   * that had not reached a replica is lost when the primary fails (docs/one-time-consent.md).
   */
  readonly minReplicas?: number
  /**
   * How long `WAIT` waits for the replicas, in ms. Must be below `commandTimeoutMs`. Default: half
   * of `commandTimeoutMs`.
   */
  readonly replicaAckTimeoutMs?: number
}

/** Use a client you created and own. {@link RedisConsentUseStore.close} leaves it open. */
export interface RedisConsentUseStoreClientOptions extends RedisConsentUseStoreCommonOptions {
  /**
   * An ioredis `Redis` or `Cluster` (or anything with {@link RedisCommandClient}'s shape). Its
   * own settings decide how it queues and retries while disconnected: for fail-fast behaviour
   * create it with `FAIL_FAST_REDIS_OPTIONS` (or `FAIL_FAST_CLUSTER_OPTIONS`);
   * `commandTimeoutMs` bounds each call in any case.
   */
  readonly client: RedisCommandClient
}

/**
 * Let the store create (and own) an ioredis client: give at most one of `url` (one server),
 * `sentinels` + `name` (a Sentinel-managed primary) or `nodes` (a Redis Cluster).
 */
export interface RedisConsentUseStoreConnectionOptions extends RedisConsentUseStoreCommonOptions {
  readonly client?: undefined
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://...` for TLS. Default: ioredis's (`127.0.0.1:6379`). */
  readonly url?: string
  /** Sentinels to ask for the current primary of {@link name}; the client follows failovers. */
  readonly sentinels?: readonly RedisNodeAddress[]
  /** The Sentinel master name (`sentinel monitor <name> ...`). Required with `sentinels`. */
  readonly name?: string
  /** Some nodes of a Redis Cluster (the client discovers the rest). */
  readonly nodes?: readonly RedisNodeAddress[]
  /**
   * ioredis options, applied over `FAIL_FAST_REDIS_OPTIONS` (for a Cluster: the options of each
   * node connection). Overriding `enableOfflineQueue`, `maxRetriesPerRequest` or
   * `autoResendUnfulfilledCommands` gives up the fail-fast behaviour. Put Sentinel settings
   * (`sentinelPassword`, `enableTLSForSentinelMode` ...) here too.
   */
  readonly options?: RedisOptions
  /** With `nodes`: ioredis Cluster options, applied over `FAIL_FAST_CLUSTER_OPTIONS`. */
  readonly clusterOptions?: ClusterOptions
  /**
   * Called with connection errors of the created client (refused, reset, DNS). Default: ignored,
   * because every request that needs the store already ends in a 503 that the guard logs at
   * warn level; pass your logger here to see the cause.
   */
  readonly onError?: (error: Error) => void
}

/** Options of {@link createRedisConsentUseStore}: an existing `client`, or `url` / `sentinels` / `nodes`. */
export type RedisConsentUseStoreOptions = RedisConsentUseStoreClientOptions | RedisConsentUseStoreConnectionOptions

/** The store, plus lifecycle helpers. */
export interface RedisConsentUseStore extends ConsentUseStore {
  /**
   * Resolves once the client is connected and ready (immediately for a client without a
   * `status`). Await it before accepting traffic: until then one-time routes answer 503. Rejects
   * after `timeoutMs` (default 10 000).
   */
  ready(timeoutMs?: number): Promise<void>
  /**
   * Closes the client when the store created it (`QUIT`, or a hard disconnect when Redis is
   * unreachable), which also stops reconnecting. A client passed in as `client` is left open:
   * its owner closes it. Idempotent.
   */
  close(): Promise<void>
  /**
   * Marks whose outcome is not known yet, or that must still be deleted: a `SET` that did not
   * answer in time (or that landed after the guard gave up) is removed by compare-and-delete
   * once Redis answers again. Watch it: a number that keeps growing means Redis stays unreachable.
   */
  readonly pendingReleases: number
}

const COMMON = ['keyPrefix', 'commandTimeoutMs', 'minReplicas', 'replicaAckTimeoutMs']
const CLIENT = [...COMMON, 'client']
const CONNECTION = [...COMMON, 'client', 'url', 'sentinels', 'name', 'nodes', 'options', 'clusterOptions', 'onError']

/** Validated common settings. */
export interface ResolvedCommonOptions {
  readonly keyPrefix: string
  readonly commandTimeoutMs: number
  readonly minReplicas: number
  readonly replicaAckTimeoutMs: number
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500

const fail = (message: string, code: 'option_unknown' | 'option_invalid' = 'option_invalid'): never => {
  throw new ConsentGuardConfigError(code, `createRedisConsentUseStore: ${message}`)
}

/** Checks names and values at start-up; unknown option names are errors. */
export function resolveOptions(options: RedisConsentUseStoreOptions): ResolvedCommonOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const known = options.client !== undefined ? CLIENT : CONNECTION
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      fail(
        CONNECTION.includes(name)
          ? `give either "client" or "url"/"sentinels"/"nodes"/"options", not both ("${name}")`
          : `unknown option "${name}"`,
        CONNECTION.includes(name) ? 'option_invalid' : 'option_unknown',
      )
    }
  }
  const keyPrefix = options.keyPrefix ?? ''
  if (typeof keyPrefix !== 'string') fail('"keyPrefix" must be a string')
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  if (typeof commandTimeoutMs !== 'number' || !Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    fail('"commandTimeoutMs" must be a positive number')
  }
  const minReplicas = options.minReplicas ?? 0
  if (!Number.isInteger(minReplicas) || minReplicas < 0) fail('"minReplicas" must be a whole number ≥ 0')
  const replicaAckTimeoutMs = options.replicaAckTimeoutMs ?? Math.max(1, Math.floor(commandTimeoutMs / 2))
  if (!Number.isInteger(replicaAckTimeoutMs) || replicaAckTimeoutMs <= 0 || replicaAckTimeoutMs >= commandTimeoutMs) {
    fail('"replicaAckTimeoutMs" must be a whole number of ms above 0 and below "commandTimeoutMs"')
  }
  if (options.client !== undefined) {
    const c = options.client as Partial<RedisCommandClient>
    if (typeof c.set !== 'function' || typeof c.del !== 'function') fail('"client" must be a Redis client (ioredis Redis or Cluster)')
    if (minReplicas > 0 && typeof c.pipeline !== 'function') fail('"minReplicas" needs a client with pipeline() (ioredis Redis or Cluster)')
  } else {
    const o = options
    const ways = [o.url !== undefined, o.sentinels !== undefined, o.nodes !== undefined].filter(Boolean).length
    if (ways > 1) fail('give only one of "url", "sentinels" (+ "name") and "nodes"')
    if (o.url !== undefined && typeof o.url !== 'string') fail('"url" must be a string')
    if ((o.sentinels === undefined) !== (o.name === undefined)) fail('"sentinels" and "name" go together')
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) fail('"name" must be a non-empty string')
    for (const [field, list] of [
      ['sentinels', o.sentinels],
      ['nodes', o.nodes],
    ] as const) {
      if (list === undefined) continue
      if (!isArray(list) || list.length === 0) fail(`"${field}" must be a non-empty array of { host, port }`)
      for (const node of list) {
        if (typeof node?.host !== 'string' || node.host === '' || !Number.isInteger(node.port) || node.port < 1 || node.port > 65_535) {
          fail(`"${field}" must be a non-empty array of { host, port }`)
        }
      }
    }
    if (o.clusterOptions !== undefined && o.nodes === undefined) fail('"clusterOptions" needs "nodes"')
    if (o.onError !== undefined && typeof o.onError !== 'function') fail('"onError" must be a function')
  }
  return { keyPrefix, commandTimeoutMs, minReplicas, replicaAckTimeoutMs }
}

/**
 * Parses `host:port,host:port` (the examples' `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES`).
 * IPv6 addresses go in brackets: `[::1]:26379`. Throws a `ConsentGuardConfigError` naming
 * `what` on anything else.
 */
export function parseRedisNodeList(text: string, what = 'node list'): RedisNodeAddress[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (items.length === 0) throw new ConsentGuardConfigError('option_invalid', `${what}: expected host:port[,host:port...]`)
  return items.map((item) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(item)
    const port = Number(match?.[3])
    if (match === null || port < 1 || port > 65_535)
      throw new ConsentGuardConfigError('option_invalid', `${what}: "${item}" is not host:port`)
    return { host: (match[1] ?? match[2]) as string, port }
  })
}
