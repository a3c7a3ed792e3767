import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import express from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent } from '@consent-guard/core'
import { consentErrorHandler, createConsentGuard, getConsent } from '../src/index.js'

const { personA } = TEST_IDENTITIES
let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(() => issuer.close())

function build(extra: Record<string, unknown> = {}) {
  const events: AuditEvent[] = []
  const consent = createConsentGuard({
    maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
    onDecision: (e) => events.push(e),
    ...extra,
  })
  const app = express()
  app.use(consent.correlation())
  app.get(
    '/income/:year/:personId',
    consent.require({
      scope: 'example:income',
      resource: 'example-income',
      subject: (req) => req.params.personId,
      metadata: { inntektsaar: { equals: (req) => req.params.year } },
    }),
    (req, res) => void res.json({ id: getConsent(req).id, correlationId: req.correlationId }),
  )
  app.get('/boom/:x', () => {
    throw new Error(`lookup of ${personA} failed`)
  })
  app.use(consentErrorHandler({ allErrors: true }))
  return { app, events, consent }
}

describe('express: operations', () => {
  it('echoes a safe incoming correlation id on the response, the audit event and the problem body', async () => {
    const { app, events } = build({ correlationHeader: 'Korrelasjonsid' })
    const res = await request(app).get(`/income/2023/${personA}`).set('Korrelasjonsid', 'bank-7')
    expect(res.status).toBe(401)
    expect(res.headers.korrelasjonsid).toBe('bank-7')
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(res.body).toMatchObject({
      type: 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#credentials_missing',
      code: 'credentials_missing',
      correlationId: 'bank-7',
    })
    expect(events[0]).toMatchObject({ decision: 'rejected', correlationId: 'bank-7', durationMs: expect.any(Number) })
  })

  it('replaces an unsafe correlation id; accepted requests carry it too', async () => {
    const { app, events } = build()
    const token = await issuer.consentToken({
      scope: 'example:income',
      consent: { resource: 'example-income', metadata: { inntektsaar: '2023' } },
    })
    const res = await request(app)
      .get(`/income/2023/${personA}`)
      .set('authorization', `Bearer ${token}`)
      .set('x-correlation-id', `fnr-${personA}`)
    expect(res.status).toBe(200)
    const id = res.headers['x-correlation-id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.body).toMatchObject({ correlationId: id })
    expect(events[0]).toMatchObject({ decision: 'accepted', correlationId: id })
  })

  it('allErrors: a bad percent-escape is 400 and a fault 500, neither echoing the URL or the message', async () => {
    const { app } = build()
    const bad = await request(app).get(`/income/2023/${personA}%E0%A4%A`)
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 })
    expect(bad.text).not.toContain(personA)
    const boom = await request(app).get('/boom/1')
    expect(boom.status).toBe(500)
    expect(boom.body).toMatchObject({ title: 'Internal Server Error', status: 500, correlationId: expect.any(String) })
    expect(boom.text).not.toContain(personA)
  })
})
