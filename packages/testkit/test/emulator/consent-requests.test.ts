import { randomUUID } from 'node:crypto'
import { organizationUrn, personUrn, startEmulator, TEST_IDENTITIES, type Emulator } from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, call, client, fakeClock, requestBody } from './helpers.js'

const { personA, consumerOrgno, otherOrgno } = TEST_IDENTITIES
const clock = fakeClock()
let emu: Emulator
let bankToken: string

beforeAll(async () => {
  emu = await startEmulator({
    clock: clock.now,
    resources: {
      'example-income': { metadata: ['inntektsaar'], title: 'Inntekt' },
      'example-income-period': { metadata: ['fraogmed', 'tilogmed'] },
      'restricted-resource': { accessList: [otherOrgno] },
    },
  })
  bankToken = await bearer(emu, client(emu))
})
afterAll(() => emu.close())

/** Creates a request as the bank, as another token's holder, or (null) unauthenticated. */
const create = (body: Record<string, unknown>, token: string | null = bankToken) =>
  call(emu.consentRequestsUrl, { body, ...(token !== null ? { token } : {}) })
const body = (overrides: Record<string, unknown> = {}) => requestBody(overrides, clock.ms)

describe('POST /accessmanagement/api/v1/enterprise/consentrequests', () => {
  it('creates with 201 and Location, answers 200 with the stored request for the same id', async () => {
    const b = body({ portalViewMode: 'Show' })
    const first = await create(b)
    expect(first.status).toBe(201)
    expect(first.headers.get('location')).toBe(`${emu.consentRequestsUrl}/${b.id}`)
    expect(first.body).toMatchObject({
      id: b.id,
      from: b.from,
      to: b.to,
      requiredDelegator: null,
      handledBy: null,
      status: 'created',
      consented: null,
      redirectUrl: b.redirectUrl,
      requestMessage: b.requestMessage,
      portalViewMode: 'show',
      // `metaData` in the request is stored and returned as `metadata`.
      consentRights: [
        { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'example-income' }], metadata: { inntektsaar: '2024' } },
      ],
    })
    expect(first.body.validTo).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/)
    const again = await create({ ...b, requestMessage: { en: 'changed' } })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
  })

  it('validates the body like Altinn, field by field', async () => {
    const res = await create(
      body({
        id: 'not-a-uuid',
        from: 'urn:altinn:person:identifier-no:25922947408', // wrong control digit
        to: 'urn:altinn:organization:identifier-no:123456789',
        validTo: new Date(clock.ms - 1000).toISOString(),
        consentRights: [],
        redirectUrl: 'javascript:alert(1)',
        portalViewMode: 'sometimes',
      }),
    )
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(res.body).toMatchObject({ status: 400, code: 'validation_failed' })
    expect(Object.keys(res.body.errors).sort()).toEqual(['consentRights', 'from', 'id', 'portalViewMode', 'redirectUrl', 'to', 'validTo'])
  })

  it('checks rights against registered resources: metadata keys required, unknown keys refused, values non-empty', async () => {
    const rights = (value: string, metadata: unknown) => [
      { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value }], metadata },
    ]
    const missing = await create(body({ consentRights: rights('example-income-period', { fraogmed: '2024-01' }) }))
    expect(missing.status).toBe(400)
    expect(Object.keys(missing.body.errors)).toEqual(['consentRights[0].metadata.tilogmed'])
    const unknown = await create(body({ consentRights: rights('example-income', { inntektsaar: '2024', extra: 'x' }) }))
    expect(Object.keys(unknown.body.errors)).toEqual(['consentRights[0].metadata.extra'])
    const empty = await create(body({ consentRights: rights('example-income', { inntektsaar: ' ' }) }))
    expect(empty.status).toBe(400)
    // Unregistered resources take any metadata.
    expect((await create(body({ consentRights: rights('some-other-resource', { anything: 'x' }) }))).status).toBe(201)
  })

  it('answers 403 for a resource whose access list does not name the consumer', async () => {
    const res = await create(
      body({ consentRights: [{ action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'restricted-resource' }] }] }),
    )
    expect([res.status, res.body.code]).toEqual([403, 'not_on_access_list'])
  })

  it('authenticates callers with a Maskinporten token carrying altinn:consentrequests.write', async () => {
    expect((await create(body(), null)).status).toBe(401)
    expect((await create(body(), 'garbage.token.value')).status).toBe(401)
    const readOnly = await bearer(emu, client(emu), 'altinn:consentrequests.read')
    expect((await create(body(), readOnly)).body.code).toBe('insufficient_scope')
    // A consumer may only ask on its own behalf.
    const otherToken = await bearer(emu, client(emu, 'other'))
    const res = await create(body(), otherToken)
    expect([res.status, res.body.code]).toEqual([403, 'to_not_authenticated_party'])
    // The same id from another consumer is a conflict, not a lookup.
    const b = body()
    expect((await create(b)).status).toBe(201)
    const conflict = await create({ ...b, to: organizationUrn(otherOrgno) }, otherToken)
    expect(conflict.status).toBe(409)
  })
})

describe('GET .../consentrequests/{id}', () => {
  it('shows the request to its consumer only', async () => {
    const b = body()
    await create(b)
    const read = await bearer(emu, client(emu), 'altinn:consentrequests.read')
    const mine = await call(`${emu.consentRequestsUrl}/${b.id}`, { token: read })
    expect([mine.status, mine.body.id]).toEqual([200, b.id])
    const other = await call(`${emu.consentRequestsUrl}/${b.id}`, { token: await bearer(emu, client(emu, 'other')) })
    expect(other.status).toBe(404)
    expect((await call(`${emu.consentRequestsUrl}/${randomUUID()}`, { token: read })).status).toBe(404)
    expect((await call(`${emu.consentRequestsUrl}/${b.id}`)).status).toBe(401)
  })
})

describe('lifecycle: accept, reject, revoke, expire', () => {
  const act = (id: string, verb: string, payload?: unknown) =>
    call(`${emu.url}/emulator/consentrequests/${id}/${verb}`, { method: 'POST', ...(payload !== undefined ? { body: payload } : {}) })

  it('accepts once, then only revokes; records who did what', async () => {
    const b = body()
    await create(b)
    const accepted = await act(b.id, 'accept')
    expect(accepted.body).toMatchObject({ status: 'accepted', consented: expect.stringMatching(/\+00:00$/) })
    expect((await act(b.id, 'accept')).status).toBe(409)
    expect((await act(b.id, 'reject')).body.code).toBe('invalid_transition')
    const revoked = await act(b.id, 'revoke', { performedBy: personUrn(personA) })
    expect(revoked.body.status).toBe('revoked')
    expect(revoked.body.consentRequestEvents.map((e: { eventType: string }) => e.eventType)).toEqual(['Created', 'Accepted', 'Revoked'])
    expect((await act(b.id, 'revoke')).status).toBe(409)
    expect((await act(randomUUID(), 'accept')).status).toBe(404)
  })

  it('rejects a created request; a rejected request cannot be accepted', async () => {
    const b = body()
    await create(b)
    expect((await act(b.id, 'reject')).body.status).toBe('rejected')
    expect((await act(b.id, 'accept')).status).toBe(409)
  })

  it('reports expired once validTo has passed, and refuses to accept it', async () => {
    const b = body({ validTo: new Date(clock.ms + 5_000).toISOString() })
    await create(b)
    clock.advance(5_000)
    try {
      expect(emu.consents.get(b.id)?.status).toBe('expired')
      const late = await act(b.id, 'accept')
      expect([late.status, late.body.detail]).toEqual([409, 'A consent request in status "expired" cannot be accepted'])
    } finally {
      clock.advance(-5_000)
    }
  })

  it('lists every request for debugging', async () => {
    const list = await call(`${emu.url}/emulator/consentrequests`)
    expect(list.status).toBe(200)
    expect(list.body.length).toBe(emu.consents.list().length)
  })
})

describe('the consent screen (viewUri)', () => {
  it('shows what is asked with the person id masked, and accepting redirects to redirectUrl', async () => {
    const b = body()
    const created = await create(b)
    const page = await fetch(created.body.viewUri)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).toContain('example-income (Inntekt)')
    expect(html).toContain('inntektsaar = 2024')
    expect(html).toContain('25*******09')
    expect(html).not.toContain(personA)
    expect(html).toContain('value="accept"')

    const post = (decision: string) =>
      fetch(created.body.viewUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `decision=${decision}`,
        redirect: 'manual',
      })
    const accepted = await post('accept')
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')).toBe(b.redirectUrl)
    expect(emu.consents.get(b.id)?.status).toBe('accepted')
    expect(await (await fetch(created.body.viewUri)).text()).toContain('value="revoke"')
    const revoked = await post('revoke')
    expect(revoked.status).toBe(303)
    expect(emu.consents.get(b.id)?.status).toBe('revoked')
    expect((await post('accept')).status).toBe(409)
  })

  it('escapes what the consumer wrote', async () => {
    const b = body({ requestMessage: { en: '<script>alert(1)</script>' } })
    const created = await create(b)
    const html = await (await fetch(created.body.viewUri)).text()
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain('&lt;script&gt;')
  })

  it('lists requests on the index page and answers 404 for unknown ids', async () => {
    expect(await (await fetch(`${emu.url}/`)).text()).toContain('consent-guard emulator')
    expect((await fetch(`${emu.url}/accessmanagement/ui/consent/request?id=${randomUUID()}`)).status).toBe(404)
  })
})

describe('altinnAuth: none', () => {
  it('lets anyone create requests, taking "to" as the caller', async () => {
    const open = await startEmulator({ clock: clock.now, altinnAuth: 'none', sandboxClients: false })
    try {
      const res = await call(open.consentRequestsUrl, { body: requestBody({ to: organizationUrn(consumerOrgno) }, clock.ms) })
      expect(res.status).toBe(201)
      expect((await call(`${open.consentRequestsUrl}/${res.body.id}`)).status).toBe(200)
      expect(open.sandbox).toEqual({})
    } finally {
      await open.close()
    }
  })
})
