import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { RedisConsentUseStoreConnectionOptions } from './options.js'

/**
 * ioredis settings that make a created client fail fast instead of queueing requests while Redis
 * is down, and reconnect on its own so the store recovers when Redis comes back:
 * - `enableOfflineQueue: false`: a command issued while disconnected rejects at once.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the connection drops rejects; it is never sent again later, after the guard answered.
 * - `retryStrategy`: reconnect forever, waiting 50 ms more per attempt up to 1 s.
 * - `connectTimeout: 2000`: a connection attempt to an unresponsive host ends after 2 s.
 * - `sentinelRetryStrategy` and `failoverDetector` (Sentinel only): keep asking the sentinels,
 *   and reconnect as soon as they announce a new primary.
 */
export const FAIL_FAST_REDIS_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times: number) => Math.min(times * 50, 1000),
  connectTimeout: 2000,
  sentinelRetryStrategy: (times: number) => Math.min(times * 50, 1000),
  failoverDetector: true,
})

/**
 * ioredis Cluster settings with the same intent as {@link FAIL_FAST_REDIS_OPTIONS}:
 * - `enableOfflineQueue: false`: while the cluster client is not ready, commands reject at once.
 * - `retryDelayOnClusterDown: 0`: a command that got `CLUSTERDOWN` (no primary for its slot,
 *   during a failover) rejects at once (503). `MOVED`, `ASK` and `TRYAGAIN` are followed: the
 *   node refused the command, so repeating it on the right node cannot write twice.
 * - `retryDelayOnFailover: 100`: a command whose node connection closed (the client replaces
 *   connections when the slot map changes) is sent again after 100 ms. The first copy may have
 *   run; the store recognises its own mark by its unique value, and a copy that lands after the
 *   guard answered is released like any late mark.
 * - `maxRedirections: 5`, `slotsRefreshTimeout: 1000`, `clusterRetryStrategy`: reconnect
 *   forever, at most 1 s apart.
 */
export const FAIL_FAST_CLUSTER_OPTIONS: Readonly<ClusterOptions> = Object.freeze({
  enableOfflineQueue: false,
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 0,
  retryDelayOnTryAgain: 50,
  maxRedirections: 5,
  slotsRefreshTimeout: 1000,
  clusterRetryStrategy: (times: number) => Math.min(times * 50, 1000),
})

/** Node connections of a created Cluster: no resend of a command whose connection dropped. */
const CLUSTER_NODE_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2000,
})

/** Creates the ioredis client described by `url`, `sentinels` + `name`, or `nodes`. */
export function createClient(options: RedisConsentUseStoreConnectionOptions): Redis | Cluster {
  let client: Redis | Cluster
  if (options.nodes !== undefined) {
    client = new Cluster(
      options.nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        ...FAIL_FAST_CLUSTER_OPTIONS,
        ...options.clusterOptions,
        redisOptions: { ...CLUSTER_NODE_OPTIONS, ...options.options, ...options.clusterOptions?.redisOptions },
      },
    )
  } else if (options.sentinels !== undefined) {
    client = new Redis({
      ...FAIL_FAST_REDIS_OPTIONS,
      ...options.options,
      sentinels: options.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: options.name,
    })
  } else {
    const redisOptions: RedisOptions = { ...FAIL_FAST_REDIS_OPTIONS, ...options.options }
    client = options.url === undefined ? new Redis(redisOptions) : new Redis(options.url, redisOptions)
  }
  // Without a listener ioredis prints every connection error to stderr.
  client.on('error', options.onError ?? (() => {}))
  return client
}
