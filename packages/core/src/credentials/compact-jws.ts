import { ConsentGuardError } from '../errors.js'
import { hasDuplicateMembers } from './json-duplicates.js'

/** Largest accepted token, checked before any decoding (docs/security.md DOS-01). */
export const MAX_TOKEN_BYTES = 8 * 1024

/** A compact JWS whose syntax and protected header passed the pre-checks. */
export interface CompactJws {
  readonly token: string
  readonly header: Readonly<Record<string, unknown>>
  /** The decoded payload segment (UTF-8 text, not yet parsed). */
  readonly payloadText: string
  /** The encoded header and payload as sent (`header.payload`), the bytes the signature covers. */
  readonly signingInput: string
  /** The decoded signature segment. */
  readonly signature: Buffer
  /** The encoded segments, for a key resolver that wants jose's `FlattenedJWSInput`. */
  readonly segments: { readonly protected: string; readonly payload: string; readonly signature: string }
}

export interface CompactJwsRules {
  readonly algorithms: readonly string[]
  /**
   * `kid` (default): a `kid` is required (Maskinporten always sends one). `kid-or-x5t`: Altinn 2
   * tokens carry `kid` and `x5t` with the same value, older ones only `x5t`; one must be present
   * and, when both are, they must agree.
   */
  readonly keyId?: 'kid' | 'kid-or-x5t'
}

// Linear: no nested quantifiers (DOS-05); applied only after the length cap.
const KID = /^[A-Za-z0-9._-]{1,128}$/
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt'])
// Header members that change how the JWS is processed; Maskinporten never sends them.
const FORBIDDEN_MEMBERS = ['crit', 'b64', 'zip', 'enc', 'cty', 'p2c', 'p2s'] as const

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Checks a token's syntax before jose sees it: size cap, strict compact form, canonical base64url
 * in every segment (jose on Node 20 accepts `==`, a trailing newline and non-canonical last
 * characters, which would let one token be spelled many ways: RPL-04), and a protected header
 * that names an allowed `alg` and a well-formed `kid`, with no processing extensions.
 */
export function parseCompactJws(token: string, rules: CompactJwsRules): CompactJws {
  if (token.length > MAX_TOKEN_BYTES) throw new ConsentGuardError('token_too_large')
  // Exactly three non-empty segments. Their characters are checked by the canonical round trip
  // below: Node's decoder skips anything outside base64url (and accepts `+/=`), so a segment
  // re-encodes to itself only if it is canonical base64url. (A regex over the whole token cost
  // more than the rest of the syntax check together.)
  const first = token.indexOf('.')
  const second = first === -1 ? -1 : token.indexOf('.', first + 1)
  if (first < 1 || second < first + 2 || second > token.length - 2 || token.indexOf('.', second + 1) !== -1) {
    throw new ConsentGuardError('token_malformed')
  }
  const h = token.slice(0, first)
  const p = token.slice(first + 1, second)
  const s = token.slice(second + 1)
  const header = parsedHeader(h)
  const payloadBytes = canonicalSegment(p)
  const signature = canonicalSegment(s)
  if (header === undefined) throw new ConsentGuardError('token_header_invalid')
  const alg = Object.hasOwn(header, 'alg') ? header.alg : undefined
  if (typeof alg !== 'string' || !rules.algorithms.includes(alg)) {
    throw new ConsentGuardError('token_algorithm_not_allowed')
  }
  const kid = Object.hasOwn(header, 'kid') ? header.kid : undefined
  if (rules.keyId === 'kid-or-x5t' && Object.hasOwn(header, 'x5t')) {
    const x5t = header.x5t
    if (typeof x5t !== 'string' || !KID.test(x5t) || (kid !== undefined && kid !== x5t)) {
      throw new ConsentGuardError('token_header_invalid')
    }
  } else if (typeof kid !== 'string' || !KID.test(kid)) {
    throw new ConsentGuardError('token_header_invalid')
  }
  for (const member of FORBIDDEN_MEMBERS) {
    if (Object.hasOwn(header, member)) throw new ConsentGuardError('token_header_invalid')
  }
  if (Object.hasOwn(header, 'typ')) {
    const typ = header.typ
    if (typeof typ !== 'string' || !ACCEPTED_TYP.has(typ.toLowerCase())) {
      throw new ConsentGuardError('token_header_invalid')
    }
  }
  const payloadText = decodeUtf8(payloadBytes)
  // A BOM is not JSON (RFC 8259 §8.1); jose would strip it, so refuse it here (CLM-15).
  if (payloadText === undefined || payloadText.charCodeAt(0) === 0xfeff) throw new ConsentGuardError('token_malformed')
  return {
    token,
    header,
    payloadText,
    signingInput: token.slice(0, h.length + 1 + p.length),
    signature,
    segments: { protected: h, payload: p, signature: s },
  }
}

// An issuer signs every token with one of a few headers: their parsed form is kept by the encoded
// segment (a syntax result only; alg, kid and typ are checked against the rules on every call).
// Frozen, because every token with that header shares the object. Cleared when full: a client
// may send any number of distinct headers.
const headers = new Map<string, Readonly<Record<string, unknown>> | undefined>()
const MAX_HEADERS = 256

function parsedHeader(segment: string): Readonly<Record<string, unknown>> | undefined {
  const known = headers.get(segment)
  if (known !== undefined) return known
  // A non-canonical segment throws token_malformed before anything is remembered.
  const parsed = parseJsonObject(canonicalSegment(segment))
  if (parsed === undefined) return undefined
  if (headers.size >= MAX_HEADERS) headers.clear()
  headers.set(segment, Object.freeze(parsed))
  return parsed
}

function canonicalSegment(segment: string): Buffer {
  const bytes = Buffer.from(segment, 'base64url')
  if (bytes.toString('base64url') !== segment) throw new ConsentGuardError('token_malformed')
  return bytes
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** Parses UTF-8 JSON that must be an object without duplicate members; undefined otherwise. */
export function parseJsonObject(bytesOrText: Uint8Array | string): Record<string, unknown> | undefined {
  const text = typeof bytesOrText === 'string' ? bytesOrText : decodeUtf8(bytesOrText)
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  if (hasDuplicateMembers(text, value)) return undefined
  return value as Record<string, unknown>
}
