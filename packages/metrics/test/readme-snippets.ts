// The block of packages/metrics/README.md; compiled by `pnpm typecheck`, kept identical by
// test/docs/snippets.test.ts.
import type { FastifyInstance } from 'fastify'
import type {} from '@consent-guard/fastify'

declare const app: FastifyInstance

// #region readme
import { createConsentGuardMetrics } from '@consent-guard/metrics'

const metrics = createConsentGuardMetrics({ guard: app.consentGuard }) // Express: consent.guard
app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()))
// #endregion readme
