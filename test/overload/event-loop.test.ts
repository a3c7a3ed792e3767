/**
 * Load shedding for a saturated CPU, over real HTTP on loopback, for the Fastify plugin and the
 * Express middleware (Express 5 and 4): while the event loop stalls for longer than
 * `overload.maxEventLoopDelayMs`, a token that needs a full verification is answered at once with
 * 503 `overloaded` and `Retry-After`; a cached token is still served; once the loop runs freely
 * again, the same token is accepted.
 */
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sleep, stallEventLoop, type EventLoopStall } from '../../packages/core/test/support.js'
import { send, type RequestSpec } from '../conformance/client.js'
import { SCOPE } from '../conformance/routes.js'
import { TARGETS } from '../conformance/targets.js'

let issuer: TestIssuer
let stall: EventLoopStall | undefined
beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(() => issuer.close())
afterEach(async () => {
  if (stall === undefined) return
  stall.stop()
  stall = undefined
  // Let the process-wide sampler see a free loop again before the next test.
  await sleep(200)
})

const income = (token: string): RequestSpec => ({
  path: `/income/2023/${TEST_IDENTITIES.personA}`,
  headers: [['authorization', `Bearer ${token}`]],
})
const incomeToken = () => issuer.consentToken({ scope: SCOPE, consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } } })

describe.each(TARGETS)('event-loop shedding: $name', (target) => {
  it('answers an uncached token 503 overloaded with Retry-After while the loop stalls, still serves a cached one, and recovers', async () => {
    const app = await target.start({
      maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
      overload: { maxEventLoopDelayMs: 50, retryAfterSeconds: 3 },
    })
    try {
      const cached = await incomeToken()
      // Verified in full once: the cache holds it now, and the sampler runs.
      expect((await send(app.baseUrl, income(cached))).status).toBe(200)
      const fresh = await incomeToken()

      stall = stallEventLoop(120)
      await stall.ready
      const shed = await send(app.baseUrl, income(fresh))
      expect(shed.status).toBe(503)
      expect(shed.headers['retry-after']).toBe('3')
      expect(shed.headers['cache-control']).toBe('no-store')
      expect(shed.headers['content-type']).toMatch(target.errorContentType)
      expect((shed.body as { code?: unknown }).code).toBe('overloaded')
      expect((await send(app.baseUrl, income(cached))).status).toBe(200)
      const handled = app.handled.length
      stall.stop()

      await sleep(250)
      expect((await send(app.baseUrl, income(fresh))).status).toBe(200)
      expect(app.handled).toHaveLength(handled + 1)
    } finally {
      await app.close()
    }
  })
})
