import { ConsentGuardConfigError, type ConsentGuardOptions } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import express5, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { consentErrorHandler, createConsentGuard, getConsent, requireConsent, type VerifiedConsent } from '../src/index.js'
import { backend, buildApp, buildSharedApp } from './docs-example.js'

const { personA, personB, otherOrgno } = TEST_IDENTITIES
const incomeConsent = { resource: 'example-income', metadata: { inntektsaar: '2023' } }
const incomeRequirement = {
  scope: 'example:income',
  resource: 'example-income',
  subject: (req: { params: Record<string, string> }) => req.params.personId,
  metadata: { inntektsaar: { equals: (req: { params: Record<string, string> }) => req.params.year } },
}

let issuer: TestIssuer
let options: ConsentGuardOptions

beforeAll(async () => {
  issuer = await createTestIssuer()
  options = { maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } }
})
afterAll(() => issuer.close())

const incomeToken = (extra: Parameters<TestIssuer['consentToken']>[0] = {}) =>
  issuer.consentToken({ scope: 'example:income', consent: incomeConsent, ...extra })

/** Collects what reached the app's final error handler. */
function recordErrors(seen: unknown[]): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    seen.push(err)
    res.status(599).end()
  }
}

describe.each([
  ['express 5', express5],
  ['express 4', express4],
] as const)('%s', (_name, express) => {
  it("answers through Express's default error handler with the status and headers, without consentErrorHandler", async () => {
    const app = express()
    let ran = false
    app.get('/income/:year/:personId', requireConsent(incomeRequirement, options), (_req, res) => {
      ran = true
      res.end()
    })
    const res = await request(app)
      .get(`/income/2023/${personB}`)
      .set('authorization', `Bearer ${await incomeToken()}`)
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="consent-guard", error="insufficient_scope"/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.text).not.toContain(personB)
    expect(ran).toBe(false)
  })

  it('forwards a key-set outage (an async rejection) to next(err) as 503', async () => {
    const down = await createTestIssuer()
    try {
      down.server.setBehaviour('down')
      const app = express()
      app.get(
        '/income/:year/:personId',
        requireConsent(incomeRequirement, { maskinporten: { issuer: down.issuer, jwksUri: down.jwksUri }, keys: { staleIfErrorMs: 0 } }),
        (_req, res) => {
          res.end('data')
        },
      )
      const res = await request(app)
        .get(`/income/2023/${personA}`)
        .set('authorization', `Bearer ${await down.consentToken({ scope: 'example:income', consent: incomeConsent })}`)
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.headers['www-authenticate']).toBeUndefined()
      expect(res.headers['cache-control']).toBe('no-store')
    } finally {
      await down.close()
    }
  })

  it("passes errors thrown by the route's own functions to next(err) unchanged", async () => {
    const app = express()
    const seen: unknown[] = []
    const bug = new Error('bug in subject()')
    app.get(
      '/x',
      requireConsent(
        {
          resource: 'example-income',
          subject: () => {
            throw bug
          },
        },
        options,
      ),
      (_req, res) => {
        res.end('data')
      },
    )
    app.use(recordErrors(seen))
    const res = await request(app)
      .get('/x')
      .set('authorization', `Bearer ${await incomeToken()}`)
    expect(res.status).toBe(599)
    expect(seen).toEqual([bug])
  })

  it('consentErrorHandler renders problem+json and passes other errors on', async () => {
    const app = express()
    const seen: unknown[] = []
    const other = new Error('not ours')
    app.get('/income/:year/:personId', requireConsent(incomeRequirement, options), (_req, res) => {
      res.end('data')
    })
    app.get('/other', (_req, _res, next) => next(other))
    app.use(consentErrorHandler())
    app.use(recordErrors(seen))

    const res = await request(app).get(`/income/2023/${personA}`).set('authorization', 'Basic eDp5')
    expect(res.status).toBe(401)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(res.headers['www-authenticate']).toBe('Bearer realm="consent-guard"')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(res.text)).toEqual({
      type: 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#credentials_missing',
      title: 'Unauthorized',
      status: 401,
      detail: 'Bearer credentials are required',
      code: 'credentials_missing',
      correlationId: res.headers['x-correlation-id'],
    })
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect((await request(app).get('/other')).status).toBe(599)
    expect(seen).toEqual([other])
  })

  it("logs through req.log (pino-http) when present, else the guard's logger option", async () => {
    const perRequest: object[] = []
    const fallback: object[] = []
    const app = express()
    app.use('/with-log', (req, _res, next) => {
      ;(req as unknown as { log: unknown }).log = { info: (obj: object) => perRequest.push(obj) }
      next()
    })
    const guard = createConsentGuard({ ...options, logger: { info: (obj) => fallback.push(obj) } })
    const route = guard.require({ ...incomeRequirement, subject: (req) => req.params.personId })
    app.get('/with-log/:year/:personId', route, (_req, res) => res.end())
    app.get('/without-log/:year/:personId', route, (_req, res) => res.end())
    const token = await incomeToken()
    expect((await request(app).get(`/with-log/2023/${personA}`).set('authorization', `Bearer ${token}`)).status).toBe(200)
    expect((await request(app).get(`/without-log/2022/${personA}`).set('authorization', `Bearer ${token}`)).status).toBe(403)
    expect(perRequest).toMatchObject([{ event: 'consent_guard.decision', decision: 'accepted' }])
    expect(fallback).toMatchObject([{ event: 'consent_guard.decision', decision: 'rejected', code: 'consent_metadata_mismatch' }])
    expect(JSON.stringify([perRequest, fallback])).not.toContain(personA)
  })

  it('reads the URL as sent under a mount path (a token in the query is refused)', async () => {
    const app = express()
    const router = express.Router()
    router.get('/income/:year/:personId', requireConsent(incomeRequirement, options), (_req, res) => res.end('data'))
    app.use('/api', router)
    app.use(consentErrorHandler())
    const token = await incomeToken()
    const res = await request(app).get(`/api/income/2023/${personA}?access_token=${token}`).set('authorization', `Bearer ${token}`)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.text)).toMatchObject({ code: 'credentials_in_url' })
  })

  it('getConsent() fails loudly (500) on a route without the middleware', async () => {
    const app = express()
    const seen: unknown[] = []
    app.get('/unguarded', (req, res) => {
      res.json({ id: getConsent(req).id })
    })
    app.use(recordErrors(seen))
    expect((await request(app).get('/unguarded')).status).toBe(599)
    expect(String(seen[0])).toMatch(/without a consent-guard middleware/)
  })
})

describe('creation-time checks', () => {
  it('compiles the requirement when the middleware is created', () => {
    expect(() => requireConsent({ resource: 'example income', subject: () => personA }, options)).toThrow(ConsentGuardConfigError)
    const guard = createConsentGuard(options)
    expect(() => guard.require({ resource: 'example-income', subject: () => personA, scope: [] as never })).toThrow(/"scope"/)
  })

  it('validates guard options when the guard is created', () => {
    expect(() => createConsentGuard({ maskinporten: { issuer: 'https://x/', jwksUri: 'http://example.com/jwk' } })).toThrow(
      ConsentGuardConfigError,
    )
  })

  it('types req.consent as an optional VerifiedConsent', () => {
    const app = express5()
    app.get('/x', (req, res) => {
      expectTypeOf(req.consent).toEqualTypeOf<VerifiedConsent | undefined>()
      expectTypeOf(getConsent(req)).toEqualTypeOf<VerifiedConsent>()
      res.end()
    })
    expect(app).toBeTypeOf('function')
  })
})

describe('docs examples (Express 5)', () => {
  it('"basic": app.use(path, requireConsent(...)) guards the route and exposes req.consent', async () => {
    const app = buildApp(options.maskinporten)
    const consentId = crypto.randomUUID()
    const ok = await request(app)
      .get(`/income/2023/${personA}`)
      .set('authorization', `Bearer ${await incomeToken({ consent: { ...incomeConsent, id: consentId } })}`)
    expect(ok.status).toBe(200)
    expect(ok.headers['cache-control']).toBe('no-store')
    expect(ok.body).toEqual({ personId: personA, year: '2023', consentId })
    const denied = await request(app)
      .get(`/income/2022/${personA}`)
      .set('authorization', `Bearer ${await incomeToken()}`)
    expect(denied.status).toBe(403)
    expect(JSON.parse(denied.text)).toMatchObject({ code: 'consent_metadata_mismatch' })
  })

  it('"shared": one guard for several routes, release after a failed one-time use', async () => {
    const app = buildSharedApp(options.maskinporten)
    const orgToken = await issuer.consentToken({
      scope: 'example:accounts',
      consent: { from: { organization: otherOrgno }, resource: 'example-company-accounts' },
    })
    expect((await request(app).get(`/company/${otherOrgno}/accounts`).set('authorization', `Bearer ${orgToken}`)).status).toBe(200)

    const loanToken = await issuer.consentToken({ scope: 'example:loan-check', consent: { resource: 'example-loan-check' } })
    const loan = () => request(app).get(`/loan-check/${personA}`).set('authorization', `Bearer ${loanToken}`)
    backend.fail = true
    try {
      expect((await loan()).status).toBe(500)
    } finally {
      backend.fail = false
    }
    const ok = await loan()
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ eligible: true })
    const reused = await loan()
    expect(reused.status).toBe(403)
    expect(JSON.parse(reused.text)).toMatchObject({ code: 'consent_already_used' })
  })
})
