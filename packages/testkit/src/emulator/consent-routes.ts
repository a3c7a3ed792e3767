import type { IncomingMessage, ServerResponse } from 'node:http'
import { CONSENT_REQUESTS_PATH } from './api.js'
import { authenticate } from './caller.js'
import type { EmulatorContext } from './context.js'
import { parseJsonBody, ProblemError, readBody, sendJson } from './http.js'
import { under, type Route } from './router.js'

/** `POST` of Altinn's consent request API: 201 for a new request, 200 for the same id again. */
async function createRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const actor = await authenticate(ctx, req, 'write')
  const body = parseJsonBody(await readBody(req))
  const to = typeof body.to === 'string' ? /([0-9]{9})$/.exec(body.to)?.[1] : undefined
  const { created, details } = ctx.consents.create(body, actor ?? { orgno: to ?? '', mayRequestForOthers: true })
  sendJson(res, created ? 201 : 200, details, created ? { location: `${ctx.origin}${CONSENT_REQUESTS_PATH}/${details.id}` } : {})
}

/** `GET {id}`: 404 unless the caller is the request's `to` or its supplier. */
async function readRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const actor = await authenticate(ctx, req, 'read')
  const { consents } = ctx
  const details = consents.get(id)
  const allowed =
    details !== undefined &&
    (actor === undefined || consents.canRead(id, actor.orgno) || (actor.supplier !== undefined && consents.canRead(id, actor.supplier)))
  if (!allowed)
    throw new ProblemError(404, 'Not Found', 'No consent request with this id for the authenticated party', undefined, 'not_found')
  sendJson(res, 200, details)
}

/** `POST /emulator/consentrequests/{id}/accept|reject|revoke`: what the person does on the consent screen. */
async function decide(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string, verb: string): Promise<void> {
  const text = await readBody(req)
  const body = text === undefined || text.trim() === '' ? {} : parseJsonBody(text)
  const performedBy = typeof body.performedBy === 'string' ? body.performedBy : undefined
  sendJson(res, 200, ctx.consents[verb as 'accept' | 'reject' | 'revoke'](id, performedBy !== undefined ? { performedBy } : {}))
}

/** Altinn's consent request API and the emulator's own decision and listing endpoints. */
export function consentRoutes(ctx: EmulatorContext): Route[] {
  return [
    { path: CONSENT_REQUESTS_PATH, methods: { POST: (req, res) => createRequest(ctx, req, res) } },
    { path: under(CONSENT_REQUESTS_PATH), methods: { GET: (req, res, _url, [id]) => readRequest(ctx, req, res, id as string) } },
    {
      path: /^\/emulator\/consentrequests\/([^/]+)\/(accept|reject|revoke)$/,
      methods: { POST: (req, res, _url, [id, verb]) => decide(ctx, req, res, id as string, verb as string) },
    },
    { path: '/emulator/consentrequests', methods: { GET: (_req, res) => sendJson(res, 200, ctx.consents.list()) } },
  ]
}
