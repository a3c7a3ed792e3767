import { afterEach, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import { isConsentGuardError, type ConsentGuardError } from '@consent-guard/core'
import { LoopStallMonitor } from '../src/tokens/loop-stall.js'
import { VerificationGate, type VerificationLimits } from '../src/tokens/verification-gate.js'
import { createHarness, NOW, sleep, stallEventLoop, type EventLoopStall, type Harness } from './support.js'

// Uncached verifications hold a slot from the key lookup to the end of the signature check. With
// a slow key-set fetch (cold start under load) the slots fill up: a bounded number wait, for a
// bounded time; the rest are told at once to come back later.
let issuer: TestIssuer | undefined
let h: Harness | undefined
let stall: EventLoopStall | undefined
afterEach(async () => {
  if (stall !== undefined) {
    stall.stop()
    stall = undefined
    // Let the process-wide sampler see a free loop again before the next test.
    await sleep(200)
  }
  await h?.close()
  await issuer?.close()
})

const settle = async (p: Promise<unknown>): Promise<{ code: string; error?: ConsentGuardError; ms: number }> => {
  const start = performance.now()
  try {
    await p
    return { code: 'accepted', ms: performance.now() - start }
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    return { code: err.code, error: err, ms: performance.now() - start }
  }
}

describe('overload: bounded verifications in flight', () => {
  it('queues what fits, answers the rest 503 overloaded with Retry-After, and serves again afterwards', async () => {
    issuer = await createTestIssuer({ now: NOW })
    h = await createHarness({ overload: { maxInFlight: 1, maxQueued: 1, queueTimeoutMs: 100, retryAfterSeconds: 2 } }, issuer)
    issuer.server.setBehaviour({ delayMs: 500 })
    const [t1, t2, t3] = [await h.token(), await h.token(), await h.token()]
    const order: string[] = []
    const track = (name: string, p: Promise<unknown>) => settle(p).finally(() => order.push(name))
    const first = track('first', h.run(h.bearer(t1)))
    const queued = track('queued', h.run(h.bearer(t2)))
    const refused = track('refused', h.run(h.bearer(t3)))
    // A malformed token never waits for a slot.
    const malformed = settle(h.run(h.bearer('a.b.c')))
    const [r1, r2, r3, r4] = await Promise.all([first, queued, refused, malformed])
    expect(r1.code).toBe('accepted')
    expect(r2.code).toBe('overloaded')
    // The waiter gave up after its queue timeout, before the key set answered; the third never waited.
    expect(r2.ms).toBeGreaterThanOrEqual(90)
    expect(order.indexOf('queued')).toBeLessThan(order.indexOf('first'))
    expect(r3.code).toBe('overloaded')
    expect(order[0]).toBe('refused')
    expect(r3.error?.statusCode).toBe(503)
    expect(r3.error?.headers).toEqual({ 'Cache-Control': 'no-store', 'Retry-After': '2' })
    expect(r4.code).toBe('token_malformed')
    expect(h.events.filter((e) => e.code === 'overloaded')).toHaveLength(2)
    // The slot was released: the key set is warm now and every token verifies.
    issuer.server.setBehaviour('ok')
    expect((await settle(h.run(h.bearer(t3)))).code).toBe('accepted')
    expect((await settle(h.run(h.bearer(t2)))).code).toBe('accepted')
  })

  it('hands a freed slot to the oldest waiter', async () => {
    issuer = await createTestIssuer({ now: NOW })
    h = await createHarness({ overload: { maxInFlight: 1, maxQueued: 5, queueTimeoutMs: 5000 }, tokenCache: false }, issuer)
    issuer.server.setBehaviour({ delayMs: 200 })
    const tokens = await Promise.all([h.token(), h.token(), h.token()])
    const results = await Promise.all(tokens.map((t) => settle(h!.run(h!.bearer(t)))))
    expect(results.map((r) => r.code)).toEqual(['accepted', 'accepted', 'accepted'])
  })

  it('logs overloaded at warn, like the other dependency failures', async () => {
    issuer = await createTestIssuer({ now: NOW })
    const lines: { level: string; code?: string }[] = []
    const logger = {
      info: (o: object) => void lines.push({ level: 'info', ...(o as { code?: string }) }),
      warn: (o: object) => void lines.push({ level: 'warn', ...(o as { code?: string }) }),
    }
    h = await createHarness({ overload: { maxInFlight: 1, maxQueued: 0 }, logger, onDecision: undefined }, issuer)
    issuer.server.setBehaviour({ delayMs: 200 })
    const [a, b] = [await h.token(), await h.token()]
    await Promise.all([settle(h.run(h.bearer(a))), settle(h.run(h.bearer(b)))])
    expect(lines.find((l) => l.code === 'overloaded')?.level).toBe('warn')
  })
})

// Signature checks are synchronous: under CPU saturation requests wait in socket buffers and the
// kernel's accept queue while every loop turn runs long, and the slots above never fill up. While
// the loop stalls for longer than maxEventLoopDelayMs, uncached verifications are refused at once.
describe('overload: event-loop stalls (maxEventLoopDelayMs)', () => {
  it('refuses uncached verifications before any key lookup while the loop stalls, serves cached and malformed tokens as before, and verifies again once it runs freely', async () => {
    issuer = await createTestIssuer({ now: NOW })
    h = await createHarness({ overload: { maxEventLoopDelayMs: 50, retryAfterSeconds: 4 } }, issuer)
    const cached = await h.token()
    // The first uncached verification starts the process-wide sampler (and warms the key set).
    expect(await h.outcome(h.bearer(cached))).toBe('accepted')
    const fresh = await h.token()
    // A second guard whose key set was never fetched: a refusal must come before the key lookup.
    const coldIssuer = await createTestIssuer({ now: NOW })
    const cold = await createHarness({ overload: { maxEventLoopDelayMs: 50 } }, coldIssuer)
    try {
      stall = stallEventLoop(150)
      await stall.ready
      const shed = await settle(h.run(h.bearer(fresh)))
      expect(shed.code).toBe('overloaded')
      expect(shed.error?.statusCode).toBe(503)
      expect(shed.error?.headers).toEqual({ 'Cache-Control': 'no-store', 'Retry-After': '4' })
      expect(await cold.outcome(cold.bearer(await cold.token()))).toBe('overloaded')
      expect(coldIssuer.server.requests).toBe(0)
      // Cache hits and malformed tokens never reach the check.
      expect(await h.outcome(h.bearer(cached))).toBe('accepted')
      expect(await h.outcome(h.bearer('a.b.c'))).toBe('token_malformed')
      stall.stop()
      // A few sampling windows of a free loop, and the same token verifies.
      await sleep(250)
      expect(await h.outcome(h.bearer(fresh))).toBe('accepted')
      expect(await cold.outcome(cold.bearer(await cold.token()))).toBe('accepted')
      expect(h.events.filter((e) => e.code === 'overloaded')).toHaveLength(1)
    } finally {
      await cold.close()
      await coldIssuer.close()
    }
  })

  it.each([false, 0] as const)('maxEventLoopDelayMs: %j never refuses for a stalled loop', async (off) => {
    issuer = await createTestIssuer({ now: NOW })
    h = await createHarness({ overload: { maxEventLoopDelayMs: off }, tokenCache: false }, issuer)
    const on = await createHarness({ overload: { maxEventLoopDelayMs: 50 }, tokenCache: false }, issuer)
    const token = await h.token()
    expect(await h.outcome(h.bearer(token))).toBe('accepted')
    expect(await on.outcome(on.bearer(token))).toBe('accepted')
    stall = stallEventLoop(150)
    await stall.ready
    // The same stall that makes a guard with a bound refuse.
    expect(await on.outcome(on.bearer(token))).toBe('overloaded')
    expect(await h.outcome(h.bearer(token))).toBe('accepted')
  })
})

describe('the event-loop stall sampler', () => {
  it('reads a stall of the loop, never keeps the process alive, and stops sampling when nobody asks', async () => {
    const monitor = new LoopStallMonitor()
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    monitor.start()
    expect(monitor.sampling).toBe(true)
    expect(timers()).toBe(before)
    monitor.asked = true
    stall = stallEventLoop(150)
    await stall.ready
    stall.stop()
    expect(monitor.stallMs).toBeGreaterThan(80)
    await sleep(250)
    expect(monitor.stallMs).toBeLessThan(80)
    // No verification asks any more: after a while the sampler stops by itself and reads 0.
    for (let i = 0; i < 1_000 && monitor.sampling; i++) monitor.sample()
    expect(monitor.sampling).toBe(false)
    expect(monitor.stallMs).toBe(0)
  })
})

// Node accepts one new connection per event-loop turn: a turn that verifies hundreds of pipelined
// requests in a row leaves new connections in the kernel's accept queue for seconds. The gate lets
// at most maxVerificationsPerTurn verifications run per turn; later ones wait, in order, for the next.
describe('overload: verifications per event-loop turn (maxVerificationsPerTurn)', () => {
  const limits = (extra: Partial<VerificationLimits> = {}): VerificationLimits => ({
    maxInFlight: 100,
    maxQueued: 100,
    queueTimeoutMs: 1000,
    retryAfterSeconds: 3,
    maxEventLoopDelayMs: 0,
    maxVerificationsPerTurn: 2,
    ...extra,
  })
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

  it('admits the first ones at once and the rest in later turns, oldest first', async () => {
    const gate = new VerificationGate(limits())
    const admitted: string[] = []
    const take = (name: string) => {
      const waiting = gate.acquire()
      if (waiting === undefined) admitted.push(name)
      else void waiting.then(() => admitted.push(name))
    }
    for (const name of ['a', 'b', 'c', 'd', 'e']) take(name)
    expect(admitted).toEqual(['a', 'b'])
    expect(gate.load).toEqual({ inFlight: 2, queued: 3 })
    await nextTurn()
    expect(admitted).toEqual(['a', 'b', 'c', 'd'])
    // A newcomer waits behind the one still deferred, even though this turn has room in principle.
    take('f')
    await nextTurn()
    expect(admitted).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    expect(gate.load).toEqual({ inFlight: 6, queued: 0 })
  })

  it('counts deferred verifications against maxQueued: beyond it, 503 overloaded with Retry-After at once', () => {
    const gate = new VerificationGate(limits({ maxVerificationsPerTurn: 1, maxQueued: 2 }))
    expect(gate.acquire()).toBeUndefined()
    const deferred = [gate.acquire(), gate.acquire()]
    expect(deferred.every((p) => p instanceof Promise)).toBe(true)
    let refused: unknown
    try {
      void gate.acquire()
    } catch (err) {
      refused = err
    }
    expect(refused).toMatchObject({ code: 'overloaded', statusCode: 503, headers: { 'Retry-After': '3' } })
  })

  it('answers a deferred verification that gets no slot within queueTimeoutMs with 503 overloaded', async () => {
    const gate = new VerificationGate(limits({ maxVerificationsPerTurn: 1, maxInFlight: 1, queueTimeoutMs: 60 }))
    expect(gate.acquire()).toBeUndefined()
    const started = performance.now()
    const outcome = await (gate.acquire() as Promise<void>).then(
      () => 'admitted',
      (err: ConsentGuardError) => err.code,
    )
    expect(outcome).toBe('overloaded')
    expect(performance.now() - started).toBeGreaterThanOrEqual(50)
    expect(gate.load).toEqual({ inFlight: 1, queued: 0 })
    // The slot is handed on as before once it is released.
    gate.release()
    expect(gate.acquire()).toBeUndefined()
  })

  it('maxVerificationsPerTurn 0 runs every verification in the turn it arrives in', () => {
    const gate = new VerificationGate(limits({ maxVerificationsPerTurn: 0 }))
    for (let i = 0; i < 50; i++) expect(gate.acquire()).toBeUndefined()
  })

  it('through the guard: more uncached checks than fit in one turn all pass, spread over turns', async () => {
    issuer = await createTestIssuer({ now: NOW })
    const turnsFor = async (maxVerificationsPerTurn: number): Promise<{ codes: string[]; turns: number }> => {
      h = await createHarness({ tokenCache: false, overload: { maxVerificationsPerTurn } }, issuer)
      const token = await h.token()
      await h.run(h.bearer(token)) // warms the key set
      let turns = 0
      let counting = true
      const count = (): void => {
        turns++
        if (counting) setImmediate(count)
      }
      setImmediate(count)
      const harness = h
      const results = await Promise.all(Array.from({ length: 8 }, () => settle(harness.run(harness.bearer(token)))))
      counting = false
      await h.close()
      h = undefined
      return { codes: results.map((r) => r.code), turns }
    }
    const spread = await turnsFor(2)
    expect(spread.codes).toEqual(Array(8).fill('accepted'))
    // Two at once, then two per later turn: three more turns.
    expect(spread.turns).toBeGreaterThanOrEqual(3)
    const unlimited = await turnsFor(0)
    expect(unlimited.codes).toEqual(Array(8).fill('accepted'))
    expect(unlimited.turns).toBeLessThan(spread.turns)
  })
})
