/**
 * `@consent-guard/core/otel`: an OpenTelemetry span per consent check, from the check tracing
 * channel. Needs `@opentelemetry/api` (an optional peer dependency: the rest of core never loads it).
 *
 * ```ts
 * import { traceConsentChecks } from '@consent-guard/core/otel'
 * const stop = traceConsentChecks() // uses the global tracer provider your SDK registered
 * ```
 * @packageDocumentation
 */
import dc from 'node:diagnostics_channel'
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import { CHANNELS, type CheckTraceContext } from './observability/diagnostics.js'

/** Options of {@link traceConsentChecks}. */
export interface TraceConsentChecksOptions {
  /** Tracer to use. Default: `trace.getTracer('@consent-guard/core')` from the global provider. */
  readonly tracer?: Tracer
  /** Span name. Default `consent_guard.check`. */
  readonly spanName?: string
}

/**
 * Starts a span (`consent_guard.check`, kind internal, child of the active span such as the HTTP
 * server span) for every check and ends it with the decision. Attributes:
 * `consent_guard.resource`, `consent_guard.mode`, `consent_guard.one_time`,
 * `consent_guard.decision`, `consent_guard.code`, `http.response.status_code`. No personal data,
 * no consent id, no token. Status `ERROR` only for 503 answers and errors thrown by the route's
 * own functions: a refusal (4xx) is the guard working. Returns a function that unsubscribes.
 */
export function traceConsentChecks(options: TraceConsentChecksOptions = {}): () => void {
  const tracer = options.tracer ?? trace.getTracer('@consent-guard/core')
  const name = options.spanName ?? 'consent_guard.check'
  const spans = new WeakMap<object, Span>()
  const channel = dc.tracingChannel<CheckTraceContext, CheckTraceContext>(CHANNELS.check)
  const handlers = {
    start(context: CheckTraceContext) {
      spans.set(
        context,
        tracer.startSpan(name, {
          kind: SpanKind.INTERNAL,
          attributes: {
            'consent_guard.resource': context.resource,
            'consent_guard.mode': context.mode,
            'consent_guard.one_time': context.oneTime,
          },
        }),
      )
    },
    end() {},
    asyncStart() {},
    error() {},
    asyncEnd(context: CheckTraceContext) {
      const span = spans.get(context)
      if (span === undefined) return
      spans.delete(context)
      span.setAttribute('consent_guard.decision', context.decision ?? 'error')
      if (context.code !== undefined) span.setAttribute('consent_guard.code', context.code)
      if (context.status !== undefined) span.setAttribute('http.response.status_code', context.status)
      if (context.decision === 'error' || context.status === 503) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: context.code ?? 'route function failed' })
      }
      span.end()
    },
  }
  channel.subscribe(handlers)
  return () => channel.unsubscribe(handlers)
}
