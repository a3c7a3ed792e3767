/**
 * `@consent-guard/redis`: a Redis store of used one-time consents (engangssamtykke), shared by
 * every instance of a data-source API. Pass it as the guard's `store`. One server, Sentinel and
 * Cluster, with an optional durability check (`minReplicas`).
 *
 * @example
 * import { createConsentGuard } from '@consent-guard/core'
 * import { createRedisConsentUseStore } from '@consent-guard/redis'
 *
 * const store = createRedisConsentUseStore({ url: process.env.REDIS_URL })
 * const guard = createConsentGuard({ maskinporten: 'prod', store })
 *
 * @packageDocumentation
 */
export { createRedisConsentUseStore } from './store.js'
export { FAIL_FAST_REDIS_OPTIONS, FAIL_FAST_CLUSTER_OPTIONS } from './client.js'
export { redisStoreOptionsFromEnv, REDIS_ENV_VARIABLES } from './env.js'
export {
  parseRedisNodeList,
  type RedisCommandClient,
  type RedisMarkPipeline,
  type RedisNodeAddress,
  type RedisConsentUseStore,
  type RedisConsentUseStoreOptions,
  type RedisConsentUseStoreClientOptions,
  type RedisConsentUseStoreConnectionOptions,
  type RedisConsentUseStoreCommonOptions,
} from './options.js'
