import { Writable } from 'node:stream'
import { loggingPreset } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import consentGuard, { getConsent } from '../src/index.js'

const { personA } = TEST_IDENTITIES
const apps: FastifyInstance[] = []
const issuers: TestIssuer[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
  await Promise.all(issuers.splice(0).map((i) => i.close()))
})

async function build(extra: Record<string, unknown> = {}, behaviour?: 'down') {
  const issuer = await createTestIssuer()
  issuers.push(issuer)
  if (behaviour !== undefined) issuer.server.setBehaviour(behaviour)
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  const app = Fastify({ logger: { ...loggingPreset(), stream } })
  apps.push(app)
  await app.register(consentGuard, { maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, ...extra })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: (r) => r.params.personId,
          metadata: { inntektsaar: { equals: (r) => r.params.year } },
        },
      },
    },
    async (request) => ({ id: getConsent(request).id, correlationId: request.correlationId }),
  )
  return { app, issuer, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('fastify: operations', () => {
  it('problemDetails renders RFC 9457 with a docs type URI and the correlation id, nothing from the token', async () => {
    const { app, issuer, records } = await build({ problemDetails: true, correlationHeader: 'Korrelasjonsid' })
    const token = await issuer.consentToken({
      scope: 'example:income',
      consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } },
    })
    const res = await app.inject({
      url: `/income/2022/${personA}`,
      headers: { authorization: `Bearer ${token}`, korrelasjonsid: 'bank-call-42' },
    })
    expect(res.statusCode).toBe(403)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(res.headers.korrelasjonsid).toBe('bank-call-42')
    expect(res.json()).toEqual({
      type: 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#consent_metadata_mismatch',
      title: 'Forbidden',
      status: 403,
      detail: 'The consent does not cover this request',
      code: 'consent_metadata_mismatch',
      correlationId: 'bank-call-42',
    })
    for (const part of token.split('.')) expect(res.body).not.toContain(part)
    expect(res.body).not.toContain(personA)
    // The rejection is logged once, as the audit line at info with code and correlation id; no stack.
    const rejected = records().filter((r) => r.decision === 'rejected')
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatchObject({
      level: 30,
      code: 'consent_metadata_mismatch',
      correlationId: 'bank-call-42',
      requestId: expect.any(String),
    })
    expect(records().some((r) => r.level !== 30 || 'stack' in ((r.err as object | undefined) ?? {}))).toBe(false)
  })

  it('generates a correlation id when none (or an unsafe one) is sent, and echoes it', async () => {
    const { app, issuer, records } = await build()
    const token = await issuer.consentToken({
      scope: 'example:income',
      consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } },
    })
    const res = await app.inject({
      url: `/income/2023/${personA}`,
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': personA },
    })
    expect(res.statusCode).toBe(200)
    const id = res.headers['x-correlation-id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.json()).toMatchObject({ correlationId: id })
    const accepted = records().find((r) => r.decision === 'accepted')
    expect(accepted).toMatchObject({ correlationId: id, durationMs: expect.any(Number) })
    // The access log's lines carry it too.
    expect(records().find((r) => r.msg === 'request completed')).toMatchObject({ correlationId: id })
  })

  it('prefetches the key sets in onReady: ready without any token; a down endpoint does not stop start-up', async () => {
    const up = await build()
    await up.app.ready()
    expect(up.issuer.server.requests).toBe(1)
    expect(up.app.consentGuard.readiness()).toMatchObject({ status: 'fresh', ready: true })

    const down = await build({}, 'down')
    await down.app.ready()
    expect(down.app.consentGuard.readiness()).toMatchObject({ status: 'unavailable', ready: false })
    expect(down.records().some((r) => r.level === 40 && r.msg === 'key sets not ready at start-up')).toBe(true)

    const off = await build({ prefetchKeys: false })
    await off.app.ready()
    expect(off.issuer.server.requests).toBe(0)
  })
})
