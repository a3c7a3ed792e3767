import { Readable } from 'node:stream'
import type { ConsentGuardOptions, DisclosureRecord } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import express5 from 'express'
import express4 from 'express4'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consentErrorHandler, createConsentGuard, getConsent } from '../src/index.js'

const { personA, personB } = TEST_IDENTITIES
const requirement = {
  scope: 'example:income',
  resource: 'example-income',
  subject: (req: { params: Record<string, string> }) => req.params.personId,
  metadata: { inntektsaar: { equals: (req: { params: Record<string, string> }) => req.params.year } },
}

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(() => issuer.close())

const token = () =>
  issuer.consentToken({ scope: 'example:income', consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } } })

describe.each([
  ['express 5', express5],
  ['express 4', express4],
] as const)('%s disclosure wiring', (_name, express) => {
  function build(options: Partial<ConsentGuardOptions>) {
    const guard = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, ...options })
    const app = express()
    // Stands in for the adapter's correlation middleware, which sets req.correlationId.
    app.use((req, _res, next) => {
      const id = req.get('x-correlation-id')
      if (id !== undefined) (req as { correlationId?: string }).correlationId = id
      next()
    })
    const guarded = guard.require(requirement)
    app.get('/income/:year/:personId', guarded, (req, res) => {
      if (req.get('x-fail') === '1') return void res.status(500).json({ error: 'boom' })
      res.json({ income: 123_456, consentId: getConsent(req).id })
    })
    // Every way a body can leave: writeHead + write + end, and a piped stream.
    app.get('/stream/:year/:personId', guarded, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-handler': 'stream' })
      res.write('income=')
      res.end('123456')
    })
    app.get('/pipe/:year/:personId', guarded, (_req, res) => {
      res.type('text/plain')
      Readable.from(['income=', '123456']).pipe(res)
    })
    // A mount path: the matched URL (with the subject) is all Express knows of the pattern.
    app.use('/mounted/:year/:personId', guarded, (_req, res) => {
      res.json({ income: 123_456 })
    })
    app.use(consentErrorHandler())
    return app
  }

  it('records one disclosure per 2xx guarded answer and none for refusals or errors', async () => {
    const records: DisclosureRecord[] = []
    const app = build({ onDisclosure: (r) => void records.push(r) })
    const t = await token()
    const ok = await request(app).get(`/income/2023/${personA}`).set('authorization', `Bearer ${t}`).set('x-correlation-id', 'corr-42')
    expect(ok.status).toBe(200)
    expect(ok.body.income).toBe(123_456)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      subject: { type: 'person', id: personA },
      consentId: ok.body.consentId,
      method: 'GET',
      route: '/income/:year/:personId',
      status: 200,
      correlationId: 'corr-42',
      legalBasis: 'consent',
    })
    expect((await request(app).get(`/income/2023/${personB}`).set('authorization', `Bearer ${t}`)).status).toBe(403)
    expect((await request(app).get(`/income/2023/${personA}`)).status).toBe(401)
    expect((await request(app).get(`/income/2023/${personA}`).set('authorization', `Bearer ${t}`).set('x-fail', '1')).status).toBe(500)
    expect((await request(app).head(`/income/2023/${personA}`).set('authorization', `Bearer ${t}`)).status).toBe(200)
    expect(records).toHaveLength(1)
    const streamed = await request(app).get(`/stream/2023/${personA}`).set('authorization', `Bearer ${t}`)
    expect([streamed.status, streamed.text, streamed.headers['x-handler']]).toEqual([200, 'income=123456', 'stream'])
    const piped = await request(app).get(`/pipe/2023/${personA}`).set('authorization', `Bearer ${t}`)
    expect([piped.status, piped.text]).toEqual([200, 'income=123456'])
    expect((await request(app).get(`/mounted/2023/${personA}`).set('authorization', `Bearer ${t}`)).status).toBe(200)
    expect(records.map((r) => r.route)).toEqual([
      '/income/:year/:personId',
      '/stream/:year/:personId',
      '/pipe/:year/:personId',
      '/mounted/2023/:subject',
    ])
  })

  it('fail-closed: a failing sink answers 503 disclosure_log_unavailable without the data, for every way of writing', async () => {
    const app = build({ onDisclosure: () => Promise.reject(new Error('database down')) })
    const t = await token()
    for (const path of ['income', 'stream', 'pipe']) {
      const res = await request(app).get(`/${path}/2023/${personA}`).set('authorization', `Bearer ${t}`)
      expect(res.status).toBe(503)
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
      expect(res.body).toMatchObject({ code: 'disclosure_log_unavailable', status: 503 })
      expect(res.text).not.toContain('123456')
      expect(res.headers['x-handler']).toBeUndefined()
      expect(res.headers['retry-after']).toBe('5')
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })

  it('fail-closed: a slow sink is cut off after disclosureTimeoutMs', async () => {
    const app = build({ onDisclosure: () => new Promise(() => undefined), disclosureTimeoutMs: 100 })
    const res = await request(app)
      .get(`/income/2023/${personA}`)
      .set('authorization', `Bearer ${await token()}`)
    expect(res.status).toBe(503)
    expect(res.text).not.toContain('123456')
  })

  it('fail-closed: nothing reaches the client until the record is written', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const app = build({ onDisclosure: () => held, disclosureTimeoutMs: 10_000 })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { port } = server.address() as { port: number }
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
    } finally {
      server.close()
    }
  })

  it('fire-and-forget: records after the answer finished and keeps the answer when the sink fails', async () => {
    const records: DisclosureRecord[] = []
    const app = build({ disclosureMode: 'fire-and-forget', onDisclosure: (r) => void records.push(r) })
    const ok = await request(app)
      .get(`/income/2023/${personA}`)
      .set('authorization', `Bearer ${await token()}`)
    expect(ok.status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(records.map((r) => r.status)).toEqual([200])
    const failing = build({ disclosureMode: 'fire-and-forget', onDisclosure: () => Promise.reject(new Error('down')) })
    const res = await request(failing)
      .get(`/income/2023/${personA}`)
      .set('authorization', `Bearer ${await token()}`)
    expect(res.status).toBe(200)
    expect(res.body.income).toBe(123_456)
  })
})
