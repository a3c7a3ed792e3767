import type { Server } from 'node:http'
import { consentErrorHandler, createConsentGuard, getConsent as expressConsent } from '@consent-guard/express'
import consentGuard, { getConsent as fastifyConsent } from '@consent-guard/fastify'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDisclosureLog, type DisclosureLog } from '../src/index.js'
import { describeWithPostgres, startPostgresServer, type PostgresServer } from './support/postgres-server.js'

const { personA, personB } = TEST_IDENTITIES
const requirement = {
  scope: 'example:income',
  resource: 'example-income',
  subject: (req: { params: Record<string, string> }) => req.params.personId,
  metadata: { inntektsaar: { equals: (req: { params: Record<string, string> }) => req.params.year } },
}

/** Starts one adapter's app on a loopback port; resolves its base URL and a closer. */
type Start = (issuer: TestIssuer, log: DisclosureLog) => Promise<{ url: string; close: () => Promise<void> }>

const startFastify: Start = async (issuer, log) => {
  const app = Fastify()
  await app.register(consentGuard, {
    maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
    onDisclosure: log.record,
    disclosureTimeoutMs: 3000,
  })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    { config: { consent: requirement } },
    async (request) => ({
      income: 654_321,
      consentId: fastifyConsent(request).id,
    }),
  )
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}

const startExpress: Start = async (issuer, log) => {
  const guard = createConsentGuard({
    maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
    onDisclosure: log.record,
    disclosureTimeoutMs: 3000,
  })
  const app = express()
  app.get('/income/:year/:personId', guard.require(requirement), (req, res) => {
    res.json({ income: 654_321, consentId: expressConsent(req).id })
  })
  app.use(consentErrorHandler())
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describeWithPostgres('disclosures recorded by the adapters in PostgreSQL (fail-closed)', () => {
  let server: PostgresServer
  let issuer: TestIssuer

  beforeAll(async () => {
    server = await startPostgresServer()
    issuer = await createTestIssuer()
  })
  afterAll(async () => {
    await issuer?.close()
    await server?.stop()
  })

  describe.each([
    ['fastify', startFastify],
    ['express', startExpress],
  ] as const)('%s', (name, start) => {
    let log: DisclosureLog
    let app: Awaited<ReturnType<Start>>
    beforeAll(async () => {
      log = createDisclosureLog({ connectionString: await server.createDatabase(`${name}_adapter`), connectionTimeoutMs: 1000 })
      await log.migrate()
      app = await start(issuer, log)
    })
    afterAll(async () => {
      await app?.close()
      await log?.close()
    })

    const token = (jti?: string) =>
      issuer.consentToken({
        scope: 'example:income',
        consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } },
        ...(jti !== undefined && { jti }),
      })
    const get = (path: string, bearer?: string) =>
      fetch(`${app.url}${path}`, { headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } })

    it('writes one row per 2xx answer and none for refusals', async () => {
      const t = await token()
      const ok = await get(`/income/2023/${personA}`, t)
      expect(ok.status).toBe(200)
      const { consentId } = (await ok.json()) as { consentId: string }
      expect((await get(`/income/2023/${personB}`, t)).status).toBe(403)
      expect((await get(`/income/2024/${personA}`, t)).status).toBe(403)
      expect((await get(`/income/2023/${personA}`)).status).toBe(401)
      const rows = await log.disclosuresFor(personA)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ consentId, subject: { type: 'person', id: personA }, status: 200, route: '/income/:year/:personId' })
      expect(await log.disclosuresFor(personB)).toEqual([])
      expect(await log.disclosuresOfConsent(consentId)).toHaveLength(1)
    })

    it('records every one of many concurrent requests', async () => {
      const before = (await log.disclosuresFor(personA)).length
      const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => token(`${name}-concurrent-${i}`)))
      const statuses = await Promise.all(tokens.map(async (t) => (await get(`/income/2023/${personA}`, t)).status))
      expect(statuses).toEqual(tokens.map(() => 200))
      const rows = await log.disclosuresFor(personA)
      expect(rows).toHaveLength(before + 30)
      expect(new Set(rows.map((r) => r.jti)).size).toBe(before + 30)
    })

    it('answers 503 with no data while the database is stopped, and records again after', async () => {
      await server.halt()
      try {
        const res = await get(`/income/2023/${personA}`, await token())
        const body = await res.text()
        expect(res.status).toBe(503)
        expect(body).toContain('disclosure_log_unavailable')
        expect(body).not.toContain('654321')
        expect(body).not.toContain('consentId')
      } finally {
        await server.restart()
      }
      const before = (await log.disclosuresFor(personA)).length
      expect((await get(`/income/2023/${personA}`, await token())).status).toBe(200)
      expect(await log.disclosuresFor(personA)).toHaveLength(before + 1)
    })
  })
})
