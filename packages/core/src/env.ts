import { ConsentGuardConfigError } from './errors.js'
import { resolveOptions, type Altinn2Environment, type ConsentGuardOptions, type MaskinportenEnvironment } from './options.js'

/**
 * The environment variables {@link optionsFromEnv} reads, with what each sets. Unset or empty
 * means "not given".
 */
export const GUARD_ENV_VARIABLES = Object.freeze({
  MASKINPORTEN_ENV: '`test` (default) or `prod`: the published Maskinporten issuer and key set',
  MASKINPORTEN_ISSUER: 'custom issuer (with MASKINPORTEN_JWKS_URI; not with MASKINPORTEN_ENV)',
  MASKINPORTEN_JWKS_URI: 'custom key-set URL (with MASKINPORTEN_ISSUER)',
  CONSENT_TOKEN_HEADER: 'two-token mode: the consent token travels in this header (e.g. AltinnSamtykke)',
  ALTINN2_ENV:
    'legacy (deprecated: Altinn II closed on 19 June 2026): `tt02` or `prod`: also accept Altinn 2 consent tokens (needs CONSENT_TOKEN_HEADER)',
  ALTINN2_JWKS_URI: 'legacy (deprecated): custom Altinn 2 key-set URL instead of ALTINN2_ENV',
  CORRELATION_HEADER: 'header carrying the correlation id (default X-Correlation-ID; Skatteetaten uses Korrelasjonsid)',
  AUDIT_KEY: 'secret for the keyed hash of subjects in audit events (stable across instances)',
} as const)

/** A variable name of {@link GUARD_ENV_VARIABLES}. */
export type GuardEnvVariable = keyof typeof GUARD_ENV_VARIABLES

/** Thrown by {@link optionsFromEnv}: a `ConsentGuardConfigError` that names the variable at fault. */
export class ConsentGuardEnvError extends ConsentGuardConfigError {
  /** The variable at fault (the first, when two conflict). */
  readonly variable: string
  constructor(variable: string, message: string) {
    super('option_invalid', message)
    this.variable = variable
  }
}

/** Reads one variable: trimmed, `undefined` when unset or empty. */
export function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name]?.trim()
  return v === undefined || v === '' ? undefined : v
}

/**
 * Guard options from environment variables (see {@link GUARD_ENV_VARIABLES}), validated: returns
 * options `createConsentGuard` accepts, or throws {@link ConsentGuardEnvError} (a
 * `ConsentGuardConfigError`) whose message starts with the variable's name. `base` supplies
 * options that have no variable (store, logger, hooks); the environment wins where both set one.
 *
 * @example
 * const guard = createConsentGuard(optionsFromEnv(process.env, { store }))
 */
export function optionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  base: Partial<ConsentGuardOptions> = {},
): ConsentGuardOptions {
  const value = (name: GuardEnvVariable) => envValue(env, name)
  const fail = (variable: GuardEnvVariable, message: string): never => {
    throw new ConsentGuardEnvError(variable, `${variable} ${message}`)
  }

  const issuer = value('MASKINPORTEN_ISSUER')
  const jwksUri = value('MASKINPORTEN_JWKS_URI')
  const envName = value('MASKINPORTEN_ENV')
  let maskinporten: MaskinportenEnvironment
  if (issuer !== undefined || jwksUri !== undefined) {
    if (issuer === undefined) fail('MASKINPORTEN_ISSUER', 'must be set together with MASKINPORTEN_JWKS_URI')
    if (jwksUri === undefined) fail('MASKINPORTEN_JWKS_URI', 'must be set together with MASKINPORTEN_ISSUER')
    if (envName !== undefined)
      fail('MASKINPORTEN_ENV', 'conflicts: set either MASKINPORTEN_ENV or MASKINPORTEN_ISSUER + MASKINPORTEN_JWKS_URI')
    maskinporten = { issuer: issuer as string, jwksUri: jwksUri as string }
  } else {
    const name = envName ?? base.maskinporten ?? 'test'
    if (name !== 'test' && name !== 'prod' && typeof name !== 'object')
      fail('MASKINPORTEN_ENV', `must be "test" or "prod", got "${envName}"`)
    maskinporten = name as MaskinportenEnvironment
  }

  const consentHeader = value('CONSENT_TOKEN_HEADER') ?? base.consentHeader
  const altinn2Env = value('ALTINN2_ENV')
  const altinn2JwksUri = value('ALTINN2_JWKS_URI')
  let altinn2: Altinn2Environment | undefined = base.altinn2
  if (altinn2Env !== undefined && altinn2JwksUri !== undefined)
    fail('ALTINN2_ENV', 'conflicts: set either ALTINN2_ENV or ALTINN2_JWKS_URI, not both')
  if (altinn2Env !== undefined) {
    if (altinn2Env !== 'tt02' && altinn2Env !== 'prod') fail('ALTINN2_ENV', `must be "tt02" or "prod", got "${altinn2Env}"`)
    altinn2 = altinn2Env as 'tt02' | 'prod'
  } else if (altinn2JwksUri !== undefined) {
    altinn2 = { jwksUri: altinn2JwksUri }
  }
  if ((altinn2Env !== undefined || altinn2JwksUri !== undefined) && consentHeader === undefined) {
    fail(
      altinn2Env !== undefined ? 'ALTINN2_ENV' : 'ALTINN2_JWKS_URI',
      'needs CONSENT_TOKEN_HEADER: Altinn 2 consent tokens travel beside the Maskinporten token',
    )
  }
  const correlationHeader = value('CORRELATION_HEADER') ?? base.correlationHeader
  const auditKey = value('AUDIT_KEY') ?? base.auditKey

  const options: ConsentGuardOptions = {
    ...base,
    maskinporten,
    ...(consentHeader !== undefined && { consentHeader }),
    ...(altinn2 !== undefined && { altinn2 }),
    ...(correlationHeader !== undefined && { correlationHeader }),
    ...(auditKey !== undefined && { auditKey }),
  }
  // Each variable's value checked on its own by the same rules as createConsentGuard, so the
  // error names the variable behind it.
  const check = (variable: GuardEnvVariable, given: boolean, partial: ConsentGuardOptions): void => {
    if (!given) return
    try {
      resolveOptions(partial)
    } catch (err) {
      if (err instanceof ConsentGuardConfigError) fail(variable, `is invalid: ${err.message}`)
      throw err
    }
  }
  check(issuer !== undefined ? 'MASKINPORTEN_JWKS_URI' : 'MASKINPORTEN_ENV', true, { maskinporten })
  check('CONSENT_TOKEN_HEADER', value('CONSENT_TOKEN_HEADER') !== undefined, {
    maskinporten: 'test',
    ...(consentHeader !== undefined && { consentHeader }),
  })
  check(altinn2Env !== undefined ? 'ALTINN2_ENV' : 'ALTINN2_JWKS_URI', altinn2Env !== undefined || altinn2JwksUri !== undefined, {
    maskinporten: 'test',
    consentHeader: 'AltinnSamtykke',
    ...(altinn2 !== undefined && { altinn2 }),
  })
  check('CORRELATION_HEADER', value('CORRELATION_HEADER') !== undefined, {
    maskinporten: 'test',
    ...(correlationHeader !== undefined && { correlationHeader }),
  })
  resolveOptions(options)
  return options
}
