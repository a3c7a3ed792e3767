// Type tests: the route path (or a params type) given as the generic types the requirement's
// `req.params`, and handlers keep the params Express infers. `pnpm typecheck` checks every
// `@ts-expect-error` below (an unused one fails the build); vitest runs the app.
import { createTestIssuer, TEST_IDENTITIES } from '@consent-guard/testkit'
import express from 'express'
import request from 'supertest'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createConsentGuard,
  describeConsentMiddleware,
  fromParam,
  getConsent,
  period,
  requireConsent,
  type PathParams,
  type VerifiedConsent,
} from '../src/index.js'
import { openApi31Problems } from '../../../test/support/openapi.js'
import { buildDescribedApp, buildTypedApp } from './docs-example.js'

const issuer = await createTestIssuer()
afterAll(() => issuer.close())
const { personA } = TEST_IDENTITIES
const consent = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } })

describe('typed requirements', () => {
  it('parses route paths into params types', () => {
    expectTypeOf<PathParams<'/income/:year/:personId'>>().toEqualTypeOf<{ year: string; personId: string }>()
    expectTypeOf<PathParams<'/files/*path'>>().toEqualTypeOf<{ path: string[] }>()
    expectTypeOf<PathParams<'/a/:id{/:rev}'>>().toEqualTypeOf<{ id: string; rev?: string }>()
    expectTypeOf<PathParams<'/a/:id?'>>().toEqualTypeOf<{ id?: string }>()
    expectTypeOf<PathParams<'/a/:from-:to.json'>>().toEqualTypeOf<{ from: string; to: string }>()
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a path without parameters has none: exactly `{}`
    expectTypeOf<PathParams<'/health'>>().toEqualTypeOf<{}>()
    expectTypeOf<PathParams<string>>().toEqualTypeOf<Record<string, string>>()
  })

  it('types req.params from the route generic; a typo does not compile; handlers need no casts', async () => {
    const app = express()
    app.get(
      '/income/:year/:personId',
      consent.require<'/income/:year/:personId'>({
        resource: 'example-income',
        subject: (req) => req.params.personId,
        metadata: { inntektsaar: { equals: (req) => req.params.year } },
      }),
      (req, res) => {
        expectTypeOf(req.params.personId).toEqualTypeOf<string>()
        expectTypeOf(req.params.year).toEqualTypeOf<string>()
        expectTypeOf(getConsent(req)).toEqualTypeOf<VerifiedConsent>()
        res.json({ year: req.params.year, personId: req.params.personId, consentId: getConsent(req).id })
      },
    )
    consent.require<'/income/:year/:personId'>({
      resource: 'example-income',
      // @ts-expect-error `personid` is not a parameter of the path
      subject: (req) => req.params.personid,
    })
    consent.require<{ orgno: string }>({ resource: 'example-company-accounts', subject: (req) => req.params.orgno })
    // @ts-expect-error `personid` is not a parameter of the path
    consent.require<'/p/:personId'>({ resource: 'example-income', subject: fromParam('personid') })
    requireConsent<'/p/:personId'>({ resource: 'example-income', subject: fromParam('personId') }, { maskinporten: 'test' })
    // Without a generic: an open record, as before.
    consent.require({ resource: 'example-income', subject: (req) => req.params.anything })
    // Query helpers work on Express's parsed query.
    consent.require<'/p/:personId'>({
      resource: 'example-income-period',
      subject: fromParam('personId'),
      period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
    })

    const token = await issuer.consentToken({
      consent: { from: { person: personA }, resource: 'example-income', metadata: { inntektsaar: '2023' } },
    })
    const ok = await request(app).get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ year: '2023', personId: personA })
    const other = await request(app).get(`/income/2024/${personA}`).set('authorization', `Bearer ${token}`)
    expect(other.status).toBe(403)
  })

  it('describes a middleware as an OpenAPI operation, problem+json by default', () => {
    const middleware = consent.require<'/income/:year/:personId'>({
      scope: 'example:income',
      resource: 'example-income',
      subject: fromParam('personId'),
      metadata: { inntektsaar: { equals: fromParam('year') } },
    })
    const { operation, components } = describeConsentMiddleware(middleware)
    expect(operation.security).toEqual([{ maskinporten: ['example:income'] }])
    expect(operation['x-altinn-consent'].metadata).toEqual({ inntektsaar: { rule: 'equals', from: { in: 'path', name: 'year' } } })
    expect(Object.keys(operation.responses['401'].content as object)).toEqual(['application/problem+json'])
    expect(Object.keys(components.schemas)).toEqual(['ConsentGuardProblem'])
    expect(() => describeConsentMiddleware(() => undefined)).toThrow(TypeError)
  })
})

describe('docs/express.md examples', () => {
  const options = () => ({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
  it('typed: period.fromQuery on a path-typed route answers inside the period and refuses outside', async () => {
    const app = buildTypedApp(options())
    const token = await issuer.consentToken({
      scope: 'example:income',
      consent: { from: { person: personA }, resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-06' } },
    })
    const get = (query: string) => request(app).get(`/income-period/${personA}?${query}`).set('authorization', `Bearer ${token}`)
    const ok = await get('fraOgMed=2024-02&tilOgMed=2024-06')
    expect([ok.status, ok.body.personId]).toEqual([200, personA])
    const outside = await get('fraOgMed=2024-02&tilOgMed=2024-07')
    expect([outside.status, outside.body.code]).toEqual([403, 'consent_metadata_mismatch'])
    const missing = await get('fraOgMed=2024-02')
    expect([missing.status, missing.body.code]).toEqual([400, 'request_parameter_missing'])
  })
  it('openapi: GET /openapi.json is a valid 3.1 document describing the guarded route', async () => {
    const res = await request(buildDescribedApp(options())).get('/openapi.json')
    expect(res.status).toBe(200)
    expect(await openApi31Problems(res.body)).toEqual([])
    const income = res.body.paths['/income/{year}/{personId}'].get
    expect(income.security).toEqual([{ maskinporten: ['example:income'] }])
    expect(income['x-altinn-consent']).toMatchObject({
      resource: 'example-income',
      metadata: { inntektsaar: { from: { in: 'path', name: 'year' } } },
    })
    expect(Object.keys(income.responses)).toEqual(['200', '400', '401', '403', '503'])
  })
})
