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
