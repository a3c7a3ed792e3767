/**
 * One behaviour, every adapter: each row of {@link SCENARIOS} runs against the Fastify plugin and
 * the Express middleware (Express 5 and Express 4) over real HTTP on loopback.
 */
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import type { ConsentGuardOptions } from '@consent-guard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send, type RequestSpec } from './client.js'
import { REALM } from './routes.js'
import { SCENARIOS, type AppKind, type Challenge, type Scenario, type ScenarioContext } from './scenarios.js'
import { TARGETS, type RunningTarget, type Target } from './targets.js'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import { describeWithRedis, startRedisServer, type RedisServer } from '../../packages/redis/test/support/redis-server.js'

let issuer: TestIssuer
let outageIssuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer()
  outageIssuer = await createTestIssuer()
})
afterAll(async () => {
  await issuer?.close()
  await outageIssuer?.close()
})

function guardOptions(kind: AppKind): ConsentGuardOptions {
  const from = kind === 'outage' ? outageIssuer : issuer
  return {
    maskinporten: { issuer: from.issuer, jwksUri: from.jwksUri },
    realm: REALM,
    ...(kind === 'twoToken' && { consentHeader: 'AltinnSamtykke' }),
    // Outage rows must fail fast and never fall back to a cached key set.
    ...(kind === 'outage' && { keys: { timeoutMs: 300, staleIfErrorMs: 0 } }),
  }
}

function expectChallenge(header: string | undefined, challenge: Challenge): void {
  if (challenge === 'absent') {
    expect(header).toBeUndefined()
  } else if (challenge === 'no-error') {
    expect(header).toBe(`Bearer realm="${REALM}"`)
  } else {
    expect(header).toMatch(new RegExp(`^Bearer realm="${REALM}", error="${challenge}", error_description="[^"]+"`))
  }
}

describe.each(TARGETS)('conformance: $name', (target) => {
  const apps = {} as Record<AppKind, RunningTarget>

  beforeAll(async () => {
    for (const kind of ['single', 'twoToken', 'outage'] as const) apps[kind] = await target.start(guardOptions(kind))
  })
  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.close()))
    outageIssuer.server.setBehaviour('ok')
  })

  it.each(SCENARIOS)('$name', async (scenario) => {
    await runScenario(target, apps[scenario.app], scenario)
  })
})

async function runScenario(target: Target, app: RunningTarget, scenario: Scenario): Promise<void> {
  const ctx = (): ScenarioContext => ({ issuer, outageIssuer })
  const prepared = await scenario.prepare(ctx())
  for (const step of prepared.before ?? []) {
    expect((await send(app.baseUrl, step.spec)).status, `${step.spec.path} before the scenario`).toBe(step.status)
  }
  const calls = app.handled.length
  const request: RequestSpec = { ...(prepared.method && { method: prepared.method }), path: prepared.path, headers: prepared.headers }
  const res = await send(app.baseUrl, request)

  expect(res.status).toBe(scenario.expect.status)
  expect(res.headers['cache-control']).toBe('no-store')
  const expected = scenario.expect
  if (expected.status === 200) {
    const body = res.body as Record<string, unknown>
    expect(body).toMatchObject({
      route: expected.route,
      subject: expected.subject,
      resource: expected.resource,
      metadata: expected.metadata,
      consumer: TEST_IDENTITIES.consumerOrgno,
      twoToken: expected.twoToken,
    })
    expect(body.scopes).toContain('example:income')
    if (prepared.consentId !== undefined) expect(body.consentId).toBe(prepared.consentId)
    // The handler ran exactly once and was handed the frozen VerifiedConsent.
    expect(app.handled).toHaveLength(calls + 1)
    const consent = app.handled.at(-1)?.consent
    expect(consent).toBeDefined()
    expect(Object.isFrozen(consent)).toBe(true)
    expect(consent).toMatchObject({
      kind: 'altinn3',
      id: body.consentId,
      subject: { type: 'person', id: expected.subject },
      resource: expected.resource,
      right: { metadata: expected.metadata },
    })
    expect(consent?.consentToken === undefined).toBe(!expected.twoToken)
    expect(res.headers['www-authenticate']).toBeUndefined()
  } else {
    expect(app.handled).toHaveLength(calls) // the protected handler did not run
    if (request.method !== 'HEAD') {
      expect(res.headers['content-type']).toMatch(target.errorContentType)
      expect((res.body as { code?: unknown } | undefined)?.code).toBe(expected.code)
    }
    const challenge = res.headers['www-authenticate']
    expectChallenge(challenge, expected.challenge)
    if (expected.challengeIncludes !== undefined) expect(challenge).toContain(expected.challengeIncludes)
    if (expected.status === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/)
    // Error responses never echo identity numbers or tokens (docs/security.md HTTP-11).
    expect(res.text).not.toContain(TEST_IDENTITIES.personA)
    for (const [, value] of request.headers) if (value.length > 40) expect(res.text).not.toContain(value.slice(-40))
  }
}

// Issue 5: the one-time scenarios again, with the consent-use records in a shared Redis.
describeWithRedis('conformance: one-time routes with the Redis store', () => {
  let redis: RedisServer
  const stores: { close(): Promise<void> }[] = []
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    await redis?.stop()
  })
  describe.each(TARGETS)('$name', (target) => {
    let app: RunningTarget
    beforeAll(async () => {
      const store = createRedisConsentUseStore({ url: redis.url })
      stores.push(store)
      await store.ready()
      app = await target.start({ ...guardOptions('single'), store })
    })
    afterAll(() => app.close())
    it.each(SCENARIOS.filter((s) => s.app === 'single' && /one-time/.test(s.name)))('$name', async (scenario) => {
      await runScenario(target, app, scenario)
    })
  })
})
