/**
 * `@consent-guard/redis`: a Redis store of used one-time consents (engangssamtykke), shared by
 * every instance of a data-source API. Pass it as the guard's `store`.
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
export {
  createRedisConsentUseStore,
  FAIL_FAST_REDIS_OPTIONS,
  type RedisCommandClient,
  type RedisConsentUseStore,
  type RedisConsentUseStoreOptions,
  type RedisConsentUseStoreClientOptions,
  type RedisConsentUseStoreConnectionOptions,
  type RedisConsentUseStoreCommonOptions,
} from './store.js'
