import { ConsentGuardError } from './errors.js'

/** The 503 codes of the dependencies the guard waits on per request. */
export type DependencyCode = 'store_unavailable' | 'consumer_check_unavailable'

/**
 * Bounds a call into a dependency (the one-time store, a `consumers` function): a throw, a
 * rejection or no answer within `ms` becomes the given 503, never a 500 or a hung request. The
 * call is started inside a promise so a synchronous throw counts as a failure too.
 * `onTimeout` runs when the bound, not the call, ended the wait.
 */
export async function withTimeout<T>(call: () => T | PromiseLike<T>, ms: number, code: DependencyCode, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.()
      reject(new Error('timeout'))
    }, ms)
  })
  try {
    return await Promise.race([Promise.resolve().then(call), timeout])
  } catch {
    throw new ConsentGuardError(code)
  } finally {
    clearTimeout(timer)
  }
}
