/**
 * Observability must never change a decision: an audit hook or logger that throws (or an async hook
 * that rejects) is reported, never propagated. Reports go through `process.emitWarning`, not the
 * logger, since the logger may be what failed; at most one per sink per `intervalMs`, so a broken
 * hook cannot flood the process's warnings. The report names the sink and the error's class only:
 * an error's message might quote the event.
 */
export interface ObserverIsolation {
  /** Runs `call`; a throw or a rejection is reported under `sink` (e.g. `onDecision`, `logger`). */
  run(sink: string, call: () => unknown): void
}

/** Code of the warning emitted when an observer fails. */
export const OBSERVER_FAILED_WARNING = 'CONSENT_GUARD_OBSERVER_FAILED'

/** Creates the isolation for one guard. `intervalMs`: minimum time between two reports of one sink. */
export function createObserverIsolation(intervalMs = 60_000): ObserverIsolation {
  const sinks = new Map<string, { reportedAt: number; suppressed: number }>()
  const report = (sink: string, err: unknown): void => {
    const now = Date.now()
    const seen = sinks.get(sink)
    if (seen !== undefined && now - seen.reportedAt < intervalMs) {
      seen.suppressed++
      return
    }
    const kind = err instanceof Error ? err.name : typeof err
    const more = seen !== undefined && seen.suppressed > 0 ? ` (${seen.suppressed} more failures since the last report)` : ''
    sinks.set(sink, { reportedAt: now, suppressed: 0 })
    process.emitWarning(`consent-guard: the ${sink} observer threw (${kind}); decisions are unaffected${more}`, {
      code: OBSERVER_FAILED_WARNING,
    })
  }
  return {
    run(sink, call) {
      try {
        const result = call()
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          ;(result as PromiseLike<unknown>).then(undefined, (err: unknown) => report(sink, err))
        }
      } catch (err) {
        report(sink, err)
      }
    },
  }
}
