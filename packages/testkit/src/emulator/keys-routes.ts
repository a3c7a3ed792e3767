import type { IncomingMessage, ServerResponse } from 'node:http'
import { ALTINN2_JWKS_PATH, ALTINN2_TOKEN_PATH } from './altinn2.js'
import { CONSENT_REQUESTS_PATH } from './api.js'
import { registrationFromJson, summarize } from './clients.js'
import type { EmulatorContext } from './context.js'
import { GRANT_ALGORITHMS, JWT_BEARER_GRANT_TYPE } from './grant.js'
import { parseJsonBody, ProblemError, readBody, sendJson } from './http.js'
import type { Route } from './router.js'

/** RFC 8414 authorization server metadata, as Maskinporten publishes it. */
function metadata(ctx: EmulatorContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    token_endpoint: `${ctx.origin}/token`,
    jwks_uri: `${ctx.origin}/jwk`,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    grant_types_supported: [JWT_BEARER_GRANT_TYPE],
    token_endpoint_auth_signing_alg_values_supported: [...GRANT_ALGORITHMS],
    authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
  }
}

/** `POST /emulator/clients`: registers a client (400 for an invalid registration). */
async function registerClient(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJsonBody(await readBody(req))
  try {
    const client = await ctx.clients.register(registrationFromJson(body))
    return sendJson(res, 201, summarize(client))
  } catch (err) {
    if (err instanceof TypeError) throw new ProblemError(400, 'Bad Request', err.message, undefined, 'invalid_client_registration')
    throw err
  }
}

/** `POST /emulator/keys/rotate[?retirePrevious=true]`: Maskinporten's key rotation. */
async function rotate(ctx: EmulatorContext, res: ServerResponse, url: URL): Promise<void> {
  const retire = url.searchParams.get('retirePrevious') === 'true'
  const key = await ctx.ring.rotate({ retirePrevious: retire })
  sendJson(res, 200, { kid: key.kid, keys: ctx.ring.published.map((k) => k.kid) })
}

/** What `/emulator` describes: the endpoints to configure and the sandbox clients. */
function description(ctx: EmulatorContext): Record<string, unknown> {
  const { origin } = ctx
  return {
    issuer: ctx.issuer,
    jwks_uri: `${origin}/jwk`,
    token_endpoint: `${origin}/token`,
    consent_requests: `${origin}${CONSENT_REQUESTS_PATH}`,
    altinn2_jwks_uri: `${origin}${ALTINN2_JWKS_PATH}`,
    altinn2_token_endpoint: `${origin}${ALTINN2_TOKEN_PATH}`,
    altinn_auth: ctx.altinnAuth,
    sandbox_clients: Object.values(ctx.sandbox).map((c) => ({ client_id: c.clientId, orgno: c.orgno, kid: c.key.kid, name: c.name })),
  }
}

/** Maskinporten's metadata and keys, key rotation, the client register and the emulator's description. */
export function keysRoutes(ctx: EmulatorContext): Route[] {
  const cached = { 'cache-control': 'max-age=60' }
  return [
    { path: '/.well-known/oauth-authorization-server', methods: { GET: (_req, res) => sendJson(res, 200, metadata(ctx), cached) } },
    { path: '/jwk', methods: { GET: (_req, res) => sendJson(res, 200, ctx.ring.jwks(), cached) } },
    {
      path: '/emulator/clients',
      methods: { GET: (_req, res) => sendJson(res, 200, ctx.clients.summaries()), POST: (req, res) => registerClient(ctx, req, res) },
    },
    { path: '/emulator/keys/rotate', methods: { POST: (_req, res, url) => rotate(ctx, res, url) } },
    { path: '/emulator', methods: { ANY: (_req, res) => sendJson(res, 200, description(ctx)) } },
  ]
}
