import { correlationIdFrom, DEFAULT_CORRELATION_HEADER, isConsentGuardError, problemFor, type ConsentGuard } from '@consent-guard/core'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /** The call's correlation id: the incoming correlation header when safe, else a new UUID. */
    correlationId: string
  }
}

/**
 * Reads (or makes) the correlation id of each request, echoes it on the response, and binds it
 * to the request's logger so every line of the request (the access log's included) carries it.
 */
export function addCorrelation(fastify: FastifyInstance, guard: ConsentGuard): void {
  const header = guard.options.correlationHeader
  fastify.decorateRequest('correlationId', '')
  fastify.addHook('onRequest', (request, reply, done) => {
    const id = correlationIdFrom(request.headers[header])
    request.correlationId = id
    reply.header(header, id)
    const log = request.log.child({ correlationId: id })
    request.log = log
    reply.log = log
    done()
  })
}

/**
 * Fastify error handler answering RFC 9457 `application/problem+json`: a `ConsentGuardError`
 * with its status, headers, code, a `type` URI pointing at the code's section in the docs and
 * the correlation id; any other error as its 4xx status (or 500) with the status text only,
 * never its message (which may quote the URL). Rejections are already logged once by the guard's
 * audit event, so they are not logged again; other 4xx are logged at info, 5xx at error.
 *
 * @example
 * fastify.setErrorHandler(consentProblemHandler())
 */
export function consentProblemHandler(): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return function consentGuardProblemHandler(error, request, reply) {
    const correlationId = typeof request.correlationId === 'string' && request.correlationId !== '' ? request.correlationId : undefined
    const problem = problemFor(error, correlationId)
    if (!isConsentGuardError(error)) {
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
      else request.log.info({ err: error, statusCode: problem.status }, 'request refused')
    }
    return reply.code(problem.status).headers(problem.headers).send(problem.body)
  }
}

/**
 * For Fastify's `frameworkErrors` option: errors Fastify raises before any hook runs (a bad
 * percent-escape in the URL, `FST_ERR_BAD_URL`) are answered as problem+json with the status
 * only. Fastify's own answer quotes the whole URL, fødselsnummer and any token in it included.
 * `correlationHeader` must match the plugin's (default `X-Correlation-ID`).
 *
 * @example
 * const app = Fastify({ logger: loggingPreset(), frameworkErrors: consentFrameworkErrors() })
 */
export function consentFrameworkErrors(
  options: { readonly correlationHeader?: string } = {},
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  const header = (options.correlationHeader ?? DEFAULT_CORRELATION_HEADER).toLowerCase()
  return function consentGuardFrameworkErrors(error, request, reply) {
    const correlationId = correlationIdFrom(request.headers[header])
    const problem = problemFor(error, correlationId)
    request.log.info({ err: { type: error.name, code: error.code, statusCode: problem.status } }, 'request refused')
    void reply.code(problem.status).headers(problem.headers).header(header, correlationId).send(problem.body)
  }
}
