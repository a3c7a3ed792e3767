import { ALTINN2_TOKEN_PATH } from './altinn2.js'
import {
  ALTINN_CONSENT_SCOPES,
  type Altinn2TokenResult,
  type EmulatorAltinn2TokenRequest,
  type EmulatorTokenRequest,
  type SandboxClient,
} from './api.js'
import type { EmulatorContext } from './context.js'
import { buildJwtGrant, requestToken, type TokenResult } from './grant-client.js'

function clientOf(ctx: EmulatorContext, as: 'bank' | 'other' | SandboxClient, caller: string): SandboxClient {
  if (typeof as !== 'string') return as
  const client = ctx.sandbox[as]
  if (client === undefined) throw new TypeError(`${caller}: no sandbox client "${as}" (sandboxClients: false?)`)
  return client
}

/** `Emulator.requestToken`: a JWT grant as a sandbox client, posted to `/token` as a consumer does. */
export async function requestEmulatorToken(ctx: EmulatorContext, request: EmulatorTokenRequest): Promise<TokenResult> {
  const client = clientOf(ctx, request.as ?? 'bank', 'requestToken')
  const assertion = await buildJwtGrant({
    issuer: ctx.issuer,
    clientId: client.clientId,
    key: client.key,
    scope: request.scope,
    now: ctx.clock(),
    ...(request.consent !== undefined ? { consent: { id: request.consent.id, from: request.consent.from } } : {}),
    ...(request.consumerOrg !== undefined ? { consumerOrg: request.consumerOrg } : {}),
    ...(request.resource !== undefined ? { resource: request.resource } : {}),
  })
  return requestToken(`${ctx.origin}/token`, assertion)
}

/**
 * `Emulator.requestAltinn2Token`: a Maskinporten token for the caller (unless `altinnAuth: 'none'`),
 * then `GET /api/authorization/token/{consent id}`.
 */
export async function requestEmulatorAltinn2Token(ctx: EmulatorContext, request: EmulatorAltinn2TokenRequest): Promise<Altinn2TokenResult> {
  const id = typeof request.consent === 'string' ? request.consent : request.consent.id
  const headers: Record<string, string> = { accept: 'application/json' }
  if (ctx.altinnAuth === 'token') {
    const client = clientOf(ctx, request.as ?? 'bank', 'requestAltinn2Token')
    const assertion = await buildJwtGrant({
      issuer: ctx.issuer,
      clientId: client.clientId,
      key: client.key,
      scope: ALTINN_CONSENT_SCOPES.read,
      now: ctx.clock(),
      ...(request.consumerOrg !== undefined ? { consumerOrg: request.consumerOrg } : {}),
    })
    const grant = await requestToken(`${ctx.origin}/token`, assertion)
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
  const response = await fetch(`${ctx.origin}${ALTINN2_TOKEN_PATH}/${encodeURIComponent(id)}${query}`, { headers })
  const body = (await response.json()) as unknown
  if (response.ok && typeof body === 'string') return { ok: true, status: response.status, token: body }
  return {
    ok: false,
    status: response.status,
    body: typeof body === 'object' && body !== null ? body : {},
  }
}
