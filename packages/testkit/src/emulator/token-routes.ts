import type { IncomingMessage, ServerResponse } from 'node:http'
import { SignJWT } from 'jose'
import { maskinportenClaims } from '../claims.js'
import type { EmulatorContext } from './context.js'
import { checkGrant } from './grant.js'
import { OAuthError, readBody, sendJson } from './http.js'
import type { Route } from './router.js'

/** Signs claims with the emulator's current Maskinporten key. */
export function signWithRing(ctx: EmulatorContext, claims: Record<string, unknown>): Promise<string> {
  const signer = ctx.ring.signer
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid }).sign(signer.privateKey)
}

/**
 * `POST /token`: a JWT-bearer grant from a registered client. A consent in `authorization_details`
 * is looked up in the emulator's store and refused as Altinn does.
 */
async function token(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    const text = await readBody(req)
    if (text === undefined) throw new OAuthError('invalid_request', 'The request body is too large')
    if (type !== 'application/x-www-form-urlencoded')
      throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded')
    const grant = await checkGrant(new URLSearchParams(text), {
      issuer: ctx.issuer,
      now: ctx.clock,
      clients: ctx.clients,
      usedJtis: ctx.usedJtis,
    })
    let authorizationDetails: unknown[] | undefined
    if (grant.consent !== undefined) {
      const found = ctx.consents.lookup({ id: grant.consent.id, from: grant.consent.from, consumer: grant.consumer })
      if (!found.ok) throw new OAuthError('invalid_authorization_details', found.description, found.refusal)
      authorizationDetails = [found.detail]
    }
    const lifetime = ctx.tokenLifetime
    const claims = maskinportenClaims({
      iss: ctx.issuer,
      scope: grant.scopes,
      consumer: grant.consumer,
      ...(grant.supplier !== undefined ? { supplier: grant.supplier, delegation_source: ctx.delegationSource } : {}),
      client_id: grant.client.clientId,
      ...(grant.audience !== undefined ? { aud: grant.audience } : {}),
      now: ctx.clock(),
      lifetimeSeconds: lifetime,
      ...(authorizationDetails !== undefined ? { authorization_details: authorizationDetails } : {}),
    })
    const accessToken = await signWithRing(ctx, claims)
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

/** Maskinporten's token endpoint. */
export function tokenRoutes(ctx: EmulatorContext): Route[] {
  return [{ path: '/token', methods: { POST: (req, res) => token(ctx, req, res) } }]
}
