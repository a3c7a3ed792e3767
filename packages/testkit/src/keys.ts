import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { FIXED_TEST_KEYS, type FixedKeyName } from './fixed-keys.js'

/** JWS algorithms for which {@link generateSigningKey} can create a key pair. Maskinporten uses `RS256`. */
export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519'

/** The RSA subset of {@link SigningAlgorithm}; the checked-in keys of {@link deterministicSigningKey} are RSA. */
export type RsaSigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512'

/** An asymmetric signing key pair plus the JWKs a test JWKS server publishes for it. */
export interface SigningKey {
  /** Key id; also set on {@link SigningKey.publicJwk} and used as the JOSE `kid` header. */
  readonly kid: string
  /** JWS algorithm this key signs with; also set on {@link SigningKey.publicJwk}. */
  readonly alg: SigningAlgorithm
  /** Private key (extractable), bound to {@link SigningKey.alg}. */
  readonly privateKey: CryptoKey
  /** Public key, bound to {@link SigningKey.alg}. */
  readonly publicKey: CryptoKey
  /** Public JWK with `kid`, `alg` and `use: "sig"`; no private members. */
  readonly publicJwk: JWK
  /**
   * The same JWK including the private members (`d`, `p`, `q`, ...). Test-only: it is what the
   * `'private-members'` JWKS behaviour publishes by mistake.
   */
  readonly privateJwk: JWK
}

/** Options for {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
  /** Key id. Default: the RFC 7638 SHA-256 thumbprint of the public key, like Maskinporten's key ids. */
  kid?: string
  /** Algorithm. Default `RS256`. */
  alg?: SigningAlgorithm
  /** RSA modulus length in bits (RSA algorithms only). Default 2048. */
  modulusLength?: number
}

/** Options for {@link deterministicSigningKey}. */
export interface DeterministicSigningKeyOptions {
  /** Key id. Default: the key's name (`'mp-1'`, `'mp-2'`, `'attacker'`). */
  kid?: string
  /** RSA algorithm the key is bound to. Default `RS256`. */
  alg?: RsaSigningAlgorithm
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const

/**
 * Returns a copy of an asymmetric JWK without its private members (`d`, `p`, `q`, `dp`, `dq`, `qi`,
 * `oth`). Symmetric (`kty: "oct"`) keys are returned unchanged.
 */
export function toPublicJwk(jwk: JWK): JWK {
  const copy: JWK = { ...jwk }
  if (copy.kty === 'oct') return copy
  for (const member of PRIVATE_MEMBERS) delete copy[member]
  return copy
}

async function assemble(privateKey: CryptoKey, publicKey: CryptoKey, alg: SigningAlgorithm, kid: string | undefined): Promise<SigningKey> {
  const exported = await exportJWK(privateKey)
  const resolvedKid = kid ?? (await calculateJwkThumbprint(toPublicJwk(exported), 'sha256'))
  const publicJwk: JWK = { ...toPublicJwk(exported), kid: resolvedKid, alg, use: 'sig' }
  const privateJwk: JWK = { ...exported, kid: resolvedKid, alg, use: 'sig' }
  return { kid: resolvedKid, alg, privateKey, publicKey, publicJwk, privateJwk }
}

/**
 * Generates a fresh signing key pair.
 *
 * RSA generation costs tens to hundreds of milliseconds; prefer {@link deterministicSigningKey} when
 * a test does not need a key nobody has seen before.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey({ kid: 'mp-2' })
 * server.setKeys([key])
 * ```
 */
export async function generateSigningKey(options: GenerateSigningKeyOptions = {}): Promise<SigningKey> {
  const alg = options.alg ?? 'RS256'
  const isRsa = alg.startsWith('RS') || alg.startsWith('PS')
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(isRsa ? { modulusLength: options.modulusLength ?? 2048 } : {}),
  })
  return assemble(privateKey, publicKey, alg, options.kid)
}

/**
 * Returns one of the RSA-2048 key pairs checked into this package (see `fixed-keys.ts`). Always the
 * same key material for the same name, so test runs are reproducible and spend no time on key
 * generation. The keys are public knowledge: test-only.
 *
 * - `'mp-1'`: the default issuer key (`K_mp` in the security fixtures).
 * - `'mp-2'`: the key a rotation moves to.
 * - `'attacker'`: a key no trusted JWKS should publish (`K_att`); give it `kid: 'mp-1'` to forge a
 *   token that names a trusted key id.
 * - `'client-1'`, `'client-2'`: keys of the emulator's sandbox Maskinporten clients (consumers).
 * - `'altinn2'`: Altinn 2's legacy consent-token key (see `altinn2SigningKey()` for its `kid` = `x5t`).
 *
 * @throws TypeError for an unknown name.
 */
export async function deterministicSigningKey(seedName: FixedKeyName, options: DeterministicSigningKeyOptions = {}): Promise<SigningKey> {
  if (!Object.prototype.hasOwnProperty.call(FIXED_TEST_KEYS, seedName)) {
    throw new TypeError(`Unknown fixed test key ${JSON.stringify(seedName)}; expected one of ${Object.keys(FIXED_TEST_KEYS).join(', ')}`)
  }
  const alg = options.alg ?? 'RS256'
  const jwk = FIXED_TEST_KEYS[seedName]
  const privateKey = await importJWK({ ...jwk }, alg, { extractable: true })
  const publicKey = await importJWK(toPublicJwk({ ...jwk }), alg, { extractable: true })
  // An RSA JWK always imports as a CryptoKey (only `oct` keys become bytes).
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey))
    throw new TypeError(`fixed key ${seedName} is not an RSA key`)
  return assemble(privateKey, publicKey, alg, options.kid ?? seedName)
}

/** Names accepted by {@link deterministicSigningKey}. */
export const FIXED_KEY_NAMES: readonly FixedKeyName[] = Object.freeze(Object.keys(FIXED_TEST_KEYS) as FixedKeyName[])

export type { FixedKeyName }
