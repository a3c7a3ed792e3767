/**
 * `@consent-guard/metrics`: Prometheus metrics for consent-guard, built with prom-client from the
 * guard's `node:diagnostics_channel` events. Core does not depend on it (nor on prom-client).
 *
 * ```ts
 * const metrics = createConsentGuardMetrics({ guard })
 * app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()))
 * ```
 * @packageDocumentation
 */
export { createConsentGuardMetrics, METRIC_NAMES, type ConsentGuardMetrics, type ConsentGuardMetricsOptions } from './metrics.js'
