import type { ConsentGuard, DisclosureFacts } from '@consent-guard/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * Wires `onDisclosure` into a Fastify scope: every answer of a guarded request (`request.consent`
 * set, by `config.consent` or a `requireConsent()` hook) is reported to the core, which records
 * it when it carried data (2xx). Fail-closed: `onSend`, before the payload leaves; a failed
 * record throws `disclosure_log_unavailable` and Fastify's error handler answers 503 in place of
 * the data. Fire-and-forget: `onResponse`, after the answer was sent.
 */
export function wireDisclosures(fastify: FastifyInstance, guard: ConsentGuard): void {
  const recorder = guard.disclosure
  if (recorder === undefined) return
  if (recorder.mode === 'fail-closed') {
    const recorded = new WeakSet<FastifyRequest>()
    fastify.addHook('onSend', async (request, reply, payload) => {
      // The 503 of a failed record passes through here again: not 2xx, so nothing is due.
      if (request.consent === null) return payload
      recorded.add(request)
      try {
        await recorder.record(request.consent, facts(request, reply.statusCode))
      } catch (err) {
        // Fastify's error reply keeps the handler's headers, which may describe the data
        // (Content-Disposition, ETag, custom ones): none survive. The error brings its own.
        for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
        throw err
      }
      return payload
    })
    // An answer written past onSend (`reply.hijack()`, `reply.raw`) left unrecorded: record it
    // now, late rather than never.
    fastify.addHook('onResponse', async (request, reply) => {
      if (request.consent !== null && !recorded.has(request)) {
        await recorder.record(request.consent, { ...facts(request, reply.statusCode), sent: true })
      }
    })
  } else {
    fastify.addHook('onResponse', async (request, reply) => {
      if (request.consent !== null) await recorder.record(request.consent, facts(request, reply.statusCode))
    })
  }
}

function facts(request: FastifyRequest, status: number): DisclosureFacts {
  return {
    method: request.method,
    route: request.routeOptions.url ?? '',
    status,
    correlationId: correlationOf(request),
    logger: request.log,
  }
}

/** The call's correlation id (`request.correlationId`, when the adapter sets one), else Fastify's request id. */
function correlationOf(request: FastifyRequest): string {
  const id = (request as { correlationId?: unknown }).correlationId
  return typeof id === 'string' && id !== '' ? id : String(request.id)
}
