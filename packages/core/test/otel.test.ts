import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { traceConsentChecks } from '@consent-guard/core/otel'
import { createHarness, FNR_A, FNR_B } from './support.js'

describe('OpenTelemetry recipe', () => {
  it('exports one span per check with decision, code and status; none holds personal data or the token', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const tracer = provider.getTracer('test')
    const contextManager = new AsyncLocalStorageContextManager().enable()
    context.setGlobalContextManager(contextManager)
    const stop = traceConsentChecks({ tracer })
    const h = await createHarness()
    try {
      const token = await h.token()
      const parent = tracer.startSpan('GET /income')
      await context.with(trace.setSpan(context.active(), parent), async () => {
        await h.run(h.bearer(token))
        await h.run(h.bearer(token), { personId: FNR_B }).catch(() => undefined)
      })
      parent.end()
      const spans = exporter.getFinishedSpans().filter((s) => s.name === 'consent_guard.check')
      expect(spans).toHaveLength(2)
      expect(spans[0]?.attributes).toEqual({
        'consent_guard.resource': 'example-income',
        'consent_guard.mode': 'single-token',
        'consent_guard.one_time': false,
        'consent_guard.decision': 'accepted',
        'http.response.status_code': 200,
      })
      expect(spans[1]?.attributes).toMatchObject({ 'consent_guard.decision': 'rejected', 'consent_guard.code': 'consent_subject_mismatch' })
      expect(spans[1]?.status.code).toBe(0) // a refusal is not an error
      // Children of the active (HTTP) span.
      for (const span of spans) expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
      const dump = JSON.stringify(spans.map((s) => [s.attributes, s.events, s.status]))
      for (const secret of [FNR_A, FNR_B, ...token.split('.')]) expect(dump).not.toContain(secret)
      stop()
      await h.run(h.bearer(token))
      expect(exporter.getFinishedSpans().filter((s) => s.name === 'consent_guard.check')).toHaveLength(2)
    } finally {
      stop()
      await h.close()
      await provider.shutdown()
      context.disable()
    }
  })
})
