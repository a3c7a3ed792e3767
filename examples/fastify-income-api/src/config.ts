import { ConsentGuardEnvError, envValue, optionsFromEnv, type ConsentGuardOptions } from '@consent-guard/core'

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
  /** `METRICS=1`: serve Prometheus metrics on `GET /metrics`. */
  readonly metrics: boolean
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

  const metrics = value('METRICS')
  if (metrics !== undefined && metrics !== '0' && metrics !== '1') fail('METRICS', `must be 0 or 1, got "${metrics}"`)

  return {
    guard: optionsFromEnv(env),
    port,
    host: value('HOST') ?? '127.0.0.1',
    allowedConsumers: allowedConsumers !== undefined && allowedConsumers.length > 0 ? allowedConsumers : undefined,
    logLevel: value('LOG_LEVEL') ?? 'info',
    redisUrl,
    metrics: metrics === '1',
  }
}
