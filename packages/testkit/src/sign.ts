import { constants, createHmac, KeyObject, sign as nodeSign } from 'node:crypto'
import { base64url } from 'jose'
import type { SigningAlgorithm } from './keys.js'

/**
 * Algorithms {@link signCompact} can produce: the asymmetric {@link SigningAlgorithm}s, HMAC (for
 * algorithm-confusion tests) and `none` (empty signature).
 */
export type CompactAlgorithm = SigningAlgorithm | 'HS256' | 'HS384' | 'HS512' | 'none'

/** A JWS header or payload: objects are `JSON.stringify`-ed, strings UTF-8 encoded as-is, bytes used as-is. */
export type SegmentInput = object | string | Uint8Array

const encoder = new TextEncoder()

function toBytes(value: SegmentInput): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return encoder.encode(value)
  const json = JSON.stringify(value)
  if (json === undefined) throw new TypeError('Segment value is not JSON-serialisable')
  return encoder.encode(json)
}

/**
 * Base64url-encodes (no padding) one compact-JWS segment. Objects are `JSON.stringify`-ed, strings
 * are UTF-8 encoded exactly as given (so a leading BOM or duplicate JSON members survive), bytes are
 * used unchanged. Handy for splicing a tampered payload into an otherwise valid token.
 */
export function encodeSegment(value: SegmentInput): string {
  return base64url.encode(toBytes(value))
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

function hashFor(alg: string): string {
  const hash = HASH[alg.slice(2)]
  if (hash === undefined) throw new TypeError(`Unsupported algorithm ${JSON.stringify(alg)}`)
  return hash
}

function asKeyObject(key: CryptoKey | Uint8Array | null, alg: string): KeyObject {
  if (key === null || key instanceof Uint8Array) {
    throw new TypeError(`Algorithm ${alg} needs a CryptoKey private key`)
  }
  return KeyObject.from(key)
}

function signature(alg: CompactAlgorithm, data: Uint8Array, key: CryptoKey | Uint8Array | null): Uint8Array {
  if (alg === 'none') return new Uint8Array(0)
  if (alg.startsWith('HS')) {
    let secret: Uint8Array | KeyObject
    if (key instanceof Uint8Array) secret = key
    else if (key !== null) secret = KeyObject.from(key)
    else throw new TypeError(`Algorithm ${alg} needs a secret (Uint8Array or HMAC CryptoKey)`)
    return createHmac(hashFor(alg), secret).update(data).digest()
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return nodeSign(null, data, asKeyObject(key, alg))
  if (alg.startsWith('RS')) {
    return nodeSign(hashFor(alg), data, { key: asKeyObject(key, alg), padding: constants.RSA_PKCS1_PADDING })
  }
  if (alg.startsWith('PS')) {
    const hash = hashFor(alg)
    return nodeSign(hash, data, {
      key: asKeyObject(key, alg),
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    })
  }
  if (alg.startsWith('ES')) {
    return nodeSign(hashFor(alg), data, { key: asKeyObject(key, alg), dsaEncoding: 'ieee-p1363' })
  }
  throw new TypeError(`Unsupported algorithm ${JSON.stringify(alg)}`)
}

/**
 * Signs a compact JWS without any of the checks or normalisation a JOSE library applies, for
 * negative tests. A string `header` or `payload` is encoded byte-for-byte, so a test can sign
 * duplicate JSON members, a BOM, a JSON array or number, or a header whose `alg` differs from the
 * algorithm actually used. `alg` selects the signature algorithm and is never read from the header.
 *
 * The signature is computed with `node:crypto` independently of the hash the `CryptoKey` was
 * imported for, so an RS256 key can produce an RS512 signature. For `HS*` pass the secret as bytes
 * (for example the PEM of an RSA public key, to model algorithm confusion); for `none` pass `null`
 * and the signature segment is empty.
 *
 * @example
 * ```ts
 * const jws = signCompact('{"alg":"RS256","kid":"mp-1","kid":"other"}', claims, key.privateKey)
 * ```
 */
export function signCompact(
  header: SegmentInput,
  payload: SegmentInput,
  privateKey: CryptoKey | Uint8Array | null,
  alg: CompactAlgorithm = 'RS256',
): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`
  return `${signingInput}.${base64url.encode(signature(alg, encoder.encode(signingInput), privateKey))}`
}
