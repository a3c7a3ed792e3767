import { ConsentGuardError, type ConsentGuardErrorCode } from '../errors.js'
import { hasDuplicateMembers } from '../credentials/json-duplicates.js'

/** The registered-claim rules of one token kind (resolved guard options). */
export interface RegisteredClaimRules {
  /** Exact `iss` (from configuration, never from the token). */
  readonly issuer: string
  /** Claims that must be present as own members. */
  readonly required: readonly string[]
  /** Seconds of leeway for `exp`, `nbf`, `iat`. */
  readonly clockTolerance: number
  /** Largest token age (`now - iat`) in seconds; makes `iat` required. Omit for tokens without `iat`. */
  readonly maxTokenAge?: number
}

/**
 * Parses a verified payload: JSON, a top-level object, no member twice at any depth. The text was
 * decoded once by `parseCompactJws`; this is its only parse.
 */
export function parsePayload(payloadText: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(payloadText)
  } catch {
    throw new ConsentGuardError('token_malformed')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConsentGuardError('token_malformed')
  return value as Record<string, unknown>
}

/** The payload has a member twice (CLM-16): checked after the registered claims, as before. */
export function checkNoDuplicateMembers(payloadText: string, claims: unknown): void {
  if (hasDuplicateMembers(payloadText, claims)) throw new ConsentGuardError('token_claims_invalid')
}

/**
 * The registered-claim rules the guard used to leave to jose's `jwtVerify`, in jose's order and
 * with its outcomes mapped to the guard's codes (the differential test holds both to the same
 * answer): required claims present, `iss` exact, `iat`/`nbf`/`exp` numbers, `nbf` not in the
 * future, `exp` not passed, and with `maxTokenAge` an `iat` neither too old nor in the future, all
 * with `clockTolerance`. `nowSeconds` is whole epoch seconds, as jose counts.
 */
export function checkRegisteredClaims(claims: Readonly<Record<string, unknown>>, rules: RegisteredClaimRules, nowSeconds: number): void {
  const code = registeredClaimsFailure(claims, rules, nowSeconds)
  if (code !== undefined) throw new ConsentGuardError(code)
}

/** Like {@link checkRegisteredClaims}, answering the failing code instead of throwing. */
export function registeredClaimsFailure(
  claims: Readonly<Record<string, unknown>>,
  rules: RegisteredClaimRules,
  nowSeconds: number,
): ConsentGuardErrorCode | undefined {
  for (const name of rules.required) if (!Object.hasOwn(claims, name)) return 'token_claims_invalid'
  if (rules.maxTokenAge !== undefined && !Object.hasOwn(claims, 'iat')) return 'token_claims_invalid'
  if (!Object.hasOwn(claims, 'iss')) return 'token_claims_invalid'
  if (claims.iss !== rules.issuer) return 'token_issuer_invalid'
  return timeClaimsFailure(claims.iat, claims.nbf, claims.exp, rules, nowSeconds)
}

/**
 * The time part alone, also re-run on every cache hit (time moves; the token does not). Values are
 * the raw claims (undefined when absent); `iat` is required exactly when `maxTokenAge` is set.
 */
export function timeClaimsFailure(
  iat: unknown,
  nbf: unknown,
  exp: unknown,
  rules: Pick<RegisteredClaimRules, 'clockTolerance' | 'maxTokenAge'>,
  now: number,
): ConsentGuardErrorCode | undefined {
  const tolerance = rules.clockTolerance
  if (iat !== undefined && typeof iat !== 'number') return 'token_claims_invalid'
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return 'token_claims_invalid'
    if (nbf > now + tolerance) return 'token_not_yet_valid'
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') return 'token_claims_invalid'
    if (exp <= now - tolerance) return 'token_expired'
  }
  if (rules.maxTokenAge !== undefined) {
    if (typeof iat !== 'number') return 'token_claims_invalid'
    const age = now - iat
    if (age - tolerance > rules.maxTokenAge) return 'token_expired'
    if (age < -tolerance) return 'token_not_yet_valid'
  }
  return undefined
}
