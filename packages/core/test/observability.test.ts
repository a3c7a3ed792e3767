import dc from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CHANNELS,
  ConsentGuardConfigError,
  correlationIdFrom,
  createConsentGuard,
  headersFromRecord,
  optionsFromEnv,
  type CheckTraceContext,
  type KeySetEvent,
  type StoreEvent,
} from '@consent-guard/core'
import { createTestIssuer } from '@consent-guard/testkit'
import { createHarness, FNR_A, incomeRoute, NOW, type FakeRequest } from './support.js'

const subscriptions: (() => void)[] = []
afterEach(() => {
  for (const off of subscriptions.splice(0)) off()
})
function collect<T>(name: string): T[] {
  const seen: T[] = []
  const listener = (message: unknown) => void seen.push(message as T)
  dc.subscribe(name, listener)
  subscriptions.push(() => dc.unsubscribe(name, listener))
  return seen
}
function traceCheck(): { phase: string; context: CheckTraceContext }[] {
  const seen: { phase: string; context: CheckTraceContext }[] = []
  const channel = dc.tracingChannel<CheckTraceContext, CheckTraceContext>(CHANNELS.check)
  const handlers = {
    start: (c: CheckTraceContext) => void seen.push({ phase: 'start', context: { ...c } }),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (c: CheckTraceContext) => void seen.push({ phase: 'asyncEnd', context: { ...c } }),
    error: (c: CheckTraceContext) => void seen.push({ phase: 'error', context: { ...c } }),
  }
  channel.subscribe(handlers)
  subscriptions.push(() => channel.unsubscribe(handlers))
  return seen
}

describe('diagnostics channels', () => {
  it('traces each check with resource, mode, decision, code and duration; never the consent or token', async () => {
    const h = await createHarness()
    const seen = traceCheck()
    const token = await h.token()
    await h.run(h.bearer(token))
    await h.run(h.bearer(token), { year: '2022' }).catch(() => undefined)
    expect(seen.map((s) => s.phase)).toEqual(['start', 'asyncEnd', 'start', 'error', 'asyncEnd'])
    expect(seen[1]?.context).toMatchObject({ resource: 'example-income', mode: 'single-token', oneTime: false, decision: 'accepted' })
    expect(seen[4]?.context).toMatchObject({ decision: 'rejected', code: 'consent_metadata_mismatch', status: 403 })
    expect(seen[4]?.context.durationMs).toBeGreaterThan(0)
    const payload = JSON.stringify(seen.map((s) => ({ ...s.context, error: undefined })))
    expect(payload).not.toContain(FNR_A)
    expect(payload).not.toContain(token.split('.')[1])
    expect(seen[1]?.context.result).toBeUndefined()
    await h.close()
  })

  it('publishes key-set fetches, failures and the stale transitions once; logs them at warn once', async () => {
    const issuer = await createTestIssuer({ now: NOW })
    const events = collect<KeySetEvent>(CHANNELS.keySet)
    const warnings: object[] = []
    const logger = { info: () => undefined, warn: (o: object) => void warnings.push(o) }
    const h = await createHarness({ logger, keys: { cacheMaxAgeMs: 1, cooldownMs: 0 } }, issuer)
    expect(h.guard.readiness()).toMatchObject({ status: 'unavailable', ready: false, keySets: [{ lastFailure: { cause: 'not_fetched' } }] })
    await h.guard.ready()
    expect(h.guard.readiness()).toMatchObject({ status: 'fresh', ready: true })
    issuer.server.setBehaviour('status500')
    const token = await h.token()
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5))
      expect(await h.outcome(h.bearer(token))).toBe('accepted')
    }
    const health = h.guard.readiness()
    expect(health).toMatchObject({
      status: 'stale-serving',
      ready: true,
      keySets: [{ lastFailure: { cause: 'http_status', status: 500 } }],
    })
    expect(health.keySets[0]?.ageMs).toBeGreaterThanOrEqual(0)
    issuer.server.setBehaviour('ok')
    await new Promise((r) => setTimeout(r, 5))
    expect(await h.outcome(h.bearer(token))).toBe('accepted')
    // The key set refreshes in the background (the request is answered from the set in hand).
    await vi.waitFor(() => expect(h.guard.readiness().status).toBe('fresh'))
    const types = events.map((e) => e.type)
    expect(types.filter((t) => t === 'stale-entered')).toHaveLength(1)
    expect(types.filter((t) => t === 'stale-left')).toHaveLength(1)
    expect(events).toContainEqual({ type: 'failure', keySet: 'maskinporten', cause: 'http_status', status: 500 })
    expect(events.some((e) => e.type === 'fetch' && e.outcome === 'ok')).toBe(true)
    expect(warnings).toEqual([
      expect.objectContaining({ state: 'stale-serving', cause: 'http_status' }),
      expect.objectContaining({ state: 'fresh' }),
    ])
    await h.close()
    await issuer.close()
  })

  it('ready() rejects with the cause while the key endpoint is down, resolves once it answers; rotation is published', async () => {
    const issuer = await createTestIssuer({ now: NOW })
    issuer.server.setBehaviour('down')
    const events = collect<KeySetEvent>(CHANNELS.keySet)
    const h = await createHarness({}, issuer)
    const err = await h.guard.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({
      code: 'jwks_unavailable',
      cause: { keySet: 'maskinporten', status: 'unavailable', lastFailure: { cause: 'network' } },
    })
    expect(h.guard.readiness().ready).toBe(false)
    // A probe right after a failed attempt drives no fetch (an unauthenticated /ready endpoint).
    const requests = issuer.server.requests
    await expect(h.guard.ready()).rejects.toMatchObject({ code: 'jwks_unavailable' })
    expect(issuer.server.requests).toBe(requests)
    issuer.server.setBehaviour('ok')
    await new Promise((r) => setTimeout(r, 1000))
    await h.guard.ready()
    expect(h.guard.readiness()).toMatchObject({ status: 'fresh', ready: true })
    await issuer.rotate()
    await h.guard.keySet.reload()
    await new Promise((r) => setImmediate(r))
    expect(events).toContainEqual({ type: 'rotation', keySet: 'maskinporten', added: 1, removed: 0, keys: 2 })
    await h.close()
    await issuer.close()
  })

  it('publishes one-time store calls with duration and outcome, never the key', async () => {
    const events = collect<StoreEvent>(CHANNELS.store)
    const h = await createHarness()
    const oneTime = { ...incomeRoute, oneTime: true }
    const token = await h.token()
    await h.run(h.bearer(token), {}, oneTime)
    expect(await h.outcome(h.bearer(token), {}, oneTime)).toBe('consent_already_used')
    expect(events[0]).toMatchObject({ operation: 'markUsed', outcome: 'ok', fresh: true })
    expect(events.some((e) => e.operation === 'markUsed' && e.fresh === false)).toBe(true)
    expect(JSON.stringify(events)).not.toMatch(/consent-guard:|[0-9a-f]{8}-/)
    await h.close()
  })
})

describe('audit events: duration, request id, correlation id', () => {
  it('carry durationMs and the ids the adapter passes', async () => {
    const h = await createHarness()
    const compiled = h.guard.compile<FakeRequest>(incomeRoute)
    const token = await h.token()
    await h.guard.check(
      {
        headers: headersFromRecord(h.bearer(token)),
        request: { params: { personId: FNR_A, year: '2023' } },
        requestId: 'req-7',
        correlationId: 'abc-123',
      },
      compiled,
    )
    expect(h.events[0]).toMatchObject({ decision: 'accepted', requestId: 'req-7', correlationId: 'abc-123' })
    expect(h.events[0]?.durationMs).toBeGreaterThan(0)
    await h.close()
  })

  it('correlationIdFrom keeps a safe incoming id and replaces anything else', () => {
    expect(correlationIdFrom('4f1c2a7e-1b2c-4d5e-8f90-123456789abc')).toBe('4f1c2a7e-1b2c-4d5e-8f90-123456789abc')
    expect(correlationIdFrom(' trace:42 ')).toBe('trace:42')
    for (const bad of [FNR_A, `x${FNR_A}`, 'eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln', 'a b', 'x'.repeat(200), '', undefined, ['a', 'b']]) {
      const id = correlationIdFrom(bad as string)
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
    }
  })
})

describe('optionsFromEnv', () => {
  it('reads the documented variables into validated options', () => {
    expect(optionsFromEnv({})).toEqual({ maskinporten: 'test' })
    expect(
      optionsFromEnv({
        MASKINPORTEN_ISSUER: 'http://127.0.0.1:4100/',
        MASKINPORTEN_JWKS_URI: 'http://127.0.0.1:4100/jwk',
        CONSENT_TOKEN_HEADER: 'AltinnSamtykke',
        ALTINN2_ENV: 'tt02',
        CORRELATION_HEADER: 'Korrelasjonsid',
        AUDIT_KEY: 'k',
      }),
    ).toEqual({
      maskinporten: { issuer: 'http://127.0.0.1:4100/', jwksUri: 'http://127.0.0.1:4100/jwk' },
      consentHeader: 'AltinnSamtykke',
      altinn2: 'tt02',
      correlationHeader: 'Korrelasjonsid',
      auditKey: 'k',
    })
    const store = { markUsed: async () => true, release: async () => undefined }
    expect(optionsFromEnv({ MASKINPORTEN_ENV: 'prod' }, { store })).toEqual({ maskinporten: 'prod', store })
    expect(() => createConsentGuard(optionsFromEnv({ MASKINPORTEN_ENV: 'prod' }))).not.toThrow()
  })

  it('throws ConsentGuardConfigError naming the variable', () => {
    const cases: [Record<string, string>, string][] = [
      [{ MASKINPORTEN_ENV: 'staging' }, 'MASKINPORTEN_ENV'],
      [{ MASKINPORTEN_ISSUER: 'http://127.0.0.1:1/' }, 'MASKINPORTEN_JWKS_URI'],
      [{ MASKINPORTEN_ENV: 'test', MASKINPORTEN_ISSUER: 'x', MASKINPORTEN_JWKS_URI: 'y' }, 'MASKINPORTEN_ENV'],
      [{ MASKINPORTEN_ISSUER: 'https://mp/', MASKINPORTEN_JWKS_URI: 'http://example.com/jwk' }, 'MASKINPORTEN_JWKS_URI'],
      [{ CONSENT_TOKEN_HEADER: 'Alt in' }, 'CONSENT_TOKEN_HEADER'],
      [{ ALTINN2_ENV: 'tt02' }, 'ALTINN2_ENV'],
      [{ CONSENT_TOKEN_HEADER: 'AltinnSamtykke', ALTINN2_ENV: 'test' }, 'ALTINN2_ENV'],
      [{ CONSENT_TOKEN_HEADER: 'AltinnSamtykke', ALTINN2_JWKS_URI: 'ftp://x/jwk' }, 'ALTINN2_JWKS_URI'],
      [{ CORRELATION_HEADER: 'Korrelasjons id' }, 'CORRELATION_HEADER'],
    ]
    for (const [env, variable] of cases) {
      let thrown: unknown
      try {
        optionsFromEnv(env)
      } catch (err) {
        thrown = err
      }
      expect(thrown, JSON.stringify(env)).toBeInstanceOf(ConsentGuardConfigError)
      expect((thrown as Error).message.startsWith(variable), (thrown as Error).message).toBe(true)
      expect((thrown as { variable?: string }).variable).toBe(variable)
    }
  })
})
