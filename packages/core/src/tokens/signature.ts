import { KeyObject, verify as cryptoVerify } from 'node:crypto'
import { compactVerify, type JWSHeaderParameters, type JWTVerifyGetKey } from 'jose'
import type { CompactJws } from '../credentials/compact-jws.js'
import { ConsentGuardError, isConsentGuardError } from '../errors.js'
import { mapJoseError } from './jose-errors.js'

const RSA_PKCS1: Readonly<Record<string, string>> = { RS256: 'SHA-256', RS384: 'SHA-384', RS512: 'SHA-512' }
const NODE_HASH: Readonly<Record<string, string>> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

// One KeyObject per CryptoKey jose imported: jose keeps the key-set state, we keep the cheap handle.
const keyObjects = new WeakMap<CryptoKey, KeyObject>()

/**
 * Checks the signature of a token whose syntax and header already passed `parseCompactJws`, with
 * the key jose's key handling resolves (jose owns fetching, importing and caching the key set).
 *
 * RS256/RS384/RS512 with a usable CryptoKey (the key sets' case) are verified with a synchronous
 * `node:crypto.verify` on a KeyObject, on the bytes already decoded: that is the cost of the RSA
 * operation itself, without WebCrypto's thread-pool round trip or a second decode of the token.
 * Every other case (PS/ES algorithms, a resolver returning a KeyObject or a JWK) goes through jose's
 * `compactVerify`, so its key checks apply unchanged. Either way the same rules hold as with
 * jose's `jwtVerify`: the key's algorithm must match `alg` and RSA keys must have 2048 bits or more.
 *
 * Resolves to the key that verified the token.
 */
export async function verifyJwsSignature(jws: CompactJws, getKey: JWTVerifyGetKey): Promise<unknown> {
  const alg = jws.header.alg as string
  let key: unknown
  try {
    key = await getKey(jws.header as JWSHeaderParameters & { alg: string }, jws.segments)
  } catch (err) {
    if (isConsentGuardError(err)) throw err
    throw new ConsentGuardError(mapJoseError(err))
  }
  const hash = RSA_PKCS1[alg]
  if (hash !== undefined && isUsableRsaKey(key, hash)) {
    if ((key.algorithm as RsaHashedKeyAlgorithm).modulusLength < 2048) throw new ConsentGuardError('token_key_unknown')
    let handle = keyObjects.get(key)
    if (handle === undefined) {
      handle = KeyObject.from(key)
      keyObjects.set(key, handle)
    }
    let ok = false
    try {
      ok = cryptoVerify(NODE_HASH[alg] as string, Buffer.from(jws.signingInput, 'latin1'), handle, jws.signature)
    } catch {
      ok = false
    }
    if (!ok) throw new ConsentGuardError('token_signature_invalid')
    return key
  }
  try {
    await compactVerify(jws.token, key as CryptoKey, { algorithms: [alg] })
  } catch (err) {
    throw new ConsentGuardError(mapJoseError(err))
  }
  return key
}

function isUsableRsaKey(key: unknown, hash: string): key is CryptoKey {
  if (!(key instanceof CryptoKey) || key.type !== 'public' || !key.usages.includes('verify')) return false
  const algorithm = key.algorithm as Partial<RsaHashedKeyAlgorithm>
  return algorithm.name === 'RSASSA-PKCS1-v1_5' && algorithm.hash?.name === hash && typeof algorithm.modulusLength === 'number'
}
