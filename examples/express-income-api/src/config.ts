import type { Altinn2Environment, MaskinportenEnvironment } from '@consent-guard/core'
import { parseRedisNodeList, type RedisConsentUseStoreConnectionOptions, type RedisNodeAddress } from '@consent-guard/redis'

/** Everything the server reads from its environment. */
export interface AppConfig {
  /** `PORT`, default 3000 (0 picks a free port). */
  readonly port: number
  /** `HOST`, default 127.0.0.1; set `0.0.0.0` in a container. */
  readonly host: string
  /** `MASKINPORTEN_ENV` (`test` default, `prod`) or `MASKINPORTEN_ISSUER` + `MASKINPORTEN_JWKS_URI`. */
  readonly maskinporten: MaskinportenEnvironment
  /** `CONSENT_TOKEN_HEADER`: two-token mode with the consent token in this header; unset = Altinn 3 single-token mode. */
  readonly consentHeader: string | undefined
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
  /**
   * Legacy: `ALTINN2_ENV` (`tt02` | `prod`) or `ALTINN2_JWKS_URI`: also accept Altinn 2 consent tokens in
   * the consent header (needs `CONSENT_TOKEN_HEADER`); unset = the legacy path is off. Altinn II closed on
   * 19 June 2026: leave both unset outside tests of the deprecated path (it warns at start-up).
   */
  readonly altinn2: Altinn2Environment | undefined
  /**
   * `DISCLOSURE_LOG_URL` (`postgres://...`): record every 2xx guarded answer in this PostgreSQL
   * disclosure log, fail-closed (no record, no data: 503); unset = nothing is recorded.
   */
  readonly disclosureLogUrl: string | undefined
}

/** A configuration mistake, reported at start-up with the variable's name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Reads and validates the configuration. Throws {@link ConfigError} naming the bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim()
    return v === undefined || v === '' ? undefined : v
  }

  const portText = value('PORT') ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535) throw new ConfigError(`PORT must be a port number, got "${portText}"`)

  const issuer = value('MASKINPORTEN_ISSUER')
  const jwksUri = value('MASKINPORTEN_JWKS_URI')
  const envName = value('MASKINPORTEN_ENV')
  let maskinporten: MaskinportenEnvironment
  if (issuer !== undefined || jwksUri !== undefined) {
    if (issuer === undefined || jwksUri === undefined)
      throw new ConfigError('MASKINPORTEN_ISSUER and MASKINPORTEN_JWKS_URI must be set together')
    if (envName !== undefined) throw new ConfigError('set either MASKINPORTEN_ENV or MASKINPORTEN_ISSUER + MASKINPORTEN_JWKS_URI, not both')
    maskinporten = { issuer, jwksUri }
  } else {
    const name = envName ?? 'test'
    if (name !== 'test' && name !== 'prod') throw new ConfigError(`MASKINPORTEN_ENV must be "test" or "prod", got "${name}"`)
    maskinporten = name
  }

  const consumersText = value('ALLOWED_CONSUMERS')
  const allowedConsumers = consumersText
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const orgno of allowedConsumers ?? []) {
    if (!/^\d{9}$/.test(orgno)) throw new ConfigError(`ALLOWED_CONSUMERS must list 9-digit organisation numbers, got "${orgno}"`)
  }

  const redisUrl = value('REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://')
  const nodeList = (name: string): RedisNodeAddress[] | undefined => {
    const text = value(name)
    if (text === undefined) return undefined
    try {
      return parseRedisNodeList(text, name)
    } catch (err) {
      throw new ConfigError(`${(err as Error).message} (expected host:port[,host:port...])`)
    }
  }
  const redisSentinels = nodeList('REDIS_SENTINELS')
  const redisSentinelName = value('REDIS_SENTINEL_NAME')
  const redisClusterNodes = nodeList('REDIS_CLUSTER_NODES')
  if ([redisUrl, redisSentinels, redisClusterNodes].filter((v) => v !== undefined).length > 1) {
    throw new ConfigError('set only one of REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) and REDIS_CLUSTER_NODES')
  }
  if ((redisSentinels === undefined) !== (redisSentinelName === undefined)) {
    throw new ConfigError('REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together')
  }
  const minReplicasText = value('REDIS_MIN_REPLICAS')
  if (minReplicasText !== undefined && !/^\d{1,2}$/.test(minReplicasText)) {
    throw new ConfigError(`REDIS_MIN_REPLICAS must be a whole number of replicas, got "${minReplicasText}"`)
  }
  if (minReplicasText !== undefined && redisUrl === undefined && redisSentinels === undefined && redisClusterNodes === undefined) {
    throw new ConfigError('REDIS_MIN_REPLICAS needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES')
  }

  const disclosureLogUrl = value('DISCLOSURE_LOG_URL')
  if (disclosureLogUrl !== undefined && !/^postgres(ql)?:\/\//.test(disclosureLogUrl))
    throw new ConfigError('DISCLOSURE_LOG_URL must start with postgres:// or postgresql://')

  const altinn2Env = value('ALTINN2_ENV')
  const altinn2JwksUri = value('ALTINN2_JWKS_URI')
  let altinn2: Altinn2Environment | undefined
  if (altinn2Env !== undefined && altinn2JwksUri !== undefined)
    throw new ConfigError('set either ALTINN2_ENV or ALTINN2_JWKS_URI, not both')
  if (altinn2Env !== undefined) {
    if (altinn2Env !== 'tt02' && altinn2Env !== 'prod') throw new ConfigError(`ALTINN2_ENV must be "tt02" or "prod", got "${altinn2Env}"`)
    altinn2 = altinn2Env
  } else if (altinn2JwksUri !== undefined) {
    altinn2 = { jwksUri: altinn2JwksUri }
  }
  if (altinn2 !== undefined && value('CONSENT_TOKEN_HEADER') === undefined) {
    throw new ConfigError(
      'ALTINN2_ENV / ALTINN2_JWKS_URI need CONSENT_TOKEN_HEADER: Altinn 2 consent tokens travel beside the Maskinporten token',
    )
  }

  return {
    port,
    host: value('HOST') ?? '127.0.0.1',
    maskinporten,
    consentHeader: value('CONSENT_TOKEN_HEADER'),
    allowedConsumers: allowedConsumers !== undefined && allowedConsumers.length > 0 ? allowedConsumers : undefined,
    logLevel: value('LOG_LEVEL') ?? 'info',
    redisUrl,
    redisSentinels,
    redisSentinelName,
    redisClusterNodes,
    redisMinReplicas: minReplicasText === undefined ? undefined : Number(minReplicasText),
    altinn2,
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
