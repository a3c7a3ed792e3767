import { ConsentGuardEnvError, envValue } from '@consent-guard/core'
import { parseRedisNodeList, type RedisConsentUseStoreConnectionOptions, type RedisNodeAddress } from './options.js'

/** The variables {@link redisStoreOptionsFromEnv} reads. */
export const REDIS_ENV_VARIABLES = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_MIN_REPLICAS',
] as const

/**
 * Where one-time consents are recorded, from the environment: `undefined` (no Redis variable set:
 * keep the guard's in-memory store, right for one instance only), or the connection options of
 * `createRedisConsentUseStore` for one server (`REDIS_URL`), Sentinel (`REDIS_SENTINELS` as
 * `host:port[,host:port...]` with `REDIS_SENTINEL_NAME`) or Cluster (`REDIS_CLUSTER_NODES`), with
 * `REDIS_MIN_REPLICAS` as `minReplicas`. Set only one of the three. Throws `ConsentGuardEnvError`
 * (a `ConsentGuardConfigError`) naming the bad variable, at start-up, beside core's `optionsFromEnv`.
 *
 * @example
 * const redis = redisStoreOptionsFromEnv(process.env)
 * const guard = createConsentGuard({ ...optionsFromEnv(process.env), ...(redis && { store: createRedisConsentUseStore(redis) }) })
 */
export function redisStoreOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RedisConsentUseStoreConnectionOptions | undefined {
  const value = (name: (typeof REDIS_ENV_VARIABLES)[number]) => envValue(env, name)
  const fail = (variable: string, message: string): never => {
    throw new ConsentGuardEnvError(variable, `${variable} ${message}`)
  }
  const url = value('REDIS_URL')
  if (url !== undefined && !/^rediss?:\/\//.test(url)) fail('REDIS_URL', 'must start with redis:// or rediss://')
  const nodeList = (name: 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'): RedisNodeAddress[] | undefined => {
    const text = value(name)
    if (text === undefined) return undefined
    try {
      return parseRedisNodeList(text, name)
    } catch (err) {
      return fail(name, `is invalid: ${(err as Error).message} (expected host:port[,host:port...])`)
    }
  }
  const sentinels = nodeList('REDIS_SENTINELS')
  const name = value('REDIS_SENTINEL_NAME')
  const nodes = nodeList('REDIS_CLUSTER_NODES')
  if ([url, sentinels, nodes].filter((v) => v !== undefined).length > 1) {
    fail('REDIS_URL', 'conflicts: set only one of REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) and REDIS_CLUSTER_NODES')
  }
  if ((sentinels === undefined) !== (name === undefined)) {
    if (sentinels === undefined) fail('REDIS_SENTINELS', 'must be set together with REDIS_SENTINEL_NAME')
    fail('REDIS_SENTINEL_NAME', 'must be set together with REDIS_SENTINELS')
  }
  const minReplicasText = value('REDIS_MIN_REPLICAS')
  if (minReplicasText !== undefined && !/^\d{1,2}$/.test(minReplicasText)) {
    fail('REDIS_MIN_REPLICAS', `must be a whole number of replicas, got "${minReplicasText}"`)
  }
  if (minReplicasText !== undefined && url === undefined && sentinels === undefined && nodes === undefined) {
    fail('REDIS_MIN_REPLICAS', 'needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES')
  }
  const minReplicas = minReplicasText === undefined ? {} : { minReplicas: Number(minReplicasText) }
  if (sentinels !== undefined) return { sentinels, name, ...minReplicas }
  if (nodes !== undefined) return { nodes, ...minReplicas }
  if (url !== undefined) return { url, ...minReplicas }
  return undefined
}
