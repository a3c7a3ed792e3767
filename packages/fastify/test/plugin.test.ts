import { Writable } from 'node:stream'
import { ConsentGuardConfigError, type AuditEvent } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import fastifyAuth from '@fastify/auth'
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import consentGuard, { getConsent, type ConsentGuardPluginOptions } from '../src/index.js'
import { buildGlobalServer, buildHookServer, buildServer, problemJson } from './docs-example.js'

const { personA, personB, consumerOrgno } = TEST_IDENTITIES
const incomeConsent = { resource: 'example-income', metadata: { inntektsaar: '2023' } }

let issuer: TestIssuer
let options: ConsentGuardPluginOptions
const apps: FastifyInstance[] = []

beforeAll(async () => {
  issuer = await createTestIssuer()
  options = { maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } }
})
afterAll(() => issuer.close())
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function track<T extends FastifyInstance>(app: T): T {
  apps.push(app)
  return app
}

function captureLogs() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      )
      callback()
    },
  })
  return {
    logger: pino({ level: 'debug' }, stream),
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

const incomeToken = (extra: Parameters<TestIssuer['consentToken']>[0] = {}) =>
  issuer.consentToken({ scope: 'example:income', consent: incomeConsent, ...extra })

describe('plugin metadata', () => {
  it('is wrapped by fastify-plugin with its name and the Fastify 5 range', () => {
    const meta = (consentGuard as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
    expect(meta).toMatchObject({ name: '@consent-guard/fastify', fastify: '5.x' })
    expect((consentGuard as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true)
  })

  it('decorates the registering scope (not encapsulated)', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    expect(app.hasRequestDecorator('consent')).toBe(true)
    expect(app.hasDecorator('consentGuard')).toBe(true)
    expect(app.consentGuard.options.issuer).toBe(issuer.issuer)
  })

  it('fails registration on invalid guard options', async () => {
    const app = track(Fastify())
    await expect(
      app.register(consentGuard, { maskinporten: { issuer: issuer.issuer, jwksUri: 'http://example.com/jwk' } }),
    ).rejects.toThrow(ConsentGuardConfigError)
  })
})

describe('route config (docs example "basic")', () => {
  it('accepts a request the consent covers and hands the handler request.consent', async () => {
    const app = track(await buildServer(options.maskinporten, Fastify()))
    const consentId = crypto.randomUUID()
    const res = await app.inject({
      url: `/income/2023/${personA}`,
      headers: { authorization: `Bearer ${await incomeToken({ consent: { ...incomeConsent, id: consentId } })}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({ personId: personA, year: '2023', consentId })
  })

  it('throws the error to Fastify, whose default handler answers status, headers and the stable code', async () => {
    const app = track(await buildServer(options.maskinporten, Fastify()))
    const res = await app.inject({ url: `/income/2023/${personB}`, headers: { authorization: `Bearer ${await incomeToken()}` } })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="consent-guard", error="insufficient_scope"/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({
      statusCode: 403,
      code: 'consent_subject_mismatch',
      error: 'Forbidden',
      message: 'The consent does not cover this request',
    })
  })

  it('lets users reshape errors with setErrorHandler (docs example "error-handler")', async () => {
    const fastify = track(Fastify())
    fastify.setErrorHandler(problemJson)
    await buildServer(options.maskinporten, fastify)
    const res = await fastify.inject({ url: `/income/2023/${personA}` })
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="consent-guard"')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({
      type: 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#credentials_missing',
      status: 401,
      code: 'credentials_missing',
    })
  })

  it('checks in onRequest, before the body is parsed', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    let parsed = false
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      parsed = true
      done(null, JSON.parse(body as string))
    })
    app.post(
      '/upload/:personId',
      { config: { consent: { resource: 'example-income', subject: (r) => r.params.personId, metadata: { inntektsaar: { any: true } } } } },
      async () => 'stored',
    )
    const res = await app.inject({ method: 'POST', url: `/upload/${personA}`, payload: { big: 'x'.repeat(1000) } })
    expect(res.statusCode).toBe(401)
    expect(parsed).toBe(false)
  })

  it('sees duplicate Authorization headers through inject (light-my-request sets rawHeaders)', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    let rawHeaders: readonly string[] = []
    app.addHook('onRequest', async (request) => {
      rawHeaders = request.raw.rawHeaders
    })
    app.get(
      '/income/:year/:personId',
      { config: { consent: { resource: 'example-income', subject: (r) => r.params.personId } } },
      async () => 'data',
    )
    const token = await incomeToken()
    const res = await app.inject({
      url: `/income/2023/${personA}`,
      headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] as unknown as string },
    })
    expect(rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'authorization')).toHaveLength(2)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'credentials_duplicated' })
  })

  it('sets request.consent to null on routes it does not guard', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    app.get('/open', async (request) => ({ consent: request.consent }))
    app.get('/misused', async (request) => getConsent(request).id)
    expect((await app.inject('/open')).json()).toEqual({ consent: null })
    const misused = await app.inject('/misused')
    expect(misused.statusCode).toBe(500)
  })

  it('runs one check for the HEAD twin of a GET route (one-time consent used once)', async () => {
    const decisions: AuditEvent[] = []
    const app = track(Fastify())
    await app.register(consentGuard, { ...options, onDecision: (event) => decisions.push(event) })
    app.get(
      '/loan-check/:personId',
      { config: { consent: { resource: 'example-loan-check', oneTime: true, subject: (r) => r.params.personId } } },
      async () => ({ ok: true }),
    )
    const token = await issuer.consentToken({ consent: { resource: 'example-loan-check' } })
    const head = await app.inject({ method: 'HEAD', url: `/loan-check/${personA}`, headers: { authorization: `Bearer ${token}` } })
    expect(head.statusCode).toBe(200)
    expect(decisions.map((d) => d.decision)).toEqual(['accepted'])
    const again = await app.inject({ url: `/loan-check/${personA}`, headers: { authorization: `Bearer ${token}` } })
    expect(again.statusCode).toBe(403)
    expect(again.json()).toMatchObject({ code: 'consent_already_used' })
    expect(decisions).toHaveLength(2)
  })

  it('logs the decision through request.log, with the request id and no identity number', async () => {
    const { logger, lines, records } = captureLogs()
    const app = track(Fastify({ loggerInstance: logger }) as unknown as ReturnType<typeof Fastify>)
    await buildServer(options.maskinporten, app)
    const token = await incomeToken()
    expect((await app.inject({ url: `/income/2023/${personA}`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200)
    expect((await app.inject({ url: `/income/2022/${personA}`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403)
    const decisions = records().filter((r) => r.event === 'consent_guard.decision')
    expect(decisions.map((d) => [d.decision, d.code])).toEqual([
      ['accepted', undefined],
      ['rejected', 'consent_metadata_mismatch'],
    ])
    for (const d of decisions) {
      expect(d.reqId).toMatch(/^req-/)
      expect(d).toMatchObject({ consumer: consumerOrgno, resource: 'example-income', subjectType: 'person' })
      expect(d.subjectRef).toMatch(/^hmac:/)
    }
    // The audit events carry no identity number and no token; Fastify's own access-log lines
    // carry the raw URL unless the app masks it (see examples/fastify-income-api).
    for (const d of decisions) expect(JSON.stringify(d)).not.toContain(personA)
    expect(lines.join('\n')).not.toContain(token.split('.')[2])
  })
})

describe('route declaration errors fail start-up, not a request', () => {
  const badRequirement = { resource: 'example income', subject: () => personA }

  it('throws when a route is declared at the top level with a bad requirement', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    expect(() => app.get('/x', { config: { consent: badRequirement } }, async () => 'x')).toThrow(
      /route GET \/x: "resource" must be an Altinn resource id/,
    )
  })

  it('rejects fastify.ready() when a plugin declares a route with a bad requirement', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    app.register(async (child) => {
      child.get('/x', { config: { consent: { ...badRequirement, resource: 'ok', unknownField: 1 } as never } }, async () => 'x')
    })
    await expect(app.ready()).rejects.toThrow(ConsentGuardConfigError)
  })

  it('rejects registration with a bad global requirement', async () => {
    const app = track(Fastify())
    await expect(app.register(consentGuard, { ...options, global: badRequirement })).rejects.toThrow(/option "global"/)
  })

  it('rejects a bad requirement given to requireConsent() at once', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    expect(() => app.requireConsent(badRequirement)).toThrow(ConsentGuardConfigError)
  })

  it('refuses (500) a guarded route declared before the plugin loaded instead of serving it unguarded', async () => {
    const app = track(Fastify())
    let ran = false
    void app.register(consentGuard, options) // no await: the plugin loads after the routes below
    app.get('/early/:personId', { config: { consent: { resource: 'example-income', subject: (r) => r.params.personId } } }, async () => {
      ran = true
      return 'data'
    })
    app.get('/early-open', async () => 'open')
    await app.ready()
    const res = await app.inject(`/early/${personA}`)
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({ code: 'CONSENT_GUARD_ROUTE_NOT_GUARDED' })
    expect(ran).toBe(false)
    expect((await app.inject('/early-open')).statusCode).toBe(200)
  })
})

describe('global requirement (docs example "global")', () => {
  it('protects every route, lets config.consent: false opt out', async () => {
    const app = track(await buildGlobalServer(options.maskinporten))
    expect((await app.inject('/health')).statusCode).toBe(200)
    const denied = await app.inject('/me/income')
    expect(denied.statusCode).toBe(401)
    expect(denied.json()).toMatchObject({ code: 'credentials_missing' })
    const consentId = crypto.randomUUID()
    const token = await incomeToken({ consent: { ...incomeConsent, id: consentId } })
    const ok = await app.inject({ url: '/me/income', headers: { authorization: `Bearer ${token}`, 'x-person-id': personA } })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ consentId })
  })

  it('lets a route requirement replace the global one, and covers routes in child scopes', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, { ...options, global: { resource: 'example-income', subject: () => undefined } })
    app.get(
      '/own/:personId',
      { config: { consent: { resource: 'example-loan-check', subject: (r) => r.params.personId } } },
      async (request) => request.consent?.resource,
    )
    app.register(
      async (child) => {
        child.get('/child', async () => 'child data')
      },
      { prefix: '/api' },
    )
    const token = await issuer.consentToken({ consent: { resource: 'example-loan-check' } })
    const own = await app.inject({ url: `/own/${personA}`, headers: { authorization: `Bearer ${token}` } })
    expect(own.statusCode).toBe(200)
    expect(own.body).toBe('example-loan-check')
    const child = await app.inject('/api/child')
    expect(child.statusCode).toBe(401)
  })

  it('protects only the subtree whose scope registered the plugin', async () => {
    const app = track(Fastify())
    app.register(
      async (api) => {
        await api.register(consentGuard, { ...options, global: { resource: 'example-income', subject: () => personA } })
        api.get('/guarded', async () => 'data')
      },
      { prefix: '/api' },
    )
    app.get('/public', async () => 'public')
    await app.ready()
    expect((await app.inject('/api/guarded')).statusCode).toBe(401)
    expect((await app.inject('/public')).statusCode).toBe(200)
  })
})

describe('requireConsent hook', () => {
  const orgConsent = { from: { organization: TEST_IDENTITIES.otherOrgno }, resource: 'example-company-accounts' }

  it('works as a preHandler (docs example "hook")', async () => {
    const app = track(await buildHookServer(options.maskinporten))
    const consentId = crypto.randomUUID()
    const token = await issuer.consentToken({ scope: 'example:accounts', consent: { ...orgConsent, id: consentId } })
    const ok = await app.inject({ url: `/company/${TEST_IDENTITIES.otherOrgno}/accounts`, headers: { authorization: `Bearer ${token}` } })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ consentId })
    const wrongKind = await app.inject({ url: `/company/${personA}/accounts`, headers: { authorization: `Bearer ${token}` } })
    expect(wrongKind.statusCode).toBe(400)
    expect(wrongKind.json()).toMatchObject({ code: 'subject_invalid' })
  })

  it('works inside @fastify/auth, keeping the status and challenge of the error', async () => {
    const app = track(Fastify())
    await app.register(fastifyAuth)
    await app.register(consentGuard, options)
    const hook = app.requireConsent({ scope: 'example:accounts', resource: 'example-company-accounts', subject: (r) => r.params.orgno })
    app.get('/company/:orgno/accounts', { preHandler: app.auth([hook]) }, async (request) => ({ consentId: getConsent(request).id }))
    const token = await issuer.consentToken({ scope: 'example:accounts', consent: orgConsent })
    const ok = await app.inject({ url: `/company/${TEST_IDENTITIES.otherOrgno}/accounts`, headers: { authorization: `Bearer ${token}` } })
    expect(ok.statusCode).toBe(200)
    const noScope = await app.inject({
      url: `/company/${TEST_IDENTITIES.otherOrgno}/accounts`,
      headers: { authorization: `Bearer ${await issuer.consentToken({ scope: 'example:income', consent: orgConsent })}` },
    })
    expect(noScope.statusCode).toBe(403)
    expect(noScope.headers['www-authenticate']).toContain('scope="example:accounts"')
    expect(noScope.json()).toMatchObject({ code: 'scope_missing' })
  })
})

describe('release', () => {
  it('fastify.consentGuard.release() frees a one-time consent for a retry', async () => {
    const app = track(Fastify())
    await app.register(consentGuard, options)
    let fail = true
    app.get(
      '/loan-check/:personId',
      { config: { consent: { resource: 'example-loan-check', oneTime: true, subject: (r) => r.params.personId } } },
      async (request) => {
        if (fail) {
          await app.consentGuard.release(getConsent(request))
          throw new Error('backend down')
        }
        return { eligible: true }
      },
    )
    const token = await issuer.consentToken({ consent: { resource: 'example-loan-check' } })
    const headers = { authorization: `Bearer ${token}` }
    expect((await app.inject({ url: `/loan-check/${personA}`, headers })).statusCode).toBe(500)
    fail = false
    expect((await app.inject({ url: `/loan-check/${personA}`, headers })).statusCode).toBe(200)
    expect((await app.inject({ url: `/loan-check/${personA}`, headers })).statusCode).toBe(403)
  })
})
