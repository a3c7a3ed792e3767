import type { IncomingMessage, ServerResponse } from 'node:http'
import { ALTINN2_JWKS_PATH } from './altinn2.js'
import { CONSENT_SCREEN_PATH } from './api.js'
import type { EmulatorContext } from './context.js'
import { consentPage, errorPage, indexPage } from './html.js'
import { ProblemError, readBody, redirect, sendHtml } from './http.js'
import type { Route } from './router.js'

/** The emulated Altinn consent screen (`viewUri`): shows a request, and takes the person's decision. */
async function consentScreen(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { consents } = ctx
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

/** HTML pages: the consent screen and the index page. */
export function pageRoutes(ctx: EmulatorContext): Route[] {
  const screen = (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => consentScreen(ctx, req, res, url)
  return [
    { path: CONSENT_SCREEN_PATH, methods: { GET: screen, POST: screen } },
    {
      path: '/',
      methods: {
        GET: (_req, res) =>
          sendHtml(
            res,
            200,
            indexPage(ctx.consents.list(), {
              issuer: ctx.issuer,
              jwksUri: `${ctx.origin}/jwk`,
              altinn2JwksUri: `${ctx.origin}${ALTINN2_JWKS_PATH}`,
            }),
          ),
      },
      otherMethods: 'not_found',
    },
  ]
}
