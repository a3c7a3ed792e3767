import { ConsentGuardEnvError, envValue, optionsFromEnv, type ConsentGuardOptions } from '@consent-guard/core'
import { redisStoreOptionsFromEnv, type RedisConsentUseStoreConnectionOptions } from '@consent-guard/redis'

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
  /**
   * Where one-time consents are recorded, from `redisStoreOptionsFromEnv`: `REDIS_URL`, `REDIS_SENTINELS`
   * with `REDIS_SENTINEL_NAME`, or `REDIS_CLUSTER_NODES`, and `REDIS_MIN_REPLICAS`; unset = in memory
   * (one instance).
   */
  readonly redis: RedisConsentUseStoreConnectionOptions | undefined
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
 * the one-time store's through `redisStoreOptionsFromEnv`, the server's own here. Throws `ConsentGuardConfigError` naming the bad variable.
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
    redis: redisStoreOptionsFromEnv(env),
    metrics: metrics === '1',
    disclosureLogUrl,
  }
}
