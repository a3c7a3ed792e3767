import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { ALTINN_CONSENT_TYPE, epochSeconds, type ClockSource } from '../claims.js'
import type { SigningKey } from '../keys.js'
import { JWT_BEARER_GRANT_TYPE } from './grant.js'

/** Options for {@link buildJwtGrant}: what a Maskinporten client puts in its JWT grant. */
export interface JwtGrantOptions {
  /** Maskinporten issuer (the grant's `aud`), e.g. the emulator's `issuer`. */
  readonly issuer: string
  /** The client's id (the grant's `iss`). */
  readonly clientId: string
  /** The client's private key; its `kid` goes into the header. */
  readonly key: SigningKey
  /** Scope(s) to request. */
  readonly scope: string | readonly string[]
  /** The consent to put into the token: its id (the consent request id) and who gave it. */
  readonly consent?: { readonly id: string; readonly from: string }
  /** Supplier flow: the customer's organisation number. */
  readonly consumerOrg?: string
  /** Audience restriction for the token. */
  readonly resource?: string | readonly string[]
  /** Grant lifetime in seconds. Default 60 (at most 120). */
  readonly lifetimeSeconds?: number
  /** Default: a random UUID. */
  readonly jti?: string
  readonly now?: ClockSource
  /** Claims merged in last (`undefined` removes one), for negative tests. */
  readonly extra?: Record<string, unknown>
}

/**
 * Builds and signs a Maskinporten JWT grant (RFC 7523), the `assertion` of a token request.
 *
 * @example
 * const assertion = await buildJwtGrant({ issuer: emu.issuer, clientId, key, scope: 'example:income',
 *   consent: { id: requestId, from: 'urn:altinn:person:identifier-no:25922947409' } })
 */
export async function buildJwtGrant(options: JwtGrantOptions): Promise<string> {
  const iat = Math.floor(epochSeconds(options.now))
  const claims: Record<string, unknown> = {
    aud: options.issuer,
    iss: options.clientId,
    iat,
    exp: iat + (options.lifetimeSeconds ?? 60),
    jti: options.jti ?? randomUUID(),
    scope: typeof options.scope === 'string' ? options.scope : options.scope.join(' '),
  }
  if (options.consent !== undefined) {
    claims.authorization_details = [{ type: ALTINN_CONSENT_TYPE, id: options.consent.id, from: options.consent.from }]
  }
  if (options.consumerOrg !== undefined) claims.consumer_org = options.consumerOrg
  if (options.resource !== undefined) claims.resource = typeof options.resource === 'string' ? [options.resource] : [...options.resource]
  for (const [k, v] of Object.entries(options.extra ?? {})) {
    if (v === undefined) delete claims[k]
    else claims[k] = v
  }
  return new SignJWT(claims).setProtectedHeader({ alg: options.key.alg, kid: options.key.kid }).sign(options.key.privateKey)
}

/** A successful token response. */
export interface TokenResponse {
  readonly access_token: string
  readonly token_type: 'Bearer'
  readonly expires_in: number
  readonly scope: string
}

/** The answer of a token endpoint: the tokens, or the OAuth error JSON with the HTTP status. */
export type TokenResult =
  | { readonly ok: true; readonly status: number; readonly body: TokenResponse }
  | { readonly ok: false; readonly status: number; readonly body: { error: string; error_description?: string; consent_error?: string } }

/**
 * Posts a JWT grant to a token endpoint (`application/x-www-form-urlencoded`,
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion=...`).
 */
export async function requestToken(tokenEndpoint: string, assertion: string): Promise<TokenResult> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion }).toString(),
  })
  const body = (await response.json()) as TokenResponse & { error: string }
  return response.ok ? { ok: true, status: response.status, body } : { ok: false, status: response.status, body }
}
