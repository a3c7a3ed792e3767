import type { JWTVerifyGetKey } from 'jose'
import { MAX_TOKEN_BYTES, parseCompactJws } from '../credentials/compact-jws.js'
import { ConsentGuardError } from '../errors.js'
import { ALTINN2_ISSUER, parseAltinn2Consent } from '../consent/altinn2.js'
import type { ParsedConsent } from '../consent/parse.js'
import { checkNoDuplicateMembers, checkRegisteredClaims, parsePayload, timeClaimsFailure, type RegisteredClaimRules } from './claims.js'
import { verifyJwsSignature } from './signature.js'
import type { VerifiedTokenCache } from './verified-cache.js'
import type { VerificationGate } from './verification-gate.js'

/** How Altinn 2 consent tokens are verified. */
export interface Altinn2Rules {
  readonly getKey: JWTVerifyGetKey
  readonly clockTolerance: number
  /** Largest `exp - nbf` in seconds (Altinn 2 tokens live 30 s). */
  readonly maxTokenAge: number
  /** The guard's clock, epoch ms. */
  readonly nowMs: () => number
  /** Verified Altinn 2 tokens (one cache per guard); omit to verify every time. */
  readonly cache?: VerifiedTokenCache<Altinn2Token>
  /** Admission control for uncached verifications; omit for none. */
  readonly gate?: VerificationGate
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
  const first = token.indexOf('.')
  if (first === -1) return false
  const second = token.indexOf('.', first + 1)
  const payload = token.slice(first + 1, second === -1 ? undefined : second)
  try {
    const text = Buffer.from(payload, 'base64url').toString('utf8')
    // `iss` cannot be "altinn.no" unless the text spells it out or escapes a character: the full
    // parse runs only then (every uncached Altinn 3 consent token passes through here).
    if (!text.includes('altinn.no') && !text.includes('\\')) return false
    const claims: unknown = JSON.parse(text)
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
  const cache = rules.cache
  if (cache !== undefined && token.length <= MAX_TOKEN_BYTES) {
    const hit = cache.get(token)
    if (hit !== undefined) {
      // The same time rules as a miss (no iat requirement: these tokens carry none).
      const failure = timeClaimsFailure(hit.iat, hit.nbf, hit.exp, altinn2ClaimRules(rules), Math.floor(rules.nowMs() / 1000))
      if (failure !== undefined) throw new ConsentGuardError(failure)
      return hit.value
    }
  }
  const jws = parseCompactJws(token, { algorithms: ['RS256'], keyId: 'kid-or-x5t' })
  const header = jws.header
  const nowMs = rules.nowMs()
  // jose selects keys by kid; tokens with only x5t name the same thumbprint Altinn uses as kid.
  const getKey: JWTVerifyGetKey =
    header.kid === undefined && typeof header.x5t === 'string'
      ? (h, t) => rules.getKey({ ...h, kid: header.x5t as string }, t)
      : rules.getKey
  const gate = rules.gate
  if (gate !== undefined) {
    const waiting = gate.acquire()
    if (waiting !== undefined) await waiting
  }
  try {
    await verifyJwsSignature(jws, getKey)
  } finally {
    gate?.release()
  }
  const claims = parsePayload(jws.payloadText)
  checkRegisteredClaims(claims, altinn2ClaimRules(rules), Math.floor(nowMs / 1000))
  checkNoDuplicateMembers(jws.payloadText, claims)
  const exp = claims.exp as number
  const nbf = claims.nbf as number
  if (!Number.isFinite(exp) || !Number.isFinite(nbf)) throw new ConsentGuardError('token_claims_invalid')
  if (exp - nbf > rules.maxTokenAge || exp <= nbf) throw new ConsentGuardError('token_lifetime_exceeded')
  const verified: Altinn2Token = Object.freeze({
    kind: 'altinn2',
    issuer: ALTINN2_ISSUER,
    expiresAt: exp,
    consent: parseAltinn2Consent(claims),
  })
  const kid = (header.kid ?? header.x5t) as string
  cache?.set({ token, value: verified, kid, iat: claims.iat, nbf, exp }, nowMs)
  return verified
}

const ALTINN2_REQUIRED = ['iss', 'exp', 'nbf']

function altinn2ClaimRules(rules: Altinn2Rules): RegisteredClaimRules {
  return { issuer: ALTINN2_ISSUER, required: ALTINN2_REQUIRED, clockTolerance: rules.clockTolerance }
}
