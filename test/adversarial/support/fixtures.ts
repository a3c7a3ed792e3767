/**
 * The fixtures of the attack catalogue (docs/security.md), built once per test file: the trusted Maskinporten issuer
 * (`K_mp`, kid `mp-1`), the other environment (`K_env2`), the attacker key (`K_att`), a legacy
 * Altinn 2 key set (`K_alt`), and deterministic baseline claims (`AT`, `CT`, `C`) at a fixed `NOW`.
 *
 * The apps under test run on a fixed clock (`clock: () => NOW`), so boundary cases such as
 * `exp = NOW-10` never race the wall clock.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto'
import {
  consentTokenClaims,
  createAltinn2Issuer,
  createJwksServer,
  createTestIssuer,
  deterministicSigningKey,
  generateSigningKey,
  maskinportenClaims,
  signCompact,
  TEST_IDENTITIES,
  type Altinn2Issuer,
  type CompactAlgorithm,
  type ConsentTokenOptions,
  type JwksServer,
  type MaskinportenClaimsOptions,
  type SegmentInput,
  type SigningKey,
  type TestIssuer,
} from '@consent-guard/testkit'
import type { JWK } from 'jose'

export const { personA: FNR_A, personB: FNR_B, consumerOrgno: CONSUMER, supplierOrgno: SUPPLIER, otherOrgno: OTHER_ORG } = TEST_IDENTITIES

/** The fake clock of every catalogue app, in epoch seconds. */
export const NOW = Math.floor(Date.now() / 1000)
export const NOW_DATE = new Date(NOW * 1000)
/** Clock tolerance of the default guard (docs/core.md, options). */
export const T = 10
export const SCOPE = 'example:income'
export const RESOURCE = 'example-income'
export const REALM = 'adversarial'
export const PROD_ISSUER = 'https://maskinporten.no/'
export const TEST_ISSUER = 'https://test.maskinporten.no/'
/** Consent id of the baseline consent `C`. */
export const BASE_CONSENT_ID = '6f1f1d1c-8a01-4a5e-9d43-0d3f6c2e6a0b'
/** The consent header of two-token mode. */
export const CONSENT_HEADER = 'AltinnSamtykke'

export const incomePath = (personId: string = FNR_A, year = '2023'): string => `/income/${year}/${personId}`

export type Claims = Record<string, unknown>

/** Everything the catalogue rows build tokens from. */
export interface Kit {
  /** Prod-style issuer (`iss: https://maskinporten.no/`), key `K_mp` (kid `mp-1`); its set also publishes an EC, an OKP and a 1024-bit RSA key. */
  readonly prod: TestIssuer
  /** Test-environment issuer (`iss: https://test.maskinporten.no/`), key `K_env2` (kid `env2-1`). */
  readonly env2: TestIssuer
  /** `K_mp`. */
  readonly mp: SigningKey
  /** `K_att` under the trusted kid `mp-1`. */
  readonly attacker: SigningKey
  /** EC P-256 and Ed25519 keys published in the trusted set (SIG-05). */
  readonly ec: SigningKey
  readonly ed: SigningKey
  /** A 1024-bit RSA key published in the trusted set as kid `weak` (SIG-09). */
  readonly weak: { readonly privateKey: CryptoKey; readonly jwk: JWK }
  /** Legacy Altinn 2 issuer; its set also publishes a different key under kid `mp-1` (ISS-04). */
  readonly altinn2: Altinn2Issuer
  /** The legacy key published under kid `mp-1` beside Altinn's real key. */
  readonly altinnMp1: SigningKey
  /** A loopback JWKS server serving `K_att`: header-injection cases must never make it receive a request. */
  readonly attackerJwks: JwksServer
  /** Baseline consent-token claims `CT` (scope, consumer, one consent `C` for FNR_A, income 2023), with overrides. */
  claims(overrides?: ConsentTokenOptions): Claims
  /** Baseline access-token claims `AT` (no consent), with overrides. */
  accessClaims(overrides?: MaskinportenClaimsOptions): Claims
  /** Claims of `base` (default {@link claims}) with the first consent entry's members changed (`undefined` removes one). */
  withConsent(patch: Claims, base?: Claims): Claims
  /** Claims with top-level members changed (`undefined` removes one). */
  patch(patch: Claims, base?: Claims): Claims
  /** Signs with `K_mp`, header `{alg: RS256, kid: mp-1}` unless given; strings and bytes are signed as they are. */
  sign(payload: SegmentInput, header?: SegmentInput, key?: CryptoKey | Uint8Array | null, alg?: CompactAlgorithm): string
  /** The baseline consent token. */
  readonly good: string
  /** The baseline access token of two-token mode (scope, no consent). */
  readonly goodAccess: string
  /** The baseline consent token of two-token mode (consent, the Altinn consent scope only). */
  readonly goodConsent: string
  close(): Promise<void>
}

const WEAK_KID = 'weak'

export async function createKit(): Promise<Kit> {
  const mp = await deterministicSigningKey('mp-1')
  const attacker = await deterministicSigningKey('attacker', { kid: 'mp-1' })
  const ec = await generateSigningKey({ alg: 'ES256', kid: 'ec-1' })
  const ed = await generateSigningKey({ alg: 'EdDSA', kid: 'ed-1' })
  const env2Key = await deterministicSigningKey('client-2', { kid: 'env2-1' })
  const weak = await weakRsaKey()
  const prod = await createTestIssuer({ keys: [mp], iss: PROD_ISSUER, now: NOW })
  prod.server.setKeys([mp, ec.publicJwk, ed.publicJwk, weak.jwk])
  const env2 = await createTestIssuer({ keys: [env2Key], iss: TEST_ISSUER, now: NOW })
  const altinn2 = await createAltinn2Issuer({ now: NOW })
  const altinnMp1 = await deterministicSigningKey('client-1', { kid: 'mp-1' })
  altinn2.server.setKeys([altinn2.key, altinnMp1])
  const attackerJwks = await createJwksServer({ keys: [attacker] })

  const claims = (overrides: ConsentTokenOptions = {}): Claims =>
    consentTokenClaims({
      iss: PROD_ISSUER,
      now: NOW,
      scope: SCOPE,
      client_id: 'c-1',
      jti: 'jti-baseline-ct',
      consent: { id: BASE_CONSENT_ID, from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } },
      ...overrides,
    }) as unknown as Claims
  const accessClaims = (overrides: MaskinportenClaimsOptions = {}): Claims =>
    maskinportenClaims({
      iss: PROD_ISSUER,
      now: NOW,
      scope: SCOPE,
      client_id: 'c-1',
      jti: 'jti-baseline-at',
      ...overrides,
    }) as unknown as Claims
  const patch = (changes: Claims, base: Claims = claims()): Claims => {
    const out: Claims = { ...base }
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) delete out[k]
      else out[k] = v
    }
    return out
  }
  const withConsent = (changes: Claims, base: Claims = claims()): Claims => {
    const details = base.authorization_details as Claims[]
    return { ...base, authorization_details: [patch(changes, details[0] as Claims), ...details.slice(1)] }
  }
  const sign: Kit['sign'] = (payload, header = { alg: 'RS256', kid: 'mp-1' }, key = mp.privateKey, alg = 'RS256') =>
    signCompact(header, payload, key, alg)

  return {
    prod,
    env2,
    mp,
    attacker,
    ec,
    ed,
    weak,
    altinn2,
    altinnMp1,
    attackerJwks,
    claims,
    accessClaims,
    withConsent,
    patch,
    sign,
    good: sign(claims()),
    goodAccess: sign(accessClaims()),
    goodConsent: sign(claims({ scope: 'altinn:consentrequests.read', jti: 'jti-baseline-ct2' })),
    async close() {
      await Promise.all([prod.close(), env2.close(), altinn2.close(), attackerJwks.close()])
    },
  }
}

/** A 1024-bit RSA key: jose refuses to generate one, so node:crypto makes it and WebCrypto signs. */
async function weakRsaKey(): Promise<Kit['weak']> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const privateJwk = privateKey.export({ format: 'jwk' }) as JsonWebKey
  const cryptoKey = await webcrypto.subtle.importKey('jwk', privateJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign'])
  const { kty, n, e } = privateJwk as { kty: string; n: string; e: string }
  return { privateKey: cryptoKey as CryptoKey, jwk: { kty, n, e, kid: WEAK_KID, alg: 'RS256', use: 'sig' } }
}

/** Base64url of bytes or text. */
export const b64u = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url')
