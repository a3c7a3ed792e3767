import { ConsentGuardConfigError } from '@consent-guard/core'
import swagger from '@fastify/swagger'
import { Type } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { openApi31Problems } from '../../../test/support/openapi.js'
import consentGuard, { fromParam, period, type ConsentGuardPluginOptions } from '../src/index.js'
import { buildDescribedServer } from './docs-example.js'

type Operation = Record<string, unknown> & {
  security?: unknown
  responses: Record<string, { content?: Record<string, { schema: { allOf: [unknown, { properties: { code: { enum: string[] } } }] } }> }>
  'x-altinn-consent'?: Record<string, unknown>
}

async function build(options: Partial<ConsentGuardPluginOptions> = {}, withSwagger = true) {
  const app = Fastify()
  if (withSwagger) await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'income', version: '1' } } })
  await app.register(consentGuard, { maskinporten: 'test', ...options })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      schema: { response: { 200: Type.Object({ income: Type.Number() }) } },
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subjectType: 'person',
          subject: fromParam('personId'),
          metadata: { inntektsaar: { equals: (request) => request.params.year } },
        },
      },
    },
    async () => ({ income: 1 }),
  )
  app.get(
    '/income-period/:personId',
    {
      config: {
        consent: {
          resource: 'example-income-period',
          subject: fromParam('personId'),
          period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('from', 'to') },
          oneTime: true,
        },
      },
    },
    async () => 'x',
  )
  app.get('/health', { config: { consent: false } }, async () => ({ status: 'ok' }))
  app.get('/unguarded', async () => 'x')
  await app.ready()
  return app
}

const op = (doc: unknown, path: string): Operation => (doc as { paths: Record<string, { get: Operation }> }).paths[path]!.get

describe('@fastify/swagger integration', () => {
  it('describes guarded routes: bearer security with scopes, error responses, x-altinn-consent; a valid OpenAPI 3.1 document', async () => {
    const app = await build()
    const doc = app.swagger() as unknown as Record<string, unknown>
    expect(await openApi31Problems(doc)).toEqual([])

    const income = op(doc, '/income/{year}/{personId}')
    expect(income.security).toEqual([{ maskinporten: ['example:income'] }])
    expect(income['x-altinn-consent']).toMatchObject({
      resource: 'example-income',
      action: 'consent',
      subject: { type: 'person', from: { in: 'path', name: 'personId' } },
      metadata: { inntektsaar: { rule: 'equals', from: { in: 'request' } } },
      oneTime: false,
    })
    expect(Object.keys(income.responses).sort()).toEqual(['200', '400', '401', '403', '503'])
    // Fastify's default error body, unless told the app sends problem+json.
    const forbidden = income.responses['403']!.content!['application/json']!.schema.allOf[1].properties.code.enum
    expect(forbidden).toContain('scope_missing')
    expect(forbidden).not.toContain('consent_already_used')

    const periodOp = op(doc, '/income-period/{personId}')
    expect(periodOp['x-altinn-consent']).toMatchObject({
      oneTime: true,
      period: {
        from: [
          { in: 'query', name: 'from' },
          { in: 'query', name: 'to' },
        ],
      },
    })
    expect(periodOp.security).toEqual([{ maskinporten: [] }])
    expect(periodOp.responses['403']!.content!['application/json']!.schema.allOf[1].properties.code.enum).toContain('consent_already_used')

    for (const path of ['/health', '/unguarded']) {
      const plain = op(doc, path)
      expect(plain.security).toBeUndefined()
      expect(plain['x-altinn-consent']).toBeUndefined()
      expect(Object.keys(plain.responses)).toEqual(['200'])
    }
    const components = doc.components as { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> }
    expect(components.securitySchemes).toEqual({ maskinporten: expect.objectContaining({ type: 'http', scheme: 'bearer' }) })
    expect(components.schemas).toHaveProperty('ConsentGuardError')
    // The YAML form carries the same description (as JSON, which is YAML).
    expect(JSON.parse(app.swagger({ yaml: true }))).toEqual(doc)
    await app.close()
  })

  it('adds the consent-header scheme in two-token mode and the problem+json body on request', async () => {
    const app = await build({ consentHeader: 'AltinnSamtykke', openapi: { errorFormat: 'problem' } })
    const doc = app.swagger() as unknown as Record<string, unknown>
    expect(await openApi31Problems(doc)).toEqual([])
    const income = op(doc, '/income/{year}/{personId}')
    expect(income.security).toEqual([{ maskinporten: ['example:income'], altinnConsentToken: [] }])
    expect((doc.components as { securitySchemes: Record<string, unknown> }).securitySchemes.altinnConsentToken).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'altinnsamtykke',
    })
    expect(Object.keys(income.responses['401']!.content!)).toEqual(['application/problem+json'])
    await app.close()
  })

  it('leaves route schemas for validation and serialisation as they were', async () => {
    const app = await build()
    // A refusal still gets Fastify's default body, not one shaped by a documented schema.
    const res = await app.inject({ url: '/income/2023/12345678901' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({
      statusCode: 401,
      code: 'credentials_missing',
      error: 'Unauthorized',
      message: 'Bearer credentials are required',
    })
    await app.close()
  })

  it('does nothing with openapi: false or without @fastify/swagger, and refuses bad options', async () => {
    const off = await build({ openapi: false })
    expect(op(off.swagger(), '/income/{year}/{personId}')['x-altinn-consent']).toBeUndefined()
    await off.close()
    const bare = await build({}, false)
    expect(bare.hasDecorator('swagger')).toBe(false)
    await bare.close()
    await expect(build({ openapi: { errorFormat: 'xml' as 'problem' } })).rejects.toThrow(ConsentGuardConfigError)
    await expect(build({ openapi: { names: { bearer: 'has space' } } })).rejects.toThrow(/names.bearer/)
    await expect(build({ openapi: { colour: 'red' } as never })).rejects.toMatchObject({ code: 'option_unknown' })
  })
})

it('docs/fastify.md openapi example: GET /openapi.json is a valid 3.1 document describing the guarded route', async () => {
  const fastify = await buildDescribedServer('test')
  const res = await fastify.inject({ url: '/openapi.json' })
  const doc = res.json()
  expect(await openApi31Problems(doc)).toEqual([])
  expect(Object.keys(doc.paths)).toEqual(['/income/{year}/{personId}'])
  expect(op(doc, '/income/{year}/{personId}')['x-altinn-consent']).toMatchObject({
    subject: { type: 'any', from: { in: 'path', name: 'personId' } },
    metadata: { inntektsaar: { rule: 'equals', from: { in: 'path', name: 'year' } } },
  })
  await fastify.close()
})
