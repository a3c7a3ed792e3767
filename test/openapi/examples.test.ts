// Both examples serve an OpenAPI 3.1 description at GET /openapi.json in which the guarded routes
// show what the guard enforces; both documents pass the official 3.1 schema.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { buildApp as buildExpress } from '../../examples/express-income-api/src/app.js'
import { loadConfig as loadExpressConfig } from '../../examples/express-income-api/src/config.js'
import { buildApp as buildFastify } from '../../examples/fastify-income-api/src/app.js'
import { loadConfig as loadFastifyConfig } from '../../examples/fastify-income-api/src/config.js'
import { openApi31Problems } from '../support/openapi.js'

type Operation = {
  security?: unknown
  parameters?: { name: string; in: string }[]
  responses: Record<string, { content: Record<string, { schema: { allOf: [unknown, { properties: { code: { enum: string[] } } }] } }> }>
  'x-altinn-consent'?: { resource: string; metadata: Record<string, unknown>; oneTime: boolean; period?: unknown }
}
type Document = {
  paths: Record<string, { get: Operation }>
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> }
}

const env = { MASKINPORTEN_ENV: 'test', LOG_LEVEL: 'silent' }

async function fastifyDocument(): Promise<unknown> {
  const app = await buildFastify(loadFastifyConfig(env), { logSink: { write: () => undefined } })
  try {
    const res = await app.inject({ url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    return res.json()
  } finally {
    await app.close()
  }
}

async function expressDocument(): Promise<unknown> {
  const app = buildExpress(loadExpressConfig(env), { logSink: { write: () => undefined } })
  try {
    const res = await request(app).get('/openapi.json')
    expect(res.status).toBe(200)
    return res.body
  } finally {
    await (app.locals.close as () => Promise<void>)()
  }
}

describe.each([
  // Both examples answer refusals as problem+json (the Fastify one through the plugin's problemDetails option).
  ['fastify-income-api', fastifyDocument, 'application/problem+json'],
  ['express-income-api', expressDocument, 'application/problem+json'],
])('%s GET /openapi.json', (_name, load, errorMedia) => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(await openApi31Problems(await load())).toEqual([])
  })

  it('shows /income/{year}/{personId} guarded: bearer security, x-altinn-consent, 401 and 403', async () => {
    const doc = (await load()) as Document
    const income = doc.paths['/income/{year}/{personId}']!.get
    expect(income.security).toEqual([{ maskinporten: ['example:income'] }])
    expect(doc.components.securitySchemes.maskinporten).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(income['x-altinn-consent']).toMatchObject({ resource: 'example-income', oneTime: false })
    expect(Object.keys(income['x-altinn-consent']!.metadata)).toEqual(['inntektsaar'])
    expect(income.responses['401']!.content[errorMedia]!.schema.allOf[1].properties.code.enum).toContain('credentials_missing')
    expect(income.responses['403']!.content[errorMedia]!.schema.allOf[1].properties.code.enum).toContain('consent_metadata_mismatch')
    expect(income.parameters?.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['year', 'personId'])
  })

  it('shows the one-time and period routes, and leaves /health open', async () => {
    const doc = (await load()) as Document
    expect(doc.paths['/loan-check/{personId}']!.get['x-altinn-consent']).toMatchObject({ resource: 'example-loan-check', oneTime: true })
    expect(doc.paths['/income-period/{personId}']!.get['x-altinn-consent']).toMatchObject({
      period: {
        start: 'fraogmed',
        end: 'tilogmed',
        from: [
          { in: 'query', name: 'from' },
          { in: 'query', name: 'to' },
        ],
      },
    })
    const health = doc.paths['/health']!.get
    expect(health.security).toBeUndefined()
    expect(health['x-altinn-consent']).toBeUndefined()
    expect(Object.keys(health.responses)).toEqual(['200'])
    expect(doc.paths['/openapi.json']).toBeUndefined()
  })
})

it('the validator refuses a broken document (so the checks above can fail)', async () => {
  const doc = (await expressDocument()) as Document & Record<string, unknown>
  expect(await openApi31Problems({ ...doc, openapi: '3.1.0', info: undefined })).not.toEqual([])
  const income = doc.paths['/income/{year}/{personId}']!.get
  expect(await openApi31Problems({ ...doc, paths: { '/x': { get: { ...income, security: [{ nope: [] }] } } } })).toEqual([
    'get /x: unknown security scheme nope',
  ])
  expect(await openApi31Problems({ ...doc, components: {} })).toContain('unresolved $ref #/components/schemas/ConsentGuardProblem')
})
