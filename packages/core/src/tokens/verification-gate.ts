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
  /**
   * Verifications run in one event-loop turn; later ones wait for the next turns, in order. 0 lets
   * every verification run in the turn its request arrived in.
   */
  readonly maxVerificationsPerTurn: number
}

interface Waiter {
  resolve(): void
  /** Ends the wait with 503 `overloaded` (queue timeout). */
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
 * then wait in socket buffers and in the kernel's accept queue, not here. Two limits reach them:
 *
 * - At most `maxVerificationsPerTurn` verifications run in one event-loop turn; later ones wait in
 *   order for the next turns (the same `maxQueued` and `queueTimeoutMs` bound them). Node accepts
 *   one new connection per loop turn, so a turn that verifies hundreds of pipelined requests in a
 *   row leaves new connections waiting in the kernel for seconds; short turns accept them at once.
 * - While the event loop stalls for longer than `maxEventLoopDelayMs` (the process-wide
 *   `loopStall` sampler), every verification is refused at once, before any crypto.
 *
 * Cache hits and malformed tokens never pass through here.
 */
export class VerificationGate {
  readonly #limits: VerificationLimits
  readonly #maxStallMs: number
  readonly #perTurn: number
  /** Waiting for an in-flight slot. */
  readonly #queue: Waiter[] = []
  /** Waiting for a later loop turn. */
  readonly #deferred: Waiter[] = []
  #inFlight = 0
  /** Verifications admitted in the current loop turn, and whether its end is scheduled. */
  #thisTurn = 0
  #turnEndScheduled = false
  readonly #endTurn = (): void => this.#onTurnEnd()

  constructor(limits: VerificationLimits) {
    this.#limits = limits
    this.#maxStallMs = limits.maxEventLoopDelayMs
    this.#perTurn = limits.maxVerificationsPerTurn
  }

  /**
   * Takes a slot: undefined when one was free in this loop turn (no promise on the common path),
   * else a promise. Throws `overloaded` when the event loop stalls too long or the queues are full.
   */
  acquire(): Promise<void> | undefined {
    const maxStallMs = this.#maxStallMs
    if (maxStallMs !== 0) {
      // A few field reads and one store per verification, no allocation; the first one starts the sampler.
      if (loopStall.stallMs > maxStallMs) throw this.#overloaded()
      loopStall.asked = true
      if (!loopStall.sampling) loopStall.start()
    }
    if (this.#perTurn !== 0) {
      // Earlier arrivals first: while any wait for a later turn, so does this one.
      if (this.#thisTurn >= this.#perTurn || this.#deferred.length > 0) return this.#wait(this.#deferred)
      this.#countTurn()
    }
    if (this.#inFlight < this.#limits.maxInFlight) {
      this.#inFlight++
      return undefined
    }
    return this.#wait(this.#queue)
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

  /** Verifications holding a slot, and waiting for one or for a later loop turn (tests, metrics). */
  get load(): { readonly inFlight: number; readonly queued: number } {
    return { inFlight: this.#inFlight, queued: this.#queue.length + this.#deferred.length }
  }

  #wait(queue: Waiter[]): Promise<void> {
    if (this.#queue.length + this.#deferred.length >= this.#limits.maxQueued) throw this.#overloaded()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          // It may have moved from the deferred queue to the slot queue meanwhile.
          for (const q of [this.#deferred, this.#queue]) {
            const i = q.indexOf(waiter)
            if (i !== -1) q.splice(i, 1)
          }
          reject(this.#overloaded())
        }, this.#limits.queueTimeoutMs),
      }
      queue.push(waiter)
    })
  }

  /** Counts one verification in this loop turn; the turn's end (a `setImmediate`) resets the count. */
  #countTurn(): void {
    this.#thisTurn++
    if (!this.#turnEndScheduled) {
      this.#turnEndScheduled = true
      setImmediate(this.#endTurn)
    }
  }

  /** A new turn: admit the oldest deferred verifications, up to the per-turn limit. */
  #onTurnEnd(): void {
    this.#turnEndScheduled = false
    this.#thisTurn = 0
    while (this.#deferred.length > 0 && this.#thisTurn < this.#perTurn) {
      const waiter = this.#deferred.shift() as Waiter
      this.#countTurn()
      if (this.#inFlight < this.#limits.maxInFlight) {
        this.#inFlight++
        clearTimeout(waiter.timer)
        waiter.resolve()
      } else {
        // Its queue timeout keeps running: the wait counts from arrival.
        this.#queue.push(waiter)
      }
    }
  }

  #overloaded(): ConsentGuardError {
    return new ConsentGuardError('overloaded', { retryAfter: this.#limits.retryAfterSeconds })
  }
}
