import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { listen } from '../listen.js'
import { createLocalJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { parseIso6523 } from '@consent-guard/core/pipeline'
import {
  ALTINN_TT02_DELEGATION_SOURCE,
  consentTokenClaims,
  maskinportenClaims,
  TEST_IDENTITIES,
  type ConsentTokenOptions,
  type MaskinportenClaimsOptions,
} from '../claims.js'
import {
  altinn2Claims,
  altinn2SigningKey,
  defaultAltinn2Key,
  signAltinn2Token,
  type Altinn2ClaimsOptions,
  type Altinn2Generation,
} from '../altinn2.js'
import { FIXED_TEST_KEYS, type FixedKeyName } from '../fixed-keys.js'
import { deterministicSigningKey, generateSigningKey, type SigningKey } from '../keys.js'
import {
  ALTINN2_JWKS_PATH,
  ALTINN2_TOKEN_PATH,
  altinn2ClaimsForConsent,
  altinn2ServicesOf,
  parseGeneration,
  wantsXml,
  xmlString,
} from './altinn2.js'
import { ClientRegistry, registrationFromJson, summarize, type ClientRegistration, type RegisteredClient } from './clients.js'
import { ConsentStore, type ConsentActor, type ConsentResourceDefinition } from './consents.js'
import { checkGrant, GRANT_ALGORITHMS, JWT_BEARER_GRANT_TYPE } from './grant.js'
import { buildJwtGrant, requestToken, type TokenResult } from './grant-client.js'
import { consentPage, errorPage, indexPage } from './html.js'
import { OAuthError, parseJsonBody, ProblemError, readBody, redirect, sendHtml, sendJson, sendProblem } from './http.js'

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
    keyName: 'client-1' as FixedKeyName,
    name: 'Sandbox bank',
  }),
  /** Another consumer: {@link TEST_IDENTITIES}.otherOrgno (313876144). */
  other: Object.freeze({
    clientId: 'a1b7c3d4-0000-4000-8000-000000000002',
    orgno: TEST_IDENTITIES.otherOrgno,
    keyName: 'client-2' as FixedKeyName,
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

/**
 * Starts a local Maskinporten + Altinn consent emulator (node:http, loopback by default).
 *
 * Maskinporten side: `/.well-known/oauth-authorization-server`, `/jwk`, `/token` (JWT-bearer
 * grant from a registered client; a consent in `authorization_details` is looked up in the
 * emulator's store and refused as Altinn does). Altinn side: `POST/GET
 * /accessmanagement/api/v1/enterprise/consentrequests[/{id}]`, the consent screen at `viewUri`, and
 * `POST /emulator/consentrequests/{id}/accept|reject|revoke`.
 *
 * @example
 * const emu = await startEmulator()
 * const consent = emu.consents.grant({ from: '25922947409', to: '991825827', resource: 'example-income', metadata: { inntektsaar: '2024' } })
 * // point the data source at emu.issuer / emu.jwksUri, then get a token through /token
 * await emu.close()
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1'
  const clock = options.clock ?? (() => new Date())
  const deterministic = options.deterministic ?? true
  const lifetime = options.tokenLifetime ?? 120
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86_400) throw new RangeError('tokenLifetime must be 1-86400 seconds')
  const altinnAuth = options.altinnAuth ?? 'token'
  const delegationSource = options.delegationSource ?? ALTINN_TT02_DELEGATION_SOURCE
  const altinn2Lifetime = options.altinn2TokenLifetime ?? 30
  if (!Number.isInteger(altinn2Lifetime) || altinn2Lifetime < 1 || altinn2Lifetime > 3600)
    throw new RangeError('altinn2TokenLifetime must be 1-3600 seconds')
  const altinn2Key =
    options.altinn2Key !== undefined
      ? altinn2SigningKey(options.altinn2Key)
      : deterministic
        ? await defaultAltinn2Key()
        : altinn2SigningKey(await generateSigningKey())

  const initialKeys =
    options.keys !== undefined ? [...options.keys] : [deterministic ? await deterministicSigningKey('mp-1') : await generateSigningKey()]
  if (initialKeys.length === 0) throw new TypeError('startEmulator: keys must contain at least one key')
  let published: SigningKey[] = initialKeys
  let signer = initialKeys[0] as SigningKey
  const history: SigningKey[] = [...initialKeys]

  let origin = ''
  let issuer = ''
  const clients = new ClientRegistry()
  const consents = new ConsentStore({
    now: clock,
    viewUri: (id) => `${origin}${CONSENT_SCREEN_PATH}?id=${encodeURIComponent(id)}`,
    ...(options.resources !== undefined ? { resources: options.resources } : {}),
  })
  const usedJtis = new Map<string, number>()
  const sandbox: { bank?: SandboxClient; other?: SandboxClient } = {}
  if (options.sandboxClients ?? true) {
    for (const [role, spec] of Object.entries(SANDBOX_CLIENTS) as ['bank' | 'other', (typeof SANDBOX_CLIENTS)['bank']][]) {
      const key = await deterministicSigningKey(spec.keyName)
      await clients.register({ clientId: spec.clientId, orgno: spec.orgno, keys: [key], scopes: '*', name: spec.name })
      sandbox[role] = Object.freeze({ clientId: spec.clientId, orgno: spec.orgno, key, name: spec.name })
    }
  }
  for (const registration of options.clients ?? []) await clients.register(registration)

  const sign = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: signer.alg, kid: signer.kid }).sign(signer.privateKey)

  async function nextKey(): Promise<SigningKey> {
    const kids = new Set(history.map((k) => k.kid))
    let n = history.length + 1
    while (kids.has(`mp-${n}`)) n += 1
    const name = `mp-${n}` as FixedKeyName
    if (deterministic && Object.hasOwn(FIXED_TEST_KEYS, name) && !history.some((k) => k.publicJwk.n === FIXED_TEST_KEYS[name].n)) {
      return deterministicSigningKey(name)
    }
    return generateSigningKey(deterministic ? { kid: name } : {})
  }

  async function rotateKeys(rotate: { retirePrevious?: boolean; key?: SigningKey } = {}): Promise<SigningKey> {
    const key = rotate.key ?? (await nextKey())
    history.push(key)
    published = rotate.retirePrevious === true ? [key] : [...published.filter((k) => k.kid !== key.kid), key]
    signer = key
    return key
  }

  // --- Maskinporten -------------------------------------------------------------------------

  function metadata(): Record<string, unknown> {
    return {
      issuer,
      token_endpoint: `${origin}/token`,
      jwks_uri: `${origin}/jwk`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      grant_types_supported: [JWT_BEARER_GRANT_TYPE],
      token_endpoint_auth_signing_alg_values_supported: [...GRANT_ALGORITHMS],
      authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
    }
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
      const text = await readBody(req)
      if (text === undefined) throw new OAuthError('invalid_request', 'The request body is too large')
      if (type !== 'application/x-www-form-urlencoded')
        throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded')
      const grant = await checkGrant(new URLSearchParams(text), { issuer, now: clock, clients, usedJtis })
      let authorizationDetails: unknown[] | undefined
      if (grant.consent !== undefined) {
        const found = consents.lookup({ id: grant.consent.id, from: grant.consent.from, consumer: grant.consumer })
        if (!found.ok) throw new OAuthError('invalid_authorization_details', found.description, found.refusal)
        authorizationDetails = [found.detail]
      }
      const claims = maskinportenClaims({
        iss: issuer,
        scope: grant.scopes,
        consumer: grant.consumer,
        ...(grant.supplier !== undefined ? { supplier: grant.supplier, delegation_source: delegationSource } : {}),
        client_id: grant.client.clientId,
        ...(grant.audience !== undefined ? { aud: grant.audience } : {}),
        now: clock(),
        lifetimeSeconds: lifetime,
        ...(authorizationDetails !== undefined ? { authorization_details: authorizationDetails } : {}),
      })
      const accessToken = await sign(claims)
      sendJson(
        res,
        200,
        { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, scope: claims.scope },
        { pragma: 'no-cache' },
      )
    } catch (err) {
      if (err instanceof OAuthError) return sendJson(res, err.status, err, { pragma: 'no-cache' })
      throw err
    }
  }

  // --- Altinn -------------------------------------------------------------------------------

  /** The caller of an Altinn API: a valid Maskinporten token from this emulator (any scope). */
  async function caller(req: IncomingMessage): Promise<{ orgno: string; supplier?: string; scopes: string[] }> {
    const auth = req.headers.authorization
    const match = auth === undefined ? null : /^Bearer ([A-Za-z0-9._-]+)$/.exec(auth)
    if (match === null)
      throw new ProblemError(
        401,
        'Unauthorized',
        'A Maskinporten token from this emulator is required (Authorization: Bearer)',
        undefined,
        'unauthenticated',
      )
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(match[1] as string, createLocalJWKSet({ keys: published.map((k) => k.publicJwk) }), {
        issuer,
        algorithms: ['RS256', 'RS384', 'RS512'],
        currentDate: clock(),
      }))
    } catch {
      throw new ProblemError(401, 'Unauthorized', 'The token is not a valid token from this emulator', undefined, 'invalid_token')
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
    const consumer = parseIso6523(payload.consumer)
    if (consumer === undefined) throw new ProblemError(401, 'Unauthorized', 'The token has no consumer', undefined, 'invalid_token')
    const supplier = payload.supplier === undefined ? undefined : parseIso6523(payload.supplier)
    return { orgno: consumer, ...(supplier !== undefined ? { supplier } : {}), scopes }
  }

  async function authenticate(req: IncomingMessage, needed: 'read' | 'write'): Promise<ConsentActor | undefined> {
    if (altinnAuth === 'none') return undefined
    const { orgno, supplier, scopes } = await caller(req)
    const ok =
      needed === 'write'
        ? scopes.includes(ALTINN_CONSENT_SCOPES.write)
        : scopes.includes(ALTINN_CONSENT_SCOPES.read) || scopes.includes(ALTINN_CONSENT_SCOPES.write)
    if (!ok)
      throw new ProblemError(
        403,
        'Forbidden',
        `The token lacks the scope ${needed === 'write' ? ALTINN_CONSENT_SCOPES.write : ALTINN_CONSENT_SCOPES.read}`,
        undefined,
        'insufficient_scope',
      )
    return { orgno, ...(supplier !== undefined ? { supplier } : {}), mayRequestForOthers: scopes.includes(ALTINN_CONSENT_SCOPES.org) }
  }

  // --- Altinn 2 -----------------------------------------------------------------------------

  /**
   * `GET /api/authorization/token/{AuthorizationCode}`: the legacy consent token of an accepted
   * consent. Altinn 2 authenticates the caller with an API key (plus a Maskinporten token for
   * suppliers); the emulator takes its own Maskinporten token instead: the consent must be given
   * to the token's consumer, and a supplier in the token becomes `HandledBy`. 403 for a code that
   * is unknown, expired, not accepted or not the caller's, as Altinn answers.
   */
  async function altinn2Exchange(req: IncomingMessage, res: ServerResponse, code: string, url: URL): Promise<void> {
    const generation = parseGeneration(url.searchParams.get('generation'))
    const who = altinnAuth === 'none' ? undefined : await caller(req)
    const found = consents.lookup({ id: code, ...(who !== undefined ? { consumer: who.orgno } : {}) })
    if (!found.ok)
      throw new ProblemError(403, 'Forbidden', `${found.description} (no token for this authorization code)`, undefined, found.refusal)
    const services = altinn2ServicesOf(found.details, (id) => consents.resource(id))
    const claims = altinn2ClaimsForConsent(found.details, {
      services,
      recipient: who?.supplier !== undefined ? { handledBy: who.supplier } : {},
      now: clock(),
      lifetimeSeconds: altinn2Lifetime,
      generation,
    })
    const jwt = signAltinn2Token(altinn2Key, claims)
    if (wantsXml(req.headers.accept)) {
      const xml = xmlString(jwt)
      res.writeHead(200, {
        'content-type': 'application/xml; charset=utf-8',
        'content-length': Buffer.byteLength(xml),
        'cache-control': 'no-store',
      })
      return void res.end(xml)
    }
    sendJson(res, 200, jwt)
  }

  async function createRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const actor = await authenticate(req, 'write')
    const body = parseJsonBody(await readBody(req))
    const to = typeof body.to === 'string' ? /([0-9]{9})$/.exec(body.to)?.[1] : undefined
    const { created, details } = consents.create(body, actor ?? { orgno: to ?? '', mayRequestForOthers: true })
    sendJson(res, created ? 201 : 200, details, created ? { location: `${origin}${CONSENT_REQUESTS_PATH}/${details.id}` } : {})
  }

  async function readRequest(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const actor = await authenticate(req, 'read')
    const details = consents.get(id)
    const allowed =
      details !== undefined &&
      (actor === undefined || consents.canRead(id, actor.orgno) || (actor.supplier !== undefined && consents.canRead(id, actor.supplier)))
    if (!allowed)
      throw new ProblemError(404, 'Not Found', 'No consent request with this id for the authenticated party', undefined, 'not_found')
    sendJson(res, 200, details)
  }

  async function consentScreen(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = url.searchParams.get('id') ?? ''
    if (req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)) ?? '')
      const decision = form.get('decision')
      try {
        if (decision === 'accept') return redirect(res, consents.accept(id).redirectUrl)
        if (decision === 'reject') return redirect(res, consents.reject(id).redirectUrl)
        if (decision === 'revoke') {
          consents.revoke(id)
          return redirect(res, `${CONSENT_SCREEN_PATH}?id=${encodeURIComponent(id)}`)
        }
      } catch (err) {
        if (err instanceof ProblemError) return sendHtml(res, err.status, errorPage(err.status, err.detail ?? err.title))
        throw err
      }
      return sendHtml(res, 400, errorPage(400, 'decision must be accept, reject or revoke'))
    }
    const details = consents.get(id)
    if (details === undefined) return sendHtml(res, 404, errorPage(404, 'No consent request with this id'))
    sendHtml(
      res,
      200,
      consentPage(details, (r) => consents.resource(r)),
    )
  }

  // --- Routing ------------------------------------------------------------------------------

  const methodNotAllowed = (): never => {
    throw new ProblemError(405, 'Method Not Allowed', undefined, undefined, 'method_not_allowed')
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin)
    const path = url.pathname
    const method = req.method ?? 'GET'
    if (path === '/.well-known/oauth-authorization-server')
      return method === 'GET' ? sendJson(res, 200, metadata(), { 'cache-control': 'max-age=60' }) : methodNotAllowed()
    if (path === '/jwk')
      return method === 'GET'
        ? sendJson(res, 200, { keys: published.map((k) => k.publicJwk) }, { 'cache-control': 'max-age=60' })
        : methodNotAllowed()
    if (path === '/token') return method === 'POST' ? token(req, res) : methodNotAllowed()
    if (path === ALTINN2_JWKS_PATH)
      return method === 'GET' ? sendJson(res, 200, { keys: [altinn2Key.publicJwk] }, { 'cache-control': 'max-age=60' }) : methodNotAllowed()
    if (path.startsWith(`${ALTINN2_TOKEN_PATH}/`)) {
      const code = decodeURIComponent(path.slice(ALTINN2_TOKEN_PATH.length + 1))
      return method === 'GET' ? altinn2Exchange(req, res, code, url) : methodNotAllowed()
    }
    if (path === CONSENT_REQUESTS_PATH) return method === 'POST' ? createRequest(req, res) : methodNotAllowed()
    if (path.startsWith(`${CONSENT_REQUESTS_PATH}/`)) {
      const id = decodeURIComponent(path.slice(CONSENT_REQUESTS_PATH.length + 1))
      return method === 'GET' ? readRequest(req, res, id) : methodNotAllowed()
    }
    if (path === CONSENT_SCREEN_PATH) return method === 'GET' || method === 'POST' ? consentScreen(req, res, url) : methodNotAllowed()
    const action = /^\/emulator\/consentrequests\/([^/]+)\/(accept|reject|revoke)$/.exec(path)
    if (action !== null) {
      if (method !== 'POST') return methodNotAllowed()
      const text = await readBody(req)
      const body = text === undefined || text.trim() === '' ? {} : parseJsonBody(text)
      const performedBy = typeof body.performedBy === 'string' ? body.performedBy : undefined
      const id = decodeURIComponent(action[1] as string)
      const verb = action[2] as 'accept' | 'reject' | 'revoke'
      return sendJson(res, 200, consents[verb](id, performedBy !== undefined ? { performedBy } : {}))
    }
    if (path === '/emulator/consentrequests') return method === 'GET' ? sendJson(res, 200, consents.list()) : methodNotAllowed()
    if (path === '/emulator/clients') {
      if (method === 'GET') return sendJson(res, 200, clients.summaries())
      if (method !== 'POST') return methodNotAllowed()
      const body = parseJsonBody(await readBody(req))
      try {
        const client = await clients.register(registrationFromJson(body))
        return sendJson(res, 201, summarize(client))
      } catch (err) {
        if (err instanceof TypeError) throw new ProblemError(400, 'Bad Request', err.message, undefined, 'invalid_client_registration')
        throw err
      }
    }
    if (path === '/emulator/keys/rotate') {
      if (method !== 'POST') return methodNotAllowed()
      const retire = url.searchParams.get('retirePrevious') === 'true'
      const key = await rotateKeys({ retirePrevious: retire })
      return sendJson(res, 200, { kid: key.kid, keys: published.map((k) => k.kid) })
    }
    if (path === '/emulator') {
      return sendJson(res, 200, {
        issuer,
        jwks_uri: `${origin}/jwk`,
        token_endpoint: `${origin}/token`,
        consent_requests: `${origin}${CONSENT_REQUESTS_PATH}`,
        altinn2_jwks_uri: `${origin}${ALTINN2_JWKS_PATH}`,
        altinn2_token_endpoint: `${origin}${ALTINN2_TOKEN_PATH}`,
        altinn_auth: altinnAuth,
        sandbox_clients: Object.values(sandbox).map((c) => ({ client_id: c.clientId, orgno: c.orgno, kid: c.key.kid, name: c.name })),
      })
    }
    if (path === '/' && method === 'GET')
      return sendHtml(
        res,
        200,
        indexPage(consents.list(), { issuer, jwksUri: `${origin}/jwk`, altinn2JwksUri: `${origin}${ALTINN2_JWKS_PATH}` }),
      )
    throw new ProblemError(404, 'Not Found', `No route ${method} ${path}`, undefined, 'not_found')
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (err instanceof ProblemError) return sendProblem(res, err)
      sendProblem(
        res,
        new ProblemError(500, 'Internal Server Error', err instanceof Error ? err.message : String(err), undefined, 'internal_error'),
      )
    })
  })
  const listening = await listen(server, host, options.port ?? 0)
  origin = listening.origin
  issuer = options.issuer ?? `${origin}/`

  return {
    url: origin,
    issuer,
    jwksUri: `${origin}/jwk`,
    metadataUrl: `${origin}/.well-known/oauth-authorization-server`,
    tokenEndpoint: `${origin}/token`,
    consentRequestsUrl: `${origin}${CONSENT_REQUESTS_PATH}`,
    altinn2JwksUri: `${origin}${ALTINN2_JWKS_PATH}`,
    altinn2TokenEndpoint: `${origin}${ALTINN2_TOKEN_PATH}`,
    altinn2Key,
    consents,
    clients,
    sandbox,
    get signer() {
      return signer
    },
    get keys() {
      return [...published]
    },
    now: () => clock(),
    rotateKeys,
    registerClient: (registration) => clients.register(registration),
    async requestToken(request) {
      const as = request.as ?? 'bank'
      const client = typeof as === 'string' ? sandbox[as] : as
      if (client === undefined) throw new TypeError(`requestToken: no sandbox client "${String(as)}" (sandboxClients: false?)`)
      const assertion = await buildJwtGrant({
        issuer,
        clientId: client.clientId,
        key: client.key,
        scope: request.scope,
        now: clock(),
        ...(request.consent !== undefined ? { consent: { id: request.consent.id, from: request.consent.from } } : {}),
        ...(request.consumerOrg !== undefined ? { consumerOrg: request.consumerOrg } : {}),
        ...(request.resource !== undefined ? { resource: request.resource } : {}),
      })
      return requestToken(`${origin}/token`, assertion)
    },
    accessToken: (claims = {}) => sign(maskinportenClaims({ iss: issuer, now: clock(), ...claims })),
    consentToken: (claims = {}) => sign(consentTokenClaims({ iss: issuer, now: clock(), ...claims })),
    async requestAltinn2Token(request) {
      const id = typeof request.consent === 'string' ? request.consent : request.consent.id
      const headers: Record<string, string> = { accept: 'application/json' }
      if (altinnAuth === 'token') {
        const as = request.as ?? 'bank'
        const client = typeof as === 'string' ? sandbox[as] : as
        if (client === undefined) throw new TypeError(`requestAltinn2Token: no sandbox client "${String(as)}" (sandboxClients: false?)`)
        const assertion = await buildJwtGrant({
          issuer,
          clientId: client.clientId,
          key: client.key,
          scope: ALTINN_CONSENT_SCOPES.read,
          now: clock(),
          ...(request.consumerOrg !== undefined ? { consumerOrg: request.consumerOrg } : {}),
        })
        const grant = await requestToken(`${origin}/token`, assertion)
        if (!grant.ok)
          return {
            ok: false,
            status: grant.status,
            body: {
              title: grant.body.error,
              ...(grant.body.error_description !== undefined ? { detail: grant.body.error_description } : {}),
              code: grant.body.error,
            },
          }
        headers.authorization = `Bearer ${grant.body.access_token}`
      }
      const query = request.generation !== undefined ? `?generation=${encodeURIComponent(request.generation)}` : ''
      const response = await fetch(`${origin}${ALTINN2_TOKEN_PATH}/${encodeURIComponent(id)}${query}`, { headers })
      const body = (await response.json()) as unknown
      if (response.ok && typeof body === 'string') return { ok: true, status: response.status, token: body }
      return {
        ok: false,
        status: response.status,
        body: typeof body === 'object' && body !== null ? (body as { title?: string; detail?: string; code?: string }) : {},
      }
    },
    altinn2Token: (claims = {}) => signAltinn2Token(altinn2Key, altinn2Claims({ now: clock(), ...claims })),
    close() {
      return listening.close()
    },
  }
}
