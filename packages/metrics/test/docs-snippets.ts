// The metrics block of docs/operations.md; compiled by `pnpm typecheck`, kept identical by
// test/docs/snippets.test.ts.
import type { FastifyInstance } from 'fastify'
import type {} from '@consent-guard/fastify'

declare const app: FastifyInstance

// #region operations-metrics
import { createConsentGuardMetrics } from '@consent-guard/metrics'
const metrics = createConsentGuardMetrics({ guard: app.consentGuard })
app.get('/metrics', { config: { consent: false } }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()))
// #endregion operations-metrics
