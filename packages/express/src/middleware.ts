import {
  GUARDED_RESPONSE_HEADERS,
  correlationIdFrom,
  problemFor,
  createConsentGuard as createCoreGuard,
  headersFromNodeRequest,
  isConsentGuardError,
  type AuditLogger,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentGuardOptions,
  type VerifiedConsent,
} from '@consent-guard/core'
import { wireDisclosure } from './disclosure.js'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import { rememberCompiled } from './openapi.js'
import type { ConsentMiddleware, ConsentRequest, ExpressConsentRequirement, RouteOrParams } from './route-types.js'

declare global {
  // Express's own extension point for `req` (the namespace is declared by @types/express).
  namespace Express {
    interface Request {
      /** The verified consent, set by a consent-guard middleware that accepted the request. */
      consent?: VerifiedConsent
      /** The call's correlation id, set by `correlation()` or the first consent-guard middleware. */
      correlationId?: string
    }
  }
}

export type { ConsentRequest, ExpressConsentRequirement, ConsentMiddleware, PathParams, ParamsOf, RouteOrParams } from './route-types.js'

/** One guard (one key cache, one one-time store) shared by many routes. */
export interface ExpressConsentGuard {
  /**
   * Compiles `requirement` now (a mistake throws at start-up) and returns the middleware that
   * checks it, sets `req.consent` and calls `next()`, or calls `next(err)` with a
   * `ConsentGuardError`. Give the route path (or a params type) as the generic to type the
   * requirement's `req.params`: `consent.require<'/income/:year/:personId'>({ ... })`.
   */
  require<Route extends RouteOrParams = string>(requirement: ExpressConsentRequirement<Route>): ConsentMiddleware
  /** Releases a one-time consent's "used" mark, for a handler that failed before any data left. */
  release(consent: VerifiedConsent): Promise<void>
  /**
   * Middleware that reads (or makes) the correlation id from the configured header, sets
   * `req.correlationId` and echoes it on the response. Mount it first (before pino-http, whose
   * `customProps` can then log it); guarded routes do the same on their own when it is missing.
   */
  correlation(): RequestHandler
  /** The core guard (options in force, key-set state, `ready()`, `readiness()`). */
  readonly guard: ConsentGuard
}

/**
 * Creates one guard for several routes, so they share one verifier and one key cache.
 *
 * @example
 * const consent = createConsentGuard({ maskinporten: 'prod' })
 * app.get('/income/:year/:personId', consent.require({ scope: 'example:income', resource: 'example-income',
 *   subject: (req) => req.params.personId }), handler)
 */
export function createConsentGuard(options: ConsentGuardOptions): ExpressConsentGuard {
  const guard = createCoreGuard(options)
  return {
    require: <Route extends RouteOrParams>(requirement: ExpressConsentRequirement<Route>) =>
      middlewareFor(guard, guard.compile(requirement as ExpressConsentRequirement, 'consent requirement')),
    release: (consent) => guard.release(consent),
    correlation: () => (req, res, next) => {
      correlate(guard, req, res)
      next()
    },
    guard,
  }
}

/**
 * Creates a guard and one middleware for `requirement`. Each call has its own key cache and
 * one-time store; for more than one route prefer {@link createConsentGuard}.
 *
 * @example
 * app.use('/income/:year/:personId', requireConsent({ scope: 'example:income', resource: 'example-income',
 *   subject: (req) => req.params.personId }, { maskinporten: 'prod' }))
 */
export function requireConsent<Route extends RouteOrParams = string>(
  requirement: ExpressConsentRequirement<Route>,
  options: ConsentGuardOptions,
): ConsentMiddleware {
  return createConsentGuard(options).require(requirement)
}

function middlewareFor(guard: ConsentGuard, compiled: CompiledRequirement<ConsentRequest>): ConsentMiddleware {
  const middleware = function consentGuardMiddleware(req: Request, res: Response, next: NextFunction): void {
    // Everything reaches `next(err)` explicitly: Express 4 does not forward rejected promises.
    let pending: Promise<VerifiedConsent>
    try {
      const correlationId = correlate(guard, req, res)
      const id = (req as { id?: unknown }).id
      // `originalUrl`: `url` loses the mount path under `app.use(path, ...)` and routers.
      pending = guard.check(
        {
          headers: headersFromNodeRequest(req),
          request: req as ConsentRequest,
          url: req.originalUrl ?? req.url,
          logger: requestLogger(req),
          ...((typeof id === 'string' || typeof id === 'number') && { requestId: String(id) }),
          correlationId,
        },
        compiled,
      )
    } catch (err) {
      next(err)
      return
    }
    pending.then(
      (consent) => {
        req.consent = consent
        res.set(GUARDED_RESPONSE_HEADERS)
        if (guard.disclosure !== undefined) wireDisclosure(guard.disclosure, consent, req, res)
        next()
      },
      (err: unknown) => next(err),
    )
  }
  rememberCompiled(middleware, guard, compiled)
  return middleware as ConsentMiddleware
}

/** Sets `req.correlationId` once (incoming header when safe, else a new id) and echoes it. */
function correlate(guard: ConsentGuard, req: Request, res: Response): string {
  if (req.correlationId === undefined) {
    req.correlationId = correlationIdFrom(req.headers[guard.options.correlationHeader])
    if (!res.headersSent) res.setHeader(guard.options.correlationHeader, req.correlationId)
  }
  return req.correlationId
}

/** The per-request logger of pino-http (`req.log`) when present; else the guard's `logger` option. */
function requestLogger(req: Request): AuditLogger | undefined {
  const log = (req as { log?: unknown }).log
  return typeof log === 'object' && log !== null && typeof (log as AuditLogger).info === 'function' ? (log as AuditLogger) : undefined
}

/** Options of {@link consentErrorHandler}. */
export interface ConsentErrorHandlerOptions {
  /**
   * Render every error, not only `ConsentGuardError`s: a 4xx error (e.g. Express's 400 for a bad
   * percent-escape) keeps its status, anything else becomes 500, each with the status text only,
   * never the error's message (which may quote the URL). Default false: other errors go on to
   * the next error handler.
   */
  readonly allErrors?: boolean
}

/**
 * Error middleware that renders a `ConsentGuardError` as RFC 9457 `application/problem+json`
 * with its status and headers (`WWW-Authenticate`, `Cache-Control: no-store`, `Retry-After`), a
 * `type` URI pointing at the code's section in the docs, and `req.correlationId`. Other errors
 * (unless `allErrors`), and errors after the response has started, go on to the next error
 * handler. Optional: without it Express's default handler already sends the right status and headers.
 *
 * @example
 * app.use(consentErrorHandler())
 */
export function consentErrorHandler(options: ConsentErrorHandlerOptions = {}): ErrorRequestHandler {
  return function consentGuardErrorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
    if ((!isConsentGuardError(err) && options.allErrors !== true) || res.headersSent) {
      next(err)
      return
    }
    const problem = problemFor(err, req.correlationId)
    // pino-http logs the error with the access-log line (its serializer keeps it safe).
    if (!isConsentGuardError(err)) (res as { err?: unknown }).err = err
    const body = JSON.stringify(problem.body)
    res.statusCode = problem.status
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value)
    res.setHeader('Content-Length', Buffer.byteLength(body))
    res.end(body)
  }
}

/**
 * The verified consent of a guarded request. Throws (a 500, a programming error) when no
 * consent-guard middleware ran before, so handlers get a non-optional type.
 */
export function getConsent(req: { readonly consent?: VerifiedConsent | undefined }): VerifiedConsent {
  if (req.consent === undefined) throw new Error('consent-guard: getConsent() called on a route without a consent-guard middleware')
  return req.consent
}
