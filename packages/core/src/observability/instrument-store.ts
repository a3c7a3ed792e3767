import type { ConsentUseStore, MarkUsedOptions } from '../one-time/store.js'
import { publishStoreEvent } from './diagnostics.js'

/**
 * Wraps a one-time store so each `markUsed` and `release` call is timed and published on the
 * store channel (key and TTL are never published). Any other member passes through unchanged,
 * bound to the store. Costs one `performance.now()` pair per call.
 */
export function instrumentStore<S extends ConsentUseStore>(store: S): S {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'markUsed') {
        // The options (the guard's AbortSignal) pass through: the store shares the guard's deadline.
        return async (key: string, ttlMs: number, options?: MarkUsedOptions): Promise<boolean> => {
          const started = performance.now()
          try {
            const fresh = await (options === undefined ? target.markUsed(key, ttlMs) : target.markUsed(key, ttlMs, options))
            publishStoreEvent({ operation: 'markUsed', durationMs: performance.now() - started, outcome: 'ok', fresh: fresh === true })
            return fresh
          } catch (err) {
            publishStoreEvent({ operation: 'markUsed', durationMs: performance.now() - started, outcome: 'failure' })
            throw err
          }
        }
      }
      if (prop === 'release') {
        return async (key: string): Promise<void> => {
          const started = performance.now()
          try {
            await target.release(key)
            publishStoreEvent({ operation: 'release', durationMs: performance.now() - started, outcome: 'ok' })
          } catch (err) {
            publishStoreEvent({ operation: 'release', durationMs: performance.now() - started, outcome: 'failure' })
            throw err
          }
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
