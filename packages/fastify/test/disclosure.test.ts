import type { DisclosureRecord } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import consentGuard, { getConsent, type ConsentGuardPluginOptions } from '../src/index.js'

const { personA, personB } = TEST_IDENTITIES
let issuer: TestIssuer
const apps: FastifyInstance[] = []

beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(() => issuer.close())
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

const token = () =>
  issuer.consentToken({ scope: 'example:income', consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } } })

async function build(options: Partial<ConsentGuardPluginOptions>): Promise<FastifyInstance> {
  const app = Fastify()
  apps.push(app)
  await app.register(consentGuard, { maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, ...options })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: (request) => request.params.personId,
          metadata: { inntektsaar: { equals: (request) => request.params.year } },
        },
      },
    },
    async (request, reply) => {
      if (request.params.year === '2023' && request.headers['x-fail'] === '1') return reply.code(500).send({ error: 'boom' })
      void reply.header('x-handler', 'income').header('content-disposition', 'attachment; filename=income.json')
      return { income: 123_456, consentId: getConsent(request).id }
    },
  )
  app.get<{ Params: { personId: string } }>(
    '/raw/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: (request) => request.params.personId,
          metadata: { inntektsaar: { any: true } },
        },
      },
    },
    async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'application/json' })
      reply.raw.end('{"income":123456}')
    },
  )
  app.get('/open', { config: { consent: false } }, async () => ({ open: true }))
  return app
}

const get = (app: FastifyInstance, url: string, bearer?: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...(bearer && { authorization: `Bearer ${bearer}` }), ...headers } })

describe('Fastify disclosure wiring', () => {
  it('records one disclosure per 2xx guarded answer, none for refusals, errors or unguarded routes', async () => {
    const records: DisclosureRecord[] = []
    const app = await build({ onDisclosure: (r) => void records.push(r) })
    const t = await token()
    const ok = await get(app, `/income/2023/${personA}`, t, { 'x-correlation-id': 'corr-7' })
    expect(ok.statusCode).toBe(200)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      subject: { type: 'person', id: personA },
      consentId: ok.json().consentId,
      method: 'GET',
      route: '/income/:year/:personId',
      status: 200,
      // The call's correlation id, as the adapter echoes it on the answer.
      correlationId: 'corr-7',
      legalBasis: 'consent',
    })
    expect(ok.headers['x-correlation-id']).toBe('corr-7')
    expect((await get(app, `/income/2023/${personB}`, t)).statusCode).toBe(403)
    expect((await get(app, `/income/2023/${personA}`)).statusCode).toBe(401)
    expect((await get(app, `/income/2023/${personA}`, t, { 'x-fail': '1' })).statusCode).toBe(500)
    expect((await get(app, '/open')).statusCode).toBe(200)
    expect(
      (await app.inject({ method: 'HEAD', url: `/income/2023/${personA}`, headers: { authorization: `Bearer ${t}` } })).statusCode,
    ).toBe(200)
    expect(records).toHaveLength(1)
  })

  it('fail-closed: an answer written past onSend (reply.hijack) is recorded after the fact, not lost', async () => {
    const records: DisclosureRecord[] = []
    const app = await build({ onDisclosure: (r) => void records.push(r) })
    const res = await get(app, `/raw/${personA}`, await token())
    expect(res.statusCode).toBe(200)
    await expect.poll(() => records.map((r) => [r.route, r.status])).toEqual([['/raw/:personId', 200]])
  })

  it('fail-closed: a failing sink turns the answer into 503 disclosure_log_unavailable without the data', async () => {
    const app = await build({ onDisclosure: () => Promise.reject(new Error('database down')) })
    const res = await get(app, `/income/2023/${personA}`, await token())
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'disclosure_log_unavailable' })
    expect(res.body).not.toContain('123456')
    expect(res.body).not.toContain('consentId')
    expect(res.headers['retry-after']).toBe('5')
    expect(res.headers['cache-control']).toBe('no-store')
    // Nothing of the handler's answer survives, headers included.
    expect(res.headers['x-handler']).toBeUndefined()
    expect(res.headers['content-disposition']).toBeUndefined()
  })

  it('fail-closed: a slow sink is cut off after disclosureTimeoutMs', async () => {
    const app = await build({ onDisclosure: () => new Promise(() => undefined), disclosureTimeoutMs: 100 })
    const started = Date.now()
    const res = await get(app, `/income/2023/${personA}`, await token())
    expect(res.statusCode).toBe(503)
    expect(res.body).not.toContain('123456')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('fail-closed: nothing reaches the client until the record is written', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const app = await build({ onDisclosure: () => held, disclosureTimeoutMs: 10_000 })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    let answered = false
    const pending = fetch(`http://127.0.0.1:${port}/income/2023/${personA}`, {
      headers: { authorization: `Bearer ${await token()}` },
    }).then(async (res) => {
      answered = true
      return { status: res.status, body: await res.text() }
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(answered).toBe(false)
    release()
    const res = await pending
    expect(res.status).toBe(200)
    expect(res.body).toContain('123456')
  })

  it('fire-and-forget: records after the answer and keeps the answer when the sink fails', async () => {
    const order: string[] = []
    const ok = await build({
      disclosureMode: 'fire-and-forget',
      onDisclosure: (r) => void order.push(`record ${r.status}`),
    })
    ok.addHook('onSend', async (_req, _reply, payload) => {
      order.push('send')
      return payload
    })
    expect((await get(ok, `/income/2023/${personA}`, await token())).statusCode).toBe(200)
    expect(order).toEqual(['send', 'record 200'])

    const failing = await build({ disclosureMode: 'fire-and-forget', onDisclosure: () => Promise.reject(new Error('down')) })
    const res = await get(failing, `/income/2023/${personA}`, await token())
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ income: 123_456 })
  })
})
