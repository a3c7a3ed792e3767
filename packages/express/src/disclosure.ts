import { carriesData, isConsentGuardError, type DisclosureFacts, type DisclosureRecorder, type VerifiedConsent } from '@consent-guard/core'
import type { Request, Response } from 'express'

type AnyFn = (...args: unknown[]) => unknown

// Once per response, even when several guard middlewares accept the same request.
const wired = new WeakSet<Response>()

/**
 * Wires `onDisclosure` into one guarded Express response. Fire-and-forget: recorded on `finish`,
 * after the answer was sent. Fail-closed: the response's `writeHead`, `write`, `end` and
 * `flushHeaders` are wrapped, so the first byte of a 2xx answer waits until the record is
 * written; a failed record discards what the handler wrote and answers 503
 * `disclosure_log_unavailable` (problem+json) in its place. Express has no asynchronous
 * "response ready" hook, and a wrapper is the one place that sees every way a body can leave
 * (`res.json`, `res.send`, `res.sendFile`, `stream.pipe(res)`).
 */
export function wireDisclosure(recorder: DisclosureRecorder, consent: VerifiedConsent, req: Request, res: Response): void {
  if (wired.has(res)) return
  wired.add(res)
  const facts = (): DisclosureFacts => ({
    method: req.method,
    route: routePattern(req),
    status: res.statusCode,
    correlationId: correlationId(req, res),
    logger: requestLogger(req),
  })
  if (recorder.mode === 'fire-and-forget') {
    res.once('finish', () => void recorder.record(consent, facts()).catch(() => undefined))
    return
  }

  const original = {
    writeHead: res.writeHead as unknown as AnyFn,
    write: res.write as unknown as AnyFn,
    end: res.end as unknown as AnyFn,
    flushHeaders: res.flushHeaders as unknown as AnyFn,
  }
  type Call = { readonly name: 'write' | 'end' | 'flushHeaders'; readonly args: unknown[] }
  let state: 'idle' | 'recording' | 'released' | 'refused' = 'idle'
  const queue: Call[] = []

  const restore = (): void => {
    res.writeHead = original.writeHead as Response['writeHead']
    res.write = original.write as Response['write']
    res.end = original.end as Response['end']
    res.flushHeaders = original.flushHeaders as Response['flushHeaders']
  }

  // Headers are not committed before the record: writeHead's status and headers go onto `res`.
  res.writeHead = function (this: Response, ...args: unknown[]) {
    if (state !== 'idle') return original.writeHead.apply(res, args)
    const [status, second, third] = args
    res.statusCode = status as number
    const headers = typeof second === 'string' ? third : second
    if (typeof second === 'string') res.statusMessage = second
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string)
    } else if (typeof headers === 'object' && headers !== null) {
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string)
    }
    return res
  } as Response['writeHead']

  const intercept = (name: Call['name']) =>
    function (this: Response, ...args: unknown[]): unknown {
      if (state === 'released') return original[name].apply(res, args)
      if (state === 'refused') {
        // The handler keeps writing into an answer that was replaced: drop it, fail its callbacks.
        const callback = args.find((a): a is AnyFn => typeof a === 'function')
        callback?.(new Error('consent-guard: the disclosure was not recorded; the answer was replaced by a 503'))
        return name === 'write' ? false : res
      }
      if (state === 'idle' && !carriesData(req.method, res.statusCode)) {
        // No data in this answer (a refusal, an error, a redirect): nothing to wait for.
        state = 'released'
        restore()
        return original[name].apply(res, args)
      }
      queue.push({ name, args })
      if (state === 'idle') {
        state = 'recording'
        recorder.record(consent, facts()).then(release, refuse)
      }
      return name === 'write' ? true : res
    }
  res.write = intercept('write') as Response['write']
  res.end = intercept('end') as Response['end']
  res.flushHeaders = intercept('flushHeaders') as Response['flushHeaders']

  function release(): void {
    state = 'released'
    restore()
    for (const call of queue.splice(0)) original[call.name].apply(res, call.args)
  }

  function refuse(err: unknown): void {
    state = 'refused'
    queue.splice(0)
    if (!isConsentGuardError(err) || res.headersSent) {
      res.destroy(err instanceof Error ? err : undefined)
      return
    }
    // Nothing of the handler's answer may survive: status, headers and body are replaced.
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    const body = JSON.stringify(err.toProblem())
    res.statusCode = err.statusCode
    res.statusMessage = 'Service Unavailable'
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value)
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8')
    res.setHeader('Content-Length', Buffer.byteLength(body))
    res.writeHead = original.writeHead as Response['writeHead']
    original.end.call(res, body)
  }
}

/**
 * The route pattern (`/income/:year/:personId`), never the URL. Under `app.use(path, ...)` or a
 * router, `baseUrl` is the matched URL; core masks the subject's identifier in it.
 */
function routePattern(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path
  return `${req.baseUrl ?? ''}${typeof path === 'string' ? path : ''}`
}

/** The call's correlation id (`req.correlationId`), else pino-http's `req.id`, else an `X-Request-Id` the app set. */
function correlationId(req: Request, res: Response): string | undefined {
  const correlation = (req as { correlationId?: unknown }).correlationId
  if (typeof correlation === 'string' && correlation !== '') return correlation
  const id = (req as { id?: unknown }).id
  if (typeof id === 'string' || typeof id === 'number') return String(id)
  const header = res.getHeader('x-request-id')
  return typeof header === 'string' ? header : undefined
}

function requestLogger(req: Request): DisclosureFacts['logger'] {
  const log = (req as { log?: { info?: unknown } }).log
  return typeof log === 'object' && log !== null && typeof log.info === 'function' ? (log as DisclosureFacts['logger']) : undefined
}
