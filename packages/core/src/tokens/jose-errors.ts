import type { ConsentGuardErrorCode } from '../errors.js'

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
