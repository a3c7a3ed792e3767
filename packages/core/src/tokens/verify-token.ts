import type { JWTVerifyGetKey } from 'jose'
import { UNRESTRICTED_AUDIENCE } from '../consent/audience.js'
import { parseCompactJws, MAX_TOKEN_BYTES, type CompactJws } from '../credentials/compact-jws.js'
import { ConsentGuardError } from '../errors.js'
import { parseConsents, type ParsedConsent } from '../consent/parse.js'
import { checkNoDuplicateMembers, checkRegisteredClaims, parsePayload, timeClaimsFailure, type RegisteredClaimRules } from './claims.js'
import { verifyJwsSignature } from './signature.js'
import type { VerifiedTokenCache } from './verified-cache.js'
import type { VerificationGate } from './verification-gate.js'
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
  /** The guard's clock, epoch ms. */
  readonly nowMs: () => number
  /** Verified tokens of this kind (one cache per guard and token kind); omit to verify every time. */
  readonly cache?: VerifiedTokenCache<MaskinportenToken>
  /** Admission control for uncached verifications; omit for none. */
  readonly gate?: VerificationGate
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
 * cap, and the Maskinporten claim shapes. The token is decoded once and its payload parsed once;
 * the registered claims are checked by the core's own rules (`claims.ts`), which keep jose's
 * semantics. With `rules.cache`, a token verified before is taken from the cache after its time
 * claims are checked again; every other check of the request still runs in the caller.
 *
 * A cache hit is answered at once (no promise) and a syntax failure is thrown at once: only a full
 * verification, which may wait on the key set, returns a promise. `await` takes either.
 */
export function verifyMaskinportenToken(token: string, rules: TokenRules): MaskinportenToken | Promise<MaskinportenToken> {
  const cache = rules.cache
  if (cache !== undefined && token.length <= MAX_TOKEN_BYTES) {
    const hit = cache.get(token)
    if (hit !== undefined) {
      // The time rules of a miss (tolerance, maxTokenAge), against the clock of this request.
      const failure = timeClaimsFailure(hit.iat, hit.nbf, hit.exp, rules, Math.floor(rules.nowMs() / 1000))
      if (failure !== undefined) throw new ConsentGuardError(failure)
      return hit.value
    }
  }
  // The request's time, taken before a key-set fetch may delay the verification.
  return verifyParsed(parseCompactJws(token, { algorithms: rules.algorithms }), rules, rules.nowMs())
}

async function verifyParsed(jws: CompactJws, rules: TokenRules, nowMs: number): Promise<MaskinportenToken> {
  const gate = rules.gate
  if (gate !== undefined) {
    const waiting = gate.acquire()
    if (waiting !== undefined) await waiting
  }
  try {
    await verifyJwsSignature(jws, rules.getKey)
  } finally {
    gate?.release()
  }
  const claims = parsePayload(jws.payloadText)
  checkRegisteredClaims(claims, claimRulesOf(rules), Math.floor(nowMs / 1000))
  // The signature is good and the claims are an object; they must also be unambiguous (CLM-16).
  checkNoDuplicateMembers(jws.payloadText, claims)
  const verified = readClaims(claims, rules)
  rules.cache?.set(
    { token: jws.token, value: verified, kid: jws.header.kid as string, iat: claims.iat, nbf: claims.nbf, exp: verified.expiresAt },
    nowMs,
  )
  return verified
}

// The registered-claim rules derived from a TokenRules object, built once per rules object.
const claimRules = new WeakMap<TokenRules, RegisteredClaimRules>()
function claimRulesOf(rules: TokenRules): RegisteredClaimRules {
  let out = claimRules.get(rules)
  if (out === undefined) {
    out = { issuer: rules.issuer, required: REQUIRED, clockTolerance: rules.clockTolerance, maxTokenAge: rules.maxTokenAge }
    claimRules.set(rules, out)
  }
  return out
}

/**
 * Reads the Maskinporten claims of a payload whose signature and registered claims were verified.
 * Exported for the differential test, which runs it behind jose's `jwtVerify`.
 */
export function readMaskinportenClaims(claims: Record<string, unknown>, rules: TokenRules): MaskinportenToken {
  return readClaims(claims, rules)
}

// Module functions, not closures per call: this runs on every uncached verification.
function own(claims: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined
}

function invalid(): never {
  throw new ConsentGuardError('token_claims_invalid')
}

function readClaims(claims: Record<string, unknown>, rules: TokenRules): MaskinportenToken {
  const exp = own(claims, 'exp')
  const iat = own(claims, 'iat')
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) invalid()
  if (exp - iat > rules.maxTokenAge || exp <= iat) {
    throw new ConsentGuardError('token_lifetime_exceeded')
  }
  const jti = boundedString(own(claims, 'jti')) ?? invalid()
  const clientId = boundedString(own(claims, 'client_id')) ?? invalid()
  const authorities = rules.consumerAuthorities ?? NO_AUTHORITIES
  const consumerIdentifier = acceptOrganization(own(claims, 'consumer'), authorities)
  let supplierIdentifier: OrganizationIdentifier | undefined
  if (Object.hasOwn(claims, 'supplier')) supplierIdentifier = acceptOrganization(claims.supplier, authorities)
  let delegationSource: string | undefined
  if (Object.hasOwn(claims, 'delegation_source')) delegationSource = boundedString(claims.delegation_source) ?? invalid()

  const scope = own(claims, 'scope')
  let scopes: string[] = []
  if (scope !== undefined) {
    if (typeof scope !== 'string') invalid()
    // RFC 6749 §3.3: space-delimited, case-sensitive; other whitespace is part of a scope token.
    scopes = scope.split(' ').filter((s) => s !== '')
  }
  checkAudience(own(claims, 'aud'), Object.hasOwn(claims, 'aud'), rules)

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
    issuedAt: iat,
    expiresAt: exp,
    consents: parseConsents(claims),
  })
}

function checkAudience(aud: unknown, present: boolean, rules: TokenRules): void {
  if (rules.audience === undefined) return
  const fail = (): never => {
    throw new ConsentGuardError('token_audience_invalid')
  }
  // Maskinporten writes `unspecified` when no audience was asked for and may omit `aud` instead:
  // both mean "not audience-restricted", so both get the same answer.
  if (!present || aud === UNRESTRICTED_AUDIENCE) {
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

export { mapJoseError } from './jose-errors.js'
