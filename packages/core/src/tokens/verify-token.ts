import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import { parseCompactJws } from '../credentials/compact-jws.js'
import { hasDuplicateMembers } from '../credentials/json-duplicates.js'
import { ConsentGuardError, isConsentGuardError, type ConsentGuardErrorCode } from '../errors.js'
import { parseConsents, type ParsedConsent } from '../consent/parse.js'
import { acceptOrganization, organizationText, type OrganizationIdentifier } from '../consent/organization.js'

/** How Maskinporten tokens are verified (resolved guard options). */
export interface TokenRules {
  readonly issuer: string
  readonly getKey: JWTVerifyGetKey
  readonly algorithms: readonly string[]
  /** Seconds of leeway for `exp`, `nbf`, `iat`. */
  readonly clockTolerance: number
  /** Largest accepted `exp - iat` and token age, in seconds. */
  readonly maxTokenAge: number
  /** Accepted audiences; when set, a present `aud` must contain one of them. */
  readonly audience?: readonly string[]
  /** Require `aud` (only meaningful with `audience`). */
  readonly requireAudience: boolean
  /** Authorities accepted in `consumer`/`supplier` beside the Norwegian form. Default: none. */
  readonly consumerAuthorities?: ReadonlySet<string>
  readonly now: () => Date
}

/** A verified Maskinporten access token, reduced to what authorisation needs. */
export interface MaskinportenToken {
  readonly kind: 'maskinporten'
  readonly issuer: string
  readonly jti: string
  readonly clientId: string
  /**
   * `consumer` (the legal consumer / data controller) as a string: the organisation number for the
   * Norwegian form, `<authority>:<id>` for an identifier of another accepted authority.
   */
  readonly consumer: string
  /** `consumer` as sent, authority and ID. */
  readonly consumerIdentifier: OrganizationIdentifier
  /** `supplier` (fetched on the consumer's behalf) as a string, in the same form as `consumer`. */
  readonly supplier?: string
  /** `supplier` as sent, authority and ID. */
  readonly supplierIdentifier?: OrganizationIdentifier
  readonly delegationSource?: string
  /** Scopes, split on spaces, exact strings. */
  readonly scopes: readonly string[]
  /** Epoch seconds. */
  readonly issuedAt: number
  /** Epoch seconds. */
  readonly expiresAt: number
  /** Altinn consents in `authorization_details`. */
  readonly consents: readonly ParsedConsent[]
}

const REQUIRED = ['iss', 'exp', 'iat', 'jti', 'client_id', 'consumer']
const MAX_CLAIM_STRING = 256
const NO_AUTHORITIES: ReadonlySet<string> = new Set()

/**
 * Verifies one Maskinporten token: syntax pre-checks, signature with the issuer's key set (the
 * issuer comes from configuration, never from the token), exact issuer, time claims, lifetime
 * cap, and the Maskinporten claim shapes. jose's errors are mapped to stable codes and dropped:
 * they carry the payload, which must never reach a log.
 */
export async function verifyMaskinportenToken(token: string, rules: TokenRules): Promise<MaskinportenToken> {
  const jws = parseCompactJws(token, { algorithms: rules.algorithms })
  const now = rules.now()
  let claims: Record<string, unknown>
  try {
    const result = await jwtVerify(token, rules.getKey, {
      issuer: rules.issuer,
      algorithms: [...rules.algorithms],
      clockTolerance: rules.clockTolerance,
      maxTokenAge: rules.maxTokenAge,
      currentDate: now,
      requiredClaims: REQUIRED,
    })
    claims = result.payload
  } catch (err) {
    if (isConsentGuardError(err)) throw err
    throw new ConsentGuardError(mapJoseError(err))
  }
  // The signature is good and jose parsed the claims as an object; they must also be unambiguous (CLM-16).
  if (hasDuplicateMembers(jws.payloadText)) throw new ConsentGuardError('token_claims_invalid')
  return readClaims(claims, rules)
}

function readClaims(claims: Record<string, unknown>, rules: TokenRules): MaskinportenToken {
  const own = (name: string): unknown => (Object.hasOwn(claims, name) ? claims[name] : undefined)
  const invalid = (): never => {
    throw new ConsentGuardError('token_claims_invalid')
  }
  const exp = own('exp')
  const iat = own('iat')
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) invalid()
  if ((exp as number) - (iat as number) > rules.maxTokenAge || (exp as number) <= (iat as number)) {
    throw new ConsentGuardError('token_lifetime_exceeded')
  }
  const jti = boundedString(own('jti')) ?? invalid()
  const clientId = boundedString(own('client_id')) ?? invalid()
  const authorities = rules.consumerAuthorities ?? NO_AUTHORITIES
  const consumerIdentifier = acceptOrganization(own('consumer'), authorities)
  let supplierIdentifier: OrganizationIdentifier | undefined
  if (Object.hasOwn(claims, 'supplier')) supplierIdentifier = acceptOrganization(claims.supplier, authorities)
  let delegationSource: string | undefined
  if (Object.hasOwn(claims, 'delegation_source')) delegationSource = boundedString(claims.delegation_source) ?? invalid()

  const scope = own('scope')
  let scopes: string[] = []
  if (scope !== undefined) {
    if (typeof scope !== 'string') invalid()
    // RFC 6749 §3.3: space-delimited, case-sensitive; other whitespace is part of a scope token.
    scopes = (scope as string).split(' ').filter((s) => s !== '')
  }
  checkAudience(own('aud'), Object.hasOwn(claims, 'aud'), rules)

  return Object.freeze({
    kind: 'maskinporten',
    issuer: rules.issuer,
    jti,
    clientId,
    consumer: organizationText(consumerIdentifier),
    consumerIdentifier,
    ...(supplierIdentifier !== undefined && { supplier: organizationText(supplierIdentifier), supplierIdentifier }),
    delegationSource,
    scopes: Object.freeze(scopes),
    issuedAt: iat as number,
    expiresAt: exp as number,
    consents: parseConsents(claims),
  })
}

function checkAudience(aud: unknown, present: boolean, rules: TokenRules): void {
  if (rules.audience === undefined) return
  const fail = (): never => {
    throw new ConsentGuardError('token_audience_invalid')
  }
  if (!present) {
    if (rules.requireAudience) fail()
    return
  }
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : fail()
  if (values.length === 0 || !values.every((v) => typeof v === 'string')) fail()
  if (!values.some((v) => rules.audience?.includes(v as string))) fail()
}

function boundedString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_STRING ? value : undefined
}

/** Maps a jose verification error to a stable code (the error itself is dropped: it carries the payload). */
export function mapJoseError(err: unknown): ConsentGuardErrorCode {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const claim = typeof err === 'object' && err !== null ? (err as { claim?: unknown }).claim : undefined
  const reason = typeof err === 'object' && err !== null ? (err as { reason?: unknown }).reason : undefined
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token_expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      // 'missing' and 'invalid' (wrong type) are shape errors; 'check_failed' is a value check.
      if (reason !== 'check_failed') return 'token_claims_invalid'
      if (claim === 'iss') return 'token_issuer_invalid'
      if (claim === 'nbf' || claim === 'iat') return 'token_not_yet_valid'
      return 'token_claims_invalid'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token_signature_invalid'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token_algorithm_not_allowed'
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'token_key_unknown'
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
      return 'token_malformed'
    default:
      // e.g. a TypeError for an RSA key under 2048 bits in the issuer's set (SIG-09): the token
      // cannot be verified with a usable key. Never a 500, never accepted.
      return 'token_key_unknown'
  }
}
