import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import { parseCompactJws, parseJsonObject } from '../credentials/compact-jws.js'
import { ConsentGuardError, isConsentGuardError } from '../errors.js'
import { ALTINN2_ISSUER, parseAltinn2Consent } from '../consent/altinn2.js'
import type { ParsedConsent } from '../consent/parse.js'
import { mapJoseError } from './verify-token.js'

/** How Altinn 2 consent tokens are verified. */
export interface Altinn2Rules {
  readonly getKey: JWTVerifyGetKey
  readonly clockTolerance: number
  /** Largest `exp - nbf` in seconds (Altinn 2 tokens live 30 s). */
  readonly maxTokenAge: number
  readonly now: () => Date
}

/** A verified Altinn 2 consent token. */
export interface Altinn2Token {
  readonly kind: 'altinn2'
  readonly issuer: typeof ALTINN2_ISSUER
  /** Epoch seconds. */
  readonly expiresAt: number
  readonly consent: ParsedConsent
}

/**
 * True when a (syntactically valid) token says it was issued by Altinn 2. Read before the
 * signature is checked, only to choose between the two key sets the deployment configured;
 * it never selects a URL, and the chosen verifier checks the signature and the issuer anyway.
 */
export function claimsAltinn2Issuer(token: string): boolean {
  const payload = token.split('.')[1]
  if (payload === undefined) return false
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return (
      typeof claims === 'object' && claims !== null && Object.hasOwn(claims, 'iss') && (claims as { iss: unknown }).iss === ALTINN2_ISSUER
    )
  } catch {
    return false
  }
}

/**
 * Verifies an Altinn 2 consent token: RS256 signature by a key in Altinn's key set (matched by
 * `kid`, or `x5t` for older tokens), issuer `altinn.no`, `exp`/`nbf` with tolerance, and a
 * lifetime cap (these tokens carry no `iat`), then parses the consent claims.
 */
export async function verifyAltinn2Token(token: string, rules: Altinn2Rules): Promise<Altinn2Token> {
  const jws = parseCompactJws(token, { algorithms: ['RS256'], keyId: 'kid-or-x5t' })
  const header = jws.header
  // jose selects keys by kid; tokens with only x5t name the same thumbprint Altinn uses as kid.
  const getKey: JWTVerifyGetKey = (h, t) =>
    rules.getKey(h.kid === undefined && typeof header.x5t === 'string' ? { ...h, kid: header.x5t } : h, t)
  let claims: Record<string, unknown>
  try {
    const result = await jwtVerify(token, getKey, {
      issuer: ALTINN2_ISSUER,
      algorithms: ['RS256'],
      clockTolerance: rules.clockTolerance,
      currentDate: rules.now(),
      requiredClaims: ['iss', 'exp', 'nbf'],
    })
    claims = result.payload
  } catch (err) {
    if (isConsentGuardError(err)) throw err
    throw new ConsentGuardError(mapJoseError(err))
  }
  if (parseJsonObject(jws.payloadText) === undefined) throw new ConsentGuardError('token_claims_invalid')
  const exp = claims.exp as number
  const nbf = claims.nbf as number
  if (!Number.isFinite(exp) || !Number.isFinite(nbf)) throw new ConsentGuardError('token_claims_invalid')
  if (exp - nbf > rules.maxTokenAge || exp <= nbf) throw new ConsentGuardError('token_lifetime_exceeded')
  return Object.freeze({ kind: 'altinn2', issuer: ALTINN2_ISSUER, expiresAt: exp, consent: parseAltinn2Consent(claims) })
}
