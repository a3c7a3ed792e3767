import { afterEach, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import { isConsentGuardError, type ConsentGuardError } from '@consent-guard/core'
import { createHarness, NOW, type Harness } from './support.js'

// Uncached verifications hold a slot from the key lookup to the end of the signature check. With
// a slow key-set fetch (cold start under load) the slots fill up: a bounded number wait, for a
// bounded time; the rest are told at once to come back later.
let issuer: TestIssuer | undefined
let h: Harness | undefined
afterEach(async () => {
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
