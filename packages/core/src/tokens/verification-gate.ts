import { ConsentGuardError } from '../errors.js'
import { loopStall } from './loop-stall.js'

/** Limits of the verifications one guard runs at once (resolved `overload` option). */
export interface VerificationLimits {
  /** Verifications in flight (from asking the key set for the key to the end of the signature check). */
  readonly maxInFlight: number
  /** Verifications allowed to wait for a slot; more are answered 503 `overloaded` at once. */
  readonly maxQueued: number
  /** A waiting verification that gets no slot within this many ms is answered 503 `overloaded`. */
  readonly queueTimeoutMs: number
  /** Seconds sent in `Retry-After` with `overloaded`. */
  readonly retryAfterSeconds: number
  /**
   * While the event loop's longest recent stall exceeds this many ms, every verification is
   * answered 503 `overloaded` at once, before any crypto; 0 turns the check off.
   */
  readonly maxEventLoopDelayMs: number
}

interface Waiter {
  resolve(): void
  timer: NodeJS.Timeout
}

/**
 * Admission control for uncached verifications. A verification holds a slot while it waits for
 * the key set (a refetch under load can take seconds) and checks the signature; when every slot is
 * taken it waits in a bounded FIFO queue for at most `queueTimeoutMs`. What cannot get a slot in
 * time is answered at once with 503 `overloaded` and `Retry-After`, instead of piling up
 * verifications whose clients have given up: throughput holds and latency stays bounded.
 *
 * The signature check itself is synchronous, so CPU saturation never fills the slots: requests
 * then wait in socket buffers and in the kernel's accept queue, not here. For that, while the
 * event loop stalls for longer than `maxEventLoopDelayMs` (the process-wide `loopStall` sampler),
 * every verification is refused at once, before any crypto, and the loop turns get short again.
 * Cache hits and malformed tokens never pass through here.
 */
export class VerificationGate {
  readonly #limits: VerificationLimits
  readonly #maxStallMs: number
  readonly #queue: Waiter[] = []
  #inFlight = 0

  constructor(limits: VerificationLimits) {
    this.#limits = limits
    this.#maxStallMs = limits.maxEventLoopDelayMs
  }

  /**
   * Takes a slot: undefined when one was free (no promise on the common path), else a promise.
   * Throws `overloaded` when the event loop stalls too long or the queue is full.
   */
  acquire(): Promise<void> | undefined {
    const maxStallMs = this.#maxStallMs
    if (maxStallMs !== 0) {
      // A few field reads and one store per verification, no allocation; the first one starts the sampler.
      if (loopStall.stallMs > maxStallMs) throw this.#overloaded()
      loopStall.asked = true
      if (!loopStall.sampling) loopStall.start()
    }
    if (this.#inFlight < this.#limits.maxInFlight) {
      this.#inFlight++
      return undefined
    }
    if (this.#queue.length >= this.#limits.maxQueued) throw this.#overloaded()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(waiter)
          if (i !== -1) this.#queue.splice(i, 1)
          reject(this.#overloaded())
        }, this.#limits.queueTimeoutMs),
      }
      this.#queue.push(waiter)
    })
  }

  /** Frees a slot, handing it to the oldest waiter if any. */
  release(): void {
    const next = this.#queue.shift()
    if (next === undefined) {
      this.#inFlight--
      return
    }
    clearTimeout(next.timer)
    next.resolve()
  }

  /** Verifications holding a slot, and waiting for one (tests, metrics). */
  get load(): { readonly inFlight: number; readonly queued: number } {
    return { inFlight: this.#inFlight, queued: this.#queue.length }
  }

  #overloaded(): ConsentGuardError {
    return new ConsentGuardError('overloaded', { retryAfter: this.#limits.retryAfterSeconds })
  }
}
