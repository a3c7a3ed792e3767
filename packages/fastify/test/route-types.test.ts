// Type tests: the route's generics and type provider reach `config.consent`. `pnpm typecheck`
// checks every `@ts-expect-error` below (an unused one fails the build); vitest runs the routes.
import { createTestIssuer, TEST_IDENTITIES } from '@consent-guard/testkit'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import consentGuard, { fromParam, getConsent, period } from '../src/index.js'
import { buildTypedServer } from './docs-example.js'

const NOW = 1_784_361_435
const issuer = await createTestIssuer({ now: NOW })
afterAll(() => issuer.close())
const { personA } = TEST_IDENTITIES

async function app() {
  const fastify = Fastify()
  await fastify.register(consentGuard, {
    maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
    clock: () => new Date(NOW * 1000),
  })
  return fastify
}

describe('route generics in config.consent', () => {
  it('types params and query from the route generic; a typo does not compile', async () => {
    const fastify = await app()
    fastify.get<{ Params: { year: string; personId: string }; Querystring: { from: string; to: string; page?: string } }>(
      '/income/:year/:personId',
      {
        config: {
          consent: {
            resource: 'example-income',
            subject: (request) => {
              expectTypeOf(request.params).toEqualTypeOf<{ year: string; personId: string }>()
              expectTypeOf(request.query.page).toEqualTypeOf<string | undefined>()
              return request.params.personId
            },
            metadata: { inntektsaar: { equals: (request) => request.params.year } },
          },
        },
      },
      async (request) => request.params.year,
    )
    fastify.get<{ Params: { year: string; personId: string } }>(
      '/typo/:year/:personId',
      {
        config: {
          consent: {
            resource: 'example-income',
            // @ts-expect-error `personid` is not a declared path parameter
            subject: (request) => request.params.personid,
          },
        },
      },
      async () => 'x',
    )
    // Shorthand with the handler inside the options, and route().
    fastify.get<{ Params: { personId: string } }>('/inline/:personId', {
      // @ts-expect-error `id` is not a declared path parameter
      config: { consent: { resource: 'example-income', subject: (request) => request.params.id } },
      handler: async () => 'x',
    })
    fastify.route<{ Params: { personId: string } }>({
      method: 'GET',
      url: '/route/:personId',
      config: { consent: { resource: 'example-income', subject: (request) => request.params.personId } },
      handler: async (request) => request.params.personId,
    })
    // Declared headers reach the requirement too.
    fastify.get<{ Headers: { 'x-person-id': string } }>(
      '/me',
      {
        config: {
          consent: {
            resource: 'example-income',
            subject: (request) => {
              expectTypeOf(request.headers['x-person-id']).toEqualTypeOf<string>()
              return request.headers['x-person-id']
            },
          },
        },
      },
      async () => 'x',
    )
    // Undeclared routes keep the open record, and routes without consent are untouched.
    fastify.get(
      '/open/:personId',
      { config: { consent: { resource: 'example-income', subject: (request) => request.params.anything } } },
      async () => 'x',
    )
    fastify.get('/plain', { config: { consent: false } }, async () => 'plain')
    fastify.get('/no-config', async () => 'plain')
    await fastify.ready()
    await fastify.close()
  })

  it('types params and query from a TypeBox schema, values as sent before validation', async () => {
    const fastify = (await app()).withTypeProvider<TypeBoxTypeProvider>()
    fastify.get(
      '/income-period/:personId',
      {
        schema: {
          params: Type.Object({ personId: Type.String() }),
          querystring: Type.Object({ fraOgMed: Type.String(), tilOgMed: Type.String(), limit: Type.Optional(Type.Number()) }),
        },
        config: {
          consent: {
            resource: 'example-income-period',
            subject: (request) => {
              expectTypeOf(request.params.personId).toEqualTypeOf<string>()
              // Not yet coerced by validation: a declared number is still the string sent.
              expectTypeOf(request.query.limit).toEqualTypeOf<string | string[] | undefined>()
              return request.params.personId
            },
            period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
          },
        },
      },
      async (request) => {
        // The handler runs after validation and sees the declared types.
        expectTypeOf(request.query.limit).toEqualTypeOf<number | undefined>()
        return { personId: request.params.personId, consent: getConsent(request).right.metadata }
      },
    )
    const schema = {
      params: Type.Object({ personId: Type.String() }),
      querystring: Type.Object({ fraOgMed: Type.String(), tilOgMed: Type.String() }),
    }
    fastify.get(
      '/typo/:personId',
      {
        schema,
        config: {
          consent: {
            resource: 'example-income-period',
            // @ts-expect-error `personid` is not in the params schema
            subject: (request) => request.params.personid,
          },
        },
      },
      async () => 'x',
    )
    // @ts-expect-error `fom` is not in the querystring schema
    fastify.get(
      '/query-typo/:personId',
      {
        schema,
        config: {
          consent: {
            resource: 'example-income-period',
            subject: fromParam('personId'),
            period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fom', 'tilOgMed') },
          },
        },
      },
      async () => 'x',
    )
    // @ts-expect-error `personid` is not in the params schema
    fastify.get(
      '/helper/:personId',
      { schema, config: { consent: { resource: 'example-income', subject: fromParam('personid') } } },
      async () => 'x',
    )

    const token = await issuer.consentToken({
      consent: { from: { person: personA }, resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
    })
    const get = (url: string) => fastify.inject({ url, headers: { authorization: `Bearer ${token}` } })
    const ok = await get(`/income-period/${personA}?fraOgMed=2024-02&tilOgMed=2024-03&limit=5`)
    expect([ok.statusCode, ok.json()]).toEqual([200, { personId: personA, consent: { fraogmed: '2024-01', tilogmed: '2024-12' } }])
    const outside = await get(`/income-period/${personA}?fraOgMed=2023-02&tilOgMed=2024-03`)
    expect([outside.statusCode, outside.json().code]).toEqual([403, 'consent_metadata_mismatch'])
    const repeated = await get(`/income-period/${personA}?fraOgMed=2024-02&fraOgMed=2024-03&tilOgMed=2024-03`)
    expect([repeated.statusCode, repeated.json().code]).toEqual([400, 'request_parameter_invalid'])
    await fastify.close()
  })

  it('types requireConsent with the generic it is given', async () => {
    const fastify = await app()
    fastify.requireConsent<{ Params: { orgno: string } }>({
      resource: 'example-company-accounts',
      subject: (request) => request.params.orgno,
    })
    fastify.requireConsent<{ Params: { orgno: string } }>({
      resource: 'example-company-accounts',
      // @ts-expect-error `org` is not a declared path parameter
      subject: (request) => request.params.org,
    })
    fastify.requireConsent({ resource: 'example-company-accounts', subject: (request) => request.params.whatever })
    await fastify.close()
  })
})

describe('docs/fastify.md examples', () => {
  it('typed: a TypeBox route with period.fromQuery answers inside the period and refuses outside', async () => {
    // The example runs on the real clock: an issuer on the real clock too.
    const live = await createTestIssuer()
    const fastify = await buildTypedServer({ issuer: live.issuer, jwksUri: live.jwksUri })
    const token = await live.consentToken({
      scope: 'example:income',
      consent: { from: { person: personA }, resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-06' } },
    })
    const get = (query: string) =>
      fastify.inject({ url: `/income-period/${personA}?${query}`, headers: { authorization: `Bearer ${token}` } })
    expect((await get('fraOgMed=2024-02&tilOgMed=2024-06')).statusCode).toBe(200)
    const outside = await get('fraOgMed=2024-02&tilOgMed=2024-07')
    expect([outside.statusCode, outside.json().code]).toEqual([403, 'consent_metadata_mismatch'])
    await fastify.close()
    await live.close()
  })
})
