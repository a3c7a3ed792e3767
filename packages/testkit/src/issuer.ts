import { SignJWT, type JWTHeaderParameters } from 'jose'
import {
  consentTokenClaims,
  maskinportenClaims,
  type ClockSource,
  type ConsentTokenOptions,
  type MaskinportenClaimsOptions,
} from './claims.js'
import { createJwksServer, type JwksServer } from './jwks-server.js'
import { KeyRing } from './key-ring.js'
import { deterministicSigningKey, type RsaSigningAlgorithm, type SigningKey } from './keys.js'

/** Options for {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /**
   * Keys to publish; the first one signs. Default: the checked-in key `'mp-1'` with `kid: "mp-1"`
   * (see {@link deterministicSigningKey}).
   */
  keys?: readonly SigningKey[]
  /**
   * Algorithm of the default key (`'mp-1'` bound to it, so its JWK names it). Maskinporten lists
   * RS256, RS384 and RS512. Default `RS256`. Ignored when `keys` is given.
   */
  alg?: RsaSigningAlgorithm
  /** Default clock for every token (a value, or a function read per token). Default: current time. */
  now?: ClockSource
  /**
   * `iss` written into tokens. Default: the JWKS server's own issuer (`http://127.0.0.1:<port>/`).
   * Set it to e.g. `https://test.maskinporten.no/` when the verifier maps issuers to JWKS URLs itself.
   */
  iss?: string
  /** Interface for the JWKS server. Default `127.0.0.1`. */
  host?: string
  /** Port for the JWKS server. Default `0` (a free port). */
  port?: number
  /** JWKS path. Default `/jwk`. */
  path?: string
}

/** Per-token signing options. */
export interface SignOptions {
  /** Key to sign with (need not be published). Default: the issuer's current signer. */
  key?: SigningKey
  /**
   * Header members merged over `{ alg, kid }` of the key. Passed to jose, which rejects some
   * malformed headers; use {@link signCompact} for byte-level control.
   */
  header?: Record<string, unknown>
}

/** Options for {@link TestIssuer.rotate}. */
export interface RotateOptions {
  /** The new key. Default: the next checked-in key (`mp-2`) if unused, otherwise a freshly generated one. */
  key?: SigningKey
  /** Also unpublish every previously published key. Default `false` (old tokens stay verifiable). */
  retirePrevious?: boolean
}

/** A local stand-in for Maskinporten: a JWKS server plus a signer. */
export interface TestIssuer {
  /** `iss` written into tokens. */
  readonly issuer: string
  /** JWKS URL the verifier should use. */
  readonly jwksUri: string
  /** URL of the RFC 8414 metadata document naming {@link JwksServer.issuer} and the JWKS URL. */
  readonly metadataUrl: string
  /** The underlying JWKS server (behaviours, request count). */
  readonly server: JwksServer
  /** Key that currently signs. */
  readonly signer: SigningKey
  /** Keys currently published on the JWKS. */
  readonly keys: readonly SigningKey[]
  /** Signs arbitrary claims with header `{ alg, kid }` via jose `SignJWT`. */
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>
  /** Signs {@link maskinportenClaims} with this issuer's `iss` and clock as defaults. */
  accessToken(claims?: MaskinportenClaimsOptions, options?: SignOptions): Promise<string>
  /** Signs {@link consentTokenClaims} (an access token plus one consent entry by default). */
  consentToken(claims?: ConsentTokenOptions, options?: SignOptions): Promise<string>
  /** Publishes a new key and makes it the signer; resolves to the new key. */
  rotate(options?: RotateOptions): Promise<SigningKey>
  /** Unpublishes the key with this `kid` (it can still sign when passed explicitly, or if it is the signer). */
  removeKey(kid: string): void
  /** Closes the JWKS server. */
  close(): Promise<void>
}

/**
 * Starts a test issuer: a {@link createJwksServer} publishing the issuer's keys and helpers that
 * sign Maskinporten-shaped access and consent tokens.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ now: NOW })
 * afterAll(() => issuer.close())
 * const token = await issuer.consentToken({
 *   scope: 'skatteetaten:inntekt',
 *   consent: { from: { person: TEST_IDENTITIES.personA }, resource: 'ske-samtykke-sbl-inntekt' },
 * })
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const initial =
    options.keys !== undefined
      ? [...options.keys]
      : [await deterministicSigningKey('mp-1', options.alg !== undefined ? { alg: options.alg } : {})]
  if (initial.length === 0) throw new TypeError('createTestIssuer: `keys` must contain at least one key')
  const ring = new KeyRing(initial, { onChange: (published) => server.setKeys(published) })
  const server = await createJwksServer({
    keys: initial,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  })
  const iss = options.iss ?? server.issuer
  const clock = options.now

  async function sign(claims: Record<string, unknown>, signOptions: SignOptions = {}): Promise<string> {
    const key = signOptions.key ?? ring.signer
    const header = { alg: key.alg, kid: key.kid, ...signOptions.header } as JWTHeaderParameters
    return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey)
  }

  return {
    issuer: iss,
    jwksUri: server.url,
    metadataUrl: server.metadataUrl,
    server,
    get signer() {
      return ring.signer
    },
    get keys() {
      return ring.published
    },
    sign,
    accessToken(claims = {}, signOptions) {
      return sign(maskinportenClaims({ iss, ...(clock !== undefined ? { now: clock } : {}), ...claims }), signOptions)
    },
    consentToken(claims = {}, signOptions) {
      return sign(consentTokenClaims({ iss, ...(clock !== undefined ? { now: clock } : {}), ...claims }), signOptions)
    },
    rotate: (rotateOptions = {}) => ring.rotate(rotateOptions),
    removeKey: (kid) => ring.remove(kid),
    close() {
      return server.close()
    },
  }
}
