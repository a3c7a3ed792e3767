import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** Resolution of the event-loop delay histogram (Node's default), ms. */
const RESOLUTION_MS = 10
/** Each window's longest stall decides the next window, ms. */
const WINDOW_MS = 50
/** Sampling stops after this many windows without an uncached verification asking. */
const IDLE_WINDOWS = 100

/**
 * How long the event loop has been stalling lately: one process-wide sampler, shared by every
 * guard with `overload.maxEventLoopDelayMs`. Node's event-loop delay histogram (a native timer,
 * no JavaScript per tick) records how late each loop turn came back to its timers; every
 * `WINDOW_MS` a JavaScript timer reads the longest of them, minus the resolution, into `stallMs`
 * and starts a new window. Under CPU saturation every loop turn is one long stretch of request
 * work, so `stallMs` is about the time a request arriving now waits before the server reads it.
 *
 * Started by the first uncached verification that asks (nothing runs for a guard that never
 * verifies), stopped again after `IDLE_WINDOWS` windows nobody asked; both timers are `unref()`ed,
 * so the sampler never keeps a process (or a test worker) alive.
 */
export class LoopStallMonitor {
  /** Longest event-loop stall of the last window, ms; 0 while not sampling. Read per verification. */
  stallMs = 0
  /** Set by every verification that reads `stallMs`; cleared by the sampler. */
  asked = false
  #histogram: IntervalHistogram | undefined
  #timer: NodeJS.Timeout | undefined
  #idleWindows = 0
  #lastSample = 0

  /** Whether the sampler runs. */
  get sampling(): boolean {
    return this.#timer !== undefined
  }

  /** Starts sampling (idempotent). The first window reads 0. */
  start(): void {
    if (this.#timer !== undefined) return
    const histogram = (this.#histogram ??= monitorEventLoopDelay({ resolution: RESOLUTION_MS }))
    histogram.reset()
    histogram.enable()
    this.#idleWindows = 0
    this.#lastSample = performance.now()
    this.#timer = setInterval(sample, WINDOW_MS, this)
    this.#timer.unref()
  }

  /** Stops sampling; `stallMs` reads 0 until the next start. */
  stop(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#histogram?.disable()
    this.stallMs = 0
  }

  /**
   * Ends a window: the longest loop turn the histogram saw (ns, including the resolution), or how
   * late this timer itself came, whichever is longer. A stall that ends in the same loop turn as
   * the window may reach this timer before the histogram's: its own lateness still shows it.
   */
  sample(): void {
    const histogram = this.#histogram
    if (histogram === undefined) return
    const now = performance.now()
    const late = now - this.#lastSample - WINDOW_MS
    this.#lastSample = now
    const longest = histogram.count === 0 ? 0 : histogram.max / 1e6 - RESOLUTION_MS
    this.stallMs = Math.max(0, longest, late)
    histogram.reset()
    if (this.asked) {
      this.asked = false
      this.#idleWindows = 0
    } else if (++this.#idleWindows >= IDLE_WINDOWS) this.stop()
  }
}

function sample(monitor: LoopStallMonitor): void {
  monitor.sample()
}

/** The process's one monitor. */
export const loopStall = new LoopStallMonitor()
