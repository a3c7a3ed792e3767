import { TEST_IDENTITIES, type ConsentTokenOptions, type MaskinportenClaimsOptions } from '../claims.js'
import type { Altinn2ClaimsOptions, Altinn2Generation } from '../altinn2.js'
import type { SigningKey } from '../keys.js'
import type { ClientRegistration, ClientRegistry, RegisteredClient } from './clients.js'
import type { ConsentResourceDefinition, ConsentStore } from './consents.js'
import type { TokenResult } from './grant-client.js'

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Port to listen on. Default `0`: a free port. */
  readonly port?: number
  /** Interface to bind. Default `127.0.0.1` (loopback only). */
  readonly host?: string
  /** The emulator's clock: token `iat`/`exp`, grant checks, consent expiry. Default: the system clock. */
  readonly clock?: () => Date
  /**
   * Deterministic test mode (default `true`): signs with the checked-in key `mp-1` (rotation moves to
   * `mp-2`, then to generated keys) and registers the sandbox clients with fixed ids and keys. With
   * `false` a fresh key is generated (kid = its RFC 7638 thumbprint).
   */
  readonly deterministic?: boolean
  /** Signing keys to publish; the first one signs. Overrides `deterministic` for the issuer key. */
  readonly keys?: readonly SigningKey[]
  /** `iss` written into tokens and expected as grant `aud`. Default: the server's origin + `/`. */
  readonly issuer?: string
  /** Access-token lifetime in seconds. Default 120 (Maskinporten's default). */
  readonly tokenLifetime?: number
  /** Register the two sandbox clients (see {@link SANDBOX_CLIENTS}). Default `true`. */
  readonly sandboxClients?: boolean
  /** More clients to register at start. */
  readonly clients?: readonly ClientRegistration[]
  /** Consent resources to validate requests against (metadata keys, access lists). */
  readonly resources?: Readonly<Record<string, ConsentResourceDefinition>>
  /**
   * How the Altinn consent request API authenticates callers. `token` (default): a Bearer token
   * from this emulator with `altinn:consentrequests.write` (create) or `.read` (read), like Altinn.
   * `none`: no authentication; the caller is taken to be the request's `to`.
   */
  readonly altinnAuth?: 'token' | 'none'
  /** `delegation_source` of supplier tokens. Default `https://tt02.altinn.no/`. */
  readonly delegationSource?: string
  /**
   * The key that signs legacy Altinn 2 consent tokens, published on `/altinn2/jwk` with `kid` = `x5t`
   * (a thumbprint, see `altinn2SigningKey()`). Default: the checked-in `altinn2` test key in
   * deterministic mode, a generated key otherwise.
   */
  readonly altinn2Key?: SigningKey
  /** Lifetime of Altinn 2 consent tokens in seconds. Default 30, as Altinn issues them. */
  readonly altinn2TokenLifetime?: number
}

/** A sandbox client: its id, organisation and private key, ready for {@link buildJwtGrant}. */
export interface SandboxClient {
  readonly clientId: string
  readonly orgno: string
  readonly key: SigningKey
  readonly name: string
}

/**
 * The clients registered by default. Their keys are the checked-in test keys `client-1` and
 * `client-2` (public knowledge: sandbox only); they may request any scope.
 */
export const SANDBOX_CLIENTS = Object.freeze({
  /** A bank: consumer {@link TEST_IDENTITIES}.consumerOrgno (991825827). */
  bank: Object.freeze({
    clientId: 'a1b7c3d4-0000-4000-8000-000000000001',
    orgno: TEST_IDENTITIES.consumerOrgno,
    keyName: 'client-1',
    name: 'Sandbox bank',
  }),
  /** Another consumer: {@link TEST_IDENTITIES}.otherOrgno (313876144). */
  other: Object.freeze({
    clientId: 'a1b7c3d4-0000-4000-8000-000000000002',
    orgno: TEST_IDENTITIES.otherOrgno,
    keyName: 'client-2',
    name: 'Another consumer',
  }),
})

/** Scopes of Altinn's consent request API. */
export const ALTINN_CONSENT_SCOPES = Object.freeze({
  write: 'altinn:consentrequests.write',
  read: 'altinn:consentrequests.read',
  org: 'altinn:consentrequests.org',
})

/** Path of the consent request API. */
export const CONSENT_REQUESTS_PATH = '/accessmanagement/api/v1/enterprise/consentrequests'
/** Path of the emulated consent screen (`viewUri`). */
export const CONSENT_SCREEN_PATH = '/accessmanagement/ui/consent/request'

/** What {@link Emulator.requestToken} asks for. */
export interface EmulatorTokenRequest {
  /** Scope(s) of the token. */
  readonly scope: string | readonly string[]
  /** A consent to include: e.g. the result of `consents.grant()` or of the consent request API. */
  readonly consent?: { readonly id: string; readonly from: string }
  /** The client: `'bank'` (default), `'other'`, or any client with its private key. */
  readonly as?: 'bank' | 'other' | SandboxClient
  /** Supplier flow: the customer's organisation number. */
  readonly consumerOrg?: string
  /** Audience restriction (`aud`). */
  readonly resource?: string | readonly string[]
}

/** What {@link Emulator.requestAltinn2Token} asks for. */
export interface EmulatorAltinn2TokenRequest {
  /** The consent (its id is the Altinn 2 `AuthorizationCode`), or the id itself. */
  readonly consent: string | { readonly id: string }
  /** The caller: `'bank'` (default), `'other'`, or any client with its private key. */
  readonly as?: 'bank' | 'other' | SandboxClient
  /** Supplier flow: the customer's organisation number; the token then carries `HandledBy`. */
  readonly consumerOrg?: string
  /** Claim generation of the answer. Default `current`. */
  readonly generation?: Altinn2Generation
}

/** The answer of the Altinn 2 token exchange: the JWT, or the problem JSON with the HTTP status. */
export type Altinn2TokenResult =
  | { readonly ok: true; readonly status: number; readonly token: string }
  | { readonly ok: false; readonly status: number; readonly body: { title?: string; detail?: string; code?: string } }

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:<port>`: Maskinporten and Altinn are served from the same origin. */
  readonly url: string
  /** `iss` of the tokens (`url + '/'` unless overridden). Configure verifiers with this. */
  readonly issuer: string
  /** `url + '/jwk'`. Configure verifiers with this. */
  readonly jwksUri: string
  /** RFC 8414 metadata document. */
  readonly metadataUrl: string
  /** `url + '/token'`. */
  readonly tokenEndpoint: string
  /** `url + '/accessmanagement/api/v1/enterprise/consentrequests'`. */
  readonly consentRequestsUrl: string
  /** `url + '/altinn2/jwk'`: Altinn 2's key set. Configure `altinn2: { jwksUri }` with this. */
  readonly altinn2JwksUri: string
  /** `url + '/api/authorization/token'`: `GET {altinn2TokenEndpoint}/{AuthorizationCode}` returns an Altinn 2 token. */
  readonly altinn2TokenEndpoint: string
  /** The key that signs Altinn 2 tokens (`kid` = `x5t`). */
  readonly altinn2Key: SigningKey
  /** The consent store: create, inspect, accept, reject, revoke or seed consents from code. */
  readonly consents: ConsentStore
  /** The client register. */
  readonly clients: ClientRegistry
  /** The sandbox clients (empty when `sandboxClients: false`). */
  readonly sandbox: { readonly bank?: SandboxClient; readonly other?: SandboxClient }
  /** The key that signs now. */
  readonly signer: SigningKey
  /** Keys published on `/jwk`. */
  readonly keys: readonly SigningKey[]
  /** The emulator's current time. */
  now(): Date
  /**
   * Publishes a new key and signs with it from now on (`POST /emulator/keys/rotate` does the
   * same). Old keys stay published unless `retirePrevious`.
   */
  rotateKeys(options?: { retirePrevious?: boolean; key?: SigningKey }): Promise<SigningKey>
  /** Registers a client (also `POST /emulator/clients`). */
  registerClient(registration: ClientRegistration): Promise<RegisteredClient>
  /**
   * Fetches a token the way a consumer does: builds a JWT grant as a sandbox client (default the
   * bank) and posts it to `/token`. The consent, if given, is looked up and may be refused.
   */
  requestToken(options: EmulatorTokenRequest): Promise<TokenResult>
  /** Signs {@link maskinportenClaims} directly (no grant, no consent lookup) with this issuer's key and clock. */
  accessToken(claims?: MaskinportenClaimsOptions): Promise<string>
  /** Signs {@link consentTokenClaims} directly (no consent lookup). */
  consentToken(claims?: ConsentTokenOptions): Promise<string>
  /**
   * Fetches an Altinn 2 consent token the way a consumer does: a Maskinporten token for the caller
   * (unless `altinnAuth: 'none'`), then `GET /api/authorization/token/{consent id}`.
   */
  requestAltinn2Token(request: EmulatorAltinn2TokenRequest): Promise<Altinn2TokenResult>
  /** Signs `altinn2Claims()` directly with the Altinn 2 key and the emulator's clock (no consent lookup). */
  altinn2Token(claims?: Altinn2ClaimsOptions): string
  /** Stops the server. Safe to call twice. */
  close(): Promise<void>
}
