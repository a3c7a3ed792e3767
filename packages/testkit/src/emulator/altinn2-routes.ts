import type { IncomingMessage, ServerResponse } from 'node:http'
import { signAltinn2Token } from '../altinn2.js'
import {
  ALTINN2_JWKS_PATH,
  ALTINN2_TOKEN_PATH,
  altinn2ClaimsForConsent,
  altinn2ServicesOf,
  parseGeneration,
  wantsXml,
  xmlString,
} from './altinn2.js'
import { caller } from './caller.js'
import type { EmulatorContext } from './context.js'
import { ProblemError, sendJson } from './http.js'
import { under, type Route } from './router.js'

/**
 * `GET /api/authorization/token/{AuthorizationCode}`: the legacy consent token of an accepted
 * consent. Altinn 2 authenticates the caller with an API key (plus a Maskinporten token for
 * suppliers); the emulator takes its own Maskinporten token instead: the consent must be given
 * to the token's consumer, and a supplier in the token becomes `HandledBy`. 403 for a code that
 * is unknown, expired, not accepted or not the caller's, as Altinn answers.
 */
async function altinn2Exchange(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, code: string, url: URL): Promise<void> {
  const generation = parseGeneration(url.searchParams.get('generation'))
  const who = ctx.altinnAuth === 'none' ? undefined : await caller(ctx, req)
  const found = ctx.consents.lookup({ id: code, ...(who !== undefined ? { consumer: who.orgno } : {}) })
  if (!found.ok)
    throw new ProblemError(403, 'Forbidden', `${found.description} (no token for this authorization code)`, undefined, found.refusal)
  const services = altinn2ServicesOf(found.details, (id) => ctx.consents.resource(id))
  const claims = altinn2ClaimsForConsent(found.details, {
    services,
    recipient: who?.supplier !== undefined ? { handledBy: who.supplier } : {},
    now: ctx.clock(),
    lifetimeSeconds: ctx.altinn2Lifetime,
    generation,
  })
  const jwt = signAltinn2Token(ctx.altinn2Key, claims)
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

/** Altinn 2: its key set and the consent-token exchange. */
export function altinn2Routes(ctx: EmulatorContext): Route[] {
  return [
    {
      path: ALTINN2_JWKS_PATH,
      methods: { GET: (_req, res) => sendJson(res, 200, { keys: [ctx.altinn2Key.publicJwk] }, { 'cache-control': 'max-age=60' }) },
    },
    {
      path: under(ALTINN2_TOKEN_PATH),
      methods: { GET: (req, res, url, [code]) => altinn2Exchange(ctx, req, res, code as string, url) },
    },
  ]
}
