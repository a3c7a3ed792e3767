import { ConsentGuardEnvError, envValue, optionsFromEnv, type ConsentGuardOptions } from '@consent-guard/core'
import { parseRedisNodeList, type RedisConsentUseStoreConnectionOptions, type RedisNodeAddress } from '@consent-guard/redis'

/** Everything the server reads from its environment. */
export interface AppConfig {
  /** The guard's options from `optionsFromEnv` (MASKINPORTEN_*, CONSENT_TOKEN_HEADER, ALTINN2_*, CORRELATION_HEADER, AUDIT_KEY). */
  readonly guard: ConsentGuardOptions
  /** `PORT`, default 3000 (0 picks a free port). */
  readonly port: number
  /** `HOST`, default 127.0.0.1; set `0.0.0.0` in a container. */
  readonly host: string
  /** `ALLOWED_CONSUMERS`: comma-separated organisation numbers allowed to call the data routes; unset = any consumer. */
  readonly allowedConsumers: readonly string[] | undefined
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: string
  /** `REDIS_URL`: one-time consents are recorded in this Redis, shared by every instance; unset = in memory (one instance). */
  readonly redisUrl: string | undefined
  /** `REDIS_SENTINELS` (comma-separated `host:port`) with `REDIS_SENTINEL_NAME`: Redis behind Sentinel, instead of `REDIS_URL`. */
  readonly redisSentinels: readonly RedisNodeAddress[] | undefined
  /** `REDIS_SENTINEL_NAME`: the Sentinel master name; required with `REDIS_SENTINELS`. */
  readonly redisSentinelName: string | undefined
  /** `REDIS_CLUSTER_NODES` (comma-separated `host:port`): a Redis Cluster, instead of `REDIS_URL`. */
  readonly redisClusterNodes: readonly RedisNodeAddress[] | undefined
  /** `REDIS_MIN_REPLICAS`: replicas that must confirm each one-time mark before the 200 (`WAIT`); unset = 0. */
  readonly redisMinReplicas: number | undefined
  /** `METRICS=1`: serve Prometheus metrics on `GET /metrics`. */
  readonly metrics: boolean
  /**
   * `DISCLOSURE_LOG_URL` (`postgres://...`): record every 2xx guarded answer in this PostgreSQL
   * disclosure log, fail-closed (no record, no data: 503); unset = nothing is recorded.
   */
  readonly disclosureLogUrl: string | undefined
}

/**
 * Reads and validates the configuration: the guard's variables through core's `optionsFromEnv`,
 * the server's own here. Throws `ConsentGuardConfigError` naming the bad variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const value = (name: string) => envValue(env, name)
  const fail = (variable: string, message: string): never => {
    throw new ConsentGuardEnvError(variable, `${variable} ${message}`)
  }

  const portText = value('PORT') ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535) fail('PORT', `must be a port number, got "${portText}"`)

  const allowedConsumers = value('ALLOWED_CONSUMERS')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const orgno of allowedConsumers ?? []) {
    if (!/^\d{9}$/.test(orgno)) fail('ALLOWED_CONSUMERS', `must list 9-digit organisation numbers, got "${orgno}"`)
  }

  const redisUrl = value('REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) fail('REDIS_URL', 'must start with redis:// or rediss://')
  const nodeList = (name: string): RedisNodeAddress[] | undefined => {
    const text = value(name)
    if (text === undefined) return undefined
    try {
      return parseRedisNodeList(text, name)
    } catch (err) {
      return fail(name, `is invalid: ${(err as Error).message} (expected host:port[,host:port...])`)
    }
  }
  const redisSentinels = nodeList('REDIS_SENTINELS')
  const redisSentinelName = value('REDIS_SENTINEL_NAME')
  const redisClusterNodes = nodeList('REDIS_CLUSTER_NODES')
  if ([redisUrl, redisSentinels, redisClusterNodes].filter((v) => v !== undefined).length > 1) {
    fail('REDIS_URL', 'conflicts: set only one of REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) and REDIS_CLUSTER_NODES')
  }
  if ((redisSentinels === undefined) !== (redisSentinelName === undefined)) {
    if (redisSentinels === undefined) fail('REDIS_SENTINELS', 'must be set together with REDIS_SENTINEL_NAME')
    fail('REDIS_SENTINEL_NAME', 'must be set together with REDIS_SENTINELS')
  }
  const minReplicasText = value('REDIS_MIN_REPLICAS')
  if (minReplicasText !== undefined && !/^\d{1,2}$/.test(minReplicasText)) {
    fail('REDIS_MIN_REPLICAS', `must be a whole number of replicas, got "${minReplicasText}"`)
  }
  if (minReplicasText !== undefined && redisUrl === undefined && redisSentinels === undefined && redisClusterNodes === undefined) {
    fail('REDIS_MIN_REPLICAS', 'needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES')
  }

  const metrics = value('METRICS')
  if (metrics !== undefined && metrics !== '0' && metrics !== '1') fail('METRICS', `must be 0 or 1, got "${metrics}"`)

  const disclosureLogUrl = value('DISCLOSURE_LOG_URL')
  if (disclosureLogUrl !== undefined && !/^postgres(ql)?:\/\//.test(disclosureLogUrl))
    fail('DISCLOSURE_LOG_URL', 'must start with postgres:// or postgresql://')

  return {
    guard: optionsFromEnv(env),
    port,
    host: value('HOST') ?? '127.0.0.1',
    allowedConsumers: allowedConsumers !== undefined && allowedConsumers.length > 0 ? allowedConsumers : undefined,
    logLevel: value('LOG_LEVEL') ?? 'info',
    redisUrl,
    redisSentinels,
    redisSentinelName,
    redisClusterNodes,
    redisMinReplicas: minReplicasText === undefined ? undefined : Number(minReplicasText),
    metrics: metrics === '1',
    disclosureLogUrl,
  }
}

/**
 * Where one-time consents are recorded: `undefined` = in memory (one instance); otherwise the
 * options of `createRedisConsentUseStore` for one server, Sentinel or Cluster, with the durability
 * option from `REDIS_MIN_REPLICAS`.
 */
export function redisStoreOptions(config: AppConfig): RedisConsentUseStoreConnectionOptions | undefined {
  const minReplicas = config.redisMinReplicas !== undefined ? { minReplicas: config.redisMinReplicas } : {}
  if (config.redisSentinels !== undefined) return { sentinels: config.redisSentinels, name: config.redisSentinelName, ...minReplicas }
  if (config.redisClusterNodes !== undefined) return { nodes: config.redisClusterNodes, ...minReplicas }
  if (config.redisUrl !== undefined) return { url: config.redisUrl, ...minReplicas }
  return undefined
}
