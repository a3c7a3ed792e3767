import { compactVerify, decodeProtectedHeader, importJWK } from 'jose'
import { ALTINN_CONSENT_TYPE } from '../claims.js'
import type { ClientRegistry, RegisteredClient } from './clients.js'
import { OAuthError } from './http.js'
import { isUuid, isValidOrgno, parseValidPartyUrn } from './identifiers.js'

/** The JWT-bearer grant type (RFC 7523 §2.1), the only one Maskinporten supports. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Algorithms Maskinporten accepts for JWT grants. */
export const GRANT_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const

/** Claims a Maskinporten grant may carry; anything else is "Invalid assertion" (MP-GRANT). */
const ALLOWED_CLAIMS = new Set(['aud', 'iss', 'iat', 'exp', 'jti', 'scope', 'resource', 'consumer_org', 'authorization_details'])

/** Most seconds a grant may live (`exp - iat`), and the clock skew allowed on `iat`. */
export const GRANT_MAX_LIFETIME = 120
export const GRANT_IAT_SKEW = 10

/** A grant that passed every check. */
export interface ValidGrant {
  readonly client: RegisteredClient
  readonly scopes: readonly string[]
  /** The legal consumer: `consumer_org` for a supplier, else the client's organisation. */
  readonly consumer: string
  /** The client's organisation when it acts for `consumer_org`. */
  readonly supplier: string | undefined
  /** The requested consent, if any. */
  readonly consent: { readonly id: string; readonly from: string } | undefined
  /** Audience restriction (`resource`), copied to the token's `aud`. */
  readonly audience: string | string[] | undefined
}

export interface GrantCheckContext {
  readonly issuer: string
  readonly now: () => Date
  readonly clients: ClientRegistry
  /** Grant `jti`s already used, with the epoch second after which they may be forgotten. */
  readonly usedJtis: Map<string, number>
}

/**
 * Checks a token request (form fields) and its JWT grant the way Maskinporten documents it:
 * RS256/384/512 with a registered `kid`, only documented claims, `aud` = issuer, `iss` = client id,
 * `iat` within 10 s, `exp - iat` ≤ 120 s, `jti` not reused, `scope` granted to the client,
 * `consumer_org` only with a delegation, at most one `urn:altinn:consent` entry.
 *
 * @throws OAuthError
 */
export async function checkGrant(form: URLSearchParams, ctx: GrantCheckContext): Promise<ValidGrant> {
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) throw new OAuthError('invalid_request', `Parameter ${name} is given more than once`)
  }
  const grantType = form.get('grant_type')
  if (grantType === null) throw new OAuthError('invalid_request', 'grant_type is missing')
  if (grantType !== JWT_BEARER_GRANT_TYPE) throw new OAuthError('unsupported_grant_type', `Only ${JWT_BEARER_GRANT_TYPE} is supported`)
  const assertion = form.get('assertion')
  if (assertion === null || assertion === '') throw new OAuthError('invalid_request', 'assertion is missing')

  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(assertion)
  } catch {
    throw new OAuthError('invalid_grant', 'Invalid assertion: not a signed JWT')
  }
  if (assertion.split('.').length !== 3) throw new OAuthError('invalid_grant', 'Invalid assertion: not a signed JWT')
  if (typeof header.alg !== 'string' || !(GRANT_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new OAuthError('invalid_grant', `Invalid assertion: alg must be one of ${GRANT_ALGORITHMS.join(', ')}`)
  }
  if (header.x5c !== undefined) {
    throw new OAuthError(
      'invalid_grant',
      'Invalid assertion: x5c (business certificate) grants are not emulated; register a client key and send its kid',
    )
  }
  if (typeof header.kid !== 'string') throw new OAuthError('invalid_grant', 'Invalid assertion: kid is missing')

  const unverified = decodePayload(assertion)
  const clientId = unverified.iss
  if (typeof clientId !== 'string') throw new OAuthError('invalid_grant', 'Invalid assertion: iss (the client id) is missing')
  const client = ctx.clients.get(clientId)
  if (client === undefined) throw new OAuthError('invalid_client', 'Invalid client: no client is registered with this client_id')
  const jwk = client.keys.get(header.kid)
  if (jwk === undefined) throw new OAuthError('invalid_grant', 'Invalid assertion: the kid is not registered for this client')

  let claims: Record<string, unknown>
  try {
    const key = await importJWK({ ...jwk, alg: header.alg }, header.alg)
    const { payload } = await compactVerify(assertion, key, { algorithms: [header.alg] })
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
  } catch {
    throw new OAuthError('invalid_grant', 'Invalid assertion: signature verification failed')
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw new OAuthError('invalid_grant', 'Invalid assertion: claims must be a JSON object')

  const unknown = Object.keys(claims).filter((k) => !ALLOWED_CLAIMS.has(k))
  if (unknown.length > 0) throw new OAuthError('invalid_grant', `Invalid assertion: unsupported claim(s) ${unknown.join(', ')}`)

  const aud = claims.aud
  const audValue: unknown = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud
  if (audValue !== ctx.issuer) throw new OAuthError('invalid_grant', `Invalid assertion: aud must be the issuer ${ctx.issuer}`)

  const now = ctx.now().getTime() / 1000
  const { iat, exp } = claims
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new OAuthError('invalid_grant', 'Invalid assertion: iat is missing')
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new OAuthError('invalid_grant', 'Invalid assertion: exp is missing')
  if (Math.abs(iat - now) > GRANT_IAT_SKEW)
    throw new OAuthError('invalid_grant', `Invalid assertion: iat must be within ${GRANT_IAT_SKEW} seconds of the server clock`)
  if (exp <= iat || exp - iat > GRANT_MAX_LIFETIME)
    throw new OAuthError('invalid_grant', `Invalid assertion: exp - iat must be 1-${GRANT_MAX_LIFETIME} seconds`)
  if (exp <= now) throw new OAuthError('invalid_grant', 'Invalid assertion: the grant has expired')

  if (claims.jti !== undefined) {
    if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 256)
      throw new OAuthError('invalid_grant', 'Invalid assertion: jti must be a string')
    for (const [jti, until] of ctx.usedJtis) if (until < now) ctx.usedJtis.delete(jti)
    const key = `${client.clientId}\u0000${claims.jti}`
    if (ctx.usedJtis.has(key)) throw new OAuthError('invalid_grant', 'Invalid assertion: this JWT grant (jti) has already been used')
    ctx.usedJtis.set(key, exp + GRANT_IAT_SKEW)
  }

  if (typeof claims.scope !== 'string') throw new OAuthError('invalid_scope', 'scope is required')
  const scopes = [...new Set(claims.scope.split(' ').filter((s) => s !== ''))]
  if (scopes.length === 0) throw new OAuthError('invalid_scope', 'scope is required')

  let consumer = client.orgno
  let supplier: string | undefined
  if (claims.consumer_org !== undefined) {
    const org = claims.consumer_org
    if (typeof org !== 'string' || !isValidOrgno(org))
      throw new OAuthError('invalid_grant', 'Invalid assertion: consumer_org must be a 9-digit organisation number')
    if (org !== client.orgno) {
      if (!client.delegatedBy.includes(org)) {
        throw new OAuthError(
          'invalid_scope',
          "consumer_org has not delegated access to the requested scope(s) to this client's organisation",
        )
      }
      consumer = org
      supplier = client.orgno
    }
  }
  if (client.scopes !== '*') {
    const granted = client.scopes
    const missing = scopes.filter((s) => !granted.includes(s))
    if (missing.length > 0) throw new OAuthError('invalid_scope', `The client has no access to scope(s): ${missing.join(' ')}`)
  }

  let audience: string | string[] | undefined
  if (claims.resource !== undefined) {
    const r = claims.resource
    if (typeof r === 'string' && r !== '') audience = r
    else if (Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'string' && x !== ''))
      audience = r.length === 1 ? (r[0] as string) : (r as string[])
    else throw new OAuthError('invalid_request', 'resource must be a non-empty string or array of strings')
  }

  return { client, scopes, consumer, supplier, consent: readConsentRequest(claims.authorization_details), audience }
}

function readConsentRequest(details: unknown): ValidGrant['consent'] {
  if (details === undefined) return undefined
  const invalid = (message: string): never => {
    throw new OAuthError('invalid_authorization_details', message)
  }
  if (!Array.isArray(details) || details.length === 0) return invalid('authorization_details must be a non-empty array')
  let consent: ValidGrant['consent']
  for (const entry of details) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return invalid('authorization_details entries must be objects')
    const e = entry as Record<string, unknown>
    if (e.type !== ALTINN_CONSENT_TYPE) {
      return invalid(`authorization_details type ${JSON.stringify(e.type)} is not supported by the emulator (only ${ALTINN_CONSENT_TYPE})`)
    }
    if (consent !== undefined) return invalid('Only one consent can be requested per token')
    if (!isUuid(e.id)) return invalid('The consent id must be a UUID')
    if (typeof e.from !== 'string' || parseValidPartyUrn(e.from) === undefined)
      return invalid('The consent "from" must be a person or organisation URN')
    consent = { id: e.id, from: e.from }
  }
  return consent
}

function decodePayload(jwt: string): Record<string, unknown> {
  const segment = jwt.split('.')[1] ?? ''
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new OAuthError('invalid_grant', 'Invalid assertion: the payload is not a JSON object')
}
