// Code blocks of docs/operations.md that need only the workspace's packages (see test/docs/snippets.test.ts).
import type { FastifyInstance } from 'fastify'

// #region fastify-logging
import Fastify from 'fastify'
import consentGuard, { loggingPreset } from '@consent-guard/fastify'

const app = Fastify({ logger: loggingPreset({ secretHeaders: ['AltinnSamtykke'] }) })
await app.register(consentGuard, { maskinporten: 'prod', problemDetails: true })
// #endregion fastify-logging

// #region otel
import { traceConsentChecks } from '@consent-guard/core/otel'
const stop = traceConsentChecks() // the global tracer provider your OpenTelemetry SDK registered
// #endregion otel

export function ready(app: FastifyInstance) {
  // #region ready
app.get('/ready', { config: { consent: false } }, async (_request, reply) => {
  await app.consentGuard.ready().catch(() => undefined)
  const readiness = app.consentGuard.readiness()
  return reply.code(readiness.ready ? 200 : 503).header('cache-control', 'no-store').send(readiness)
})
  // #endregion ready
}
export { app, stop }
