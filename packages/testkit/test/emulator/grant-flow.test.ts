import { randomUUID } from 'node:crypto'
import { createConsentGuard, headersFromRecord } from '@consent-guard/core'
import {
  buildJwtGrant,
  deterministicSigningKey,
  generateSigningKey,
  JWT_BEARER_GRANT_TYPE,
  personUrn,
  requestToken,
  startEmulator,
  TEST_IDENTITIES,
  type Emulator,
} from '@consent-guard/testkit'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shape, TT02_CONSENT_PAYLOAD } from '../fixtures/tt02.js'
import { bearer, call, client, fakeClock, grantToken, requestBody, type OAuthErrorBody } from './helpers.js'

const { personA, personB, consumerOrgno, otherOrgno, supplierOrgno } = TEST_IDENTITIES
const clock = fakeClock()
let emu: Emulator

beforeAll(async () => {
  emu = await startEmulator({ clock: clock.now, resources: { 'example-income': { metadata: ['inntektsaar'] } } })
})
afterAll(() => emu.close())

function guardFor(e: Emulator) {
  return createConsentGuard({ maskinporten: { issuer: e.issuer, jwksUri: e.jwksUri }, clock: clock.now })
}

describe('Maskinporten metadata and keys', () => {
  it('serves an RFC 8414 document naming its own endpoints, like test.maskinporten.no', async () => {
    const { status, body } = await call(emu.metadataUrl)
    expect(status).toBe(200)
    expect(body).toEqual({
      issuer: emu.issuer,
      token_endpoint: `${emu.url}/token`,
      jwks_uri: emu.jwksUri,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      grant_types_supported: [JWT_BEARER_GRANT_TYPE],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512'],
      authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
    })
    expect(emu.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  })

  it('publishes the deterministic key mp-1 without private members', async () => {
    const { body } = await call(emu.jwksUri)
    expect(body.keys).toEqual([(await deterministicSigningKey('mp-1')).publicJwk])
    expect(body.keys[0]).not.toHaveProperty('d')
  })
})

describe('the whole flow: consent request → accept → JWT grant → token the core accepts', () => {
  it('issues a TT02-shaped consent token that the core guard accepts for the consented year only', async () => {
    const bank = client(emu)
    const write = await bearer(emu, bank)
    const body = requestBody({}, clock.ms)
    const created = await call(emu.consentRequestsUrl, { token: write, body })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ id: body.id, status: 'created', consented: null, handledBy: null, portalViewMode: 'hide' })
    expect(created.body.viewUri).toBe(`${emu.url}/accessmanagement/ui/consent/request?id=${body.id}`)
    expect(created.body.consentRequestEvents).toEqual([
      expect.objectContaining({ eventType: 'Created', performedBy: `urn:altinn:organization:identifier-no:${consumerOrgno}` }),
    ])

    const accepted = await call(`${emu.url}/emulator/consentrequests/${body.id}/accept`, { method: 'POST' })
    expect(accepted.status).toBe(200)
    expect(accepted.body.status).toBe('accepted')
    expect(accepted.body.consentRequestEvents.map((e: { eventType: string }) => e.eventType)).toEqual(['Created', 'Accepted'])

    const result = await grantToken(emu, { scope: 'example:income', consent: { id: body.id as string, from: personUrn(personA) } })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.body).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'example:income' })
    const token = result.body.access_token
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'mp-1' })
    const claims = decodeJwt(token)
    // Same members, in the same order, as Altinn's real TT02 token.
    expect(Object.keys(claims)).toEqual(Object.keys(TT02_CONSENT_PAYLOAD))
    const detail = (claims.authorization_details as Record<string, unknown>[])[0] as Record<string, unknown>
    const tt02 = (TT02_CONSENT_PAYLOAD.authorization_details as { consentRights: unknown[] }[])[0] as { consentRights: unknown[] }
    expect(Object.keys(detail)).toEqual(Object.keys(tt02))
    // The TT02 token's second right is the single-year kind: { action, resource, metadata: { inntektsaar } }.
    expect(shape(detail.consentRights)).toEqual(shape([tt02.consentRights[1]]))
    expect(claims).not.toHaveProperty('aud')
    expect(claims).not.toHaveProperty('sub')
    expect(claims).toMatchObject({
      iss: emu.issuer,
      scope: 'example:income',
      client_id: bank.clientId,
      consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${consumerOrgno}` },
      authorization_details: [
        {
          type: 'urn:altinn:consent',
          id: body.id,
          from: personUrn(personA),
          to: { authority: 'iso6523-actorid-upis', ID: `0192:${consumerOrgno}` },
          consented: accepted.body.consented,
          consentRights: [
            {
              action: ['consent'],
              resource: [{ type: 'urn:altinn:resource', value: 'example-income' }],
              metadata: { inntektsaar: '2024' },
            },
          ],
        },
      ],
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(120)
    expect(claims.iat).toBe(Math.floor(clock.ms / 1000))

    const guard = guardFor(emu)
    const route = (year: string, person: string = personA) =>
      guard.compile({
        scope: 'example:income',
        resource: 'example-income',
        subject: () => person,
        metadata: { inntektsaar: { equals: year } },
      })
    const headers = headersFromRecord({ authorization: `Bearer ${token}` })
    const consent = await guard.check({ headers, request: {} }, route('2024'))
    expect(consent).toMatchObject({ id: body.id, consumer: consumerOrgno, subject: { type: 'person', id: personA } })
    await expect(guard.check({ headers, request: {} }, route('2023'))).rejects.toMatchObject({ code: 'consent_metadata_mismatch' })
    await expect(guard.check({ headers, request: {} }, route('2024', personB))).rejects.toMatchObject({ code: 'consent_subject_mismatch' })
  })

  it('issues plain access tokens (no authorization_details) when no consent is asked for', async () => {
    const result = await grantToken(emu, { scope: ['example:income', 'example:other'] })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const claims = decodeJwt(result.body.access_token)
    expect(claims.scope).toBe('example:income example:other')
    expect(claims).not.toHaveProperty('authorization_details')
  })

  it('copies an audience restriction (resource) into aud', async () => {
    const result = await grantToken(emu, { resource: 'https://api.example/income' })
    expect(result.ok && decodeJwt(result.body.access_token).aud).toBe('https://api.example/income')
  })
})

describe('consent refusals at /token (docs/testkit.md)', () => {
  const seed = (overrides: Partial<Parameters<Emulator['consents']['grant']>[0]> = {}) =>
    emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' }, ...overrides })

  async function refusal(consent: { id: string; from: string }, as = client(emu)) {
    const result = await grantToken(emu, { as, consent })
    expect(result.ok).toBe(false)
    expect(result.status).toBe(400)
    return result.body as OAuthErrorBody
  }

  it('refuses a consent that does not exist', async () => {
    expect(await refusal({ id: randomUUID(), from: personUrn(personA) })).toEqual({
      error: 'invalid_authorization_details',
      error_description: 'No consent with this id exists',
      consent_error: 'consent_not_found',
    })
  })

  it('refuses a request that was never accepted, and one that was rejected', async () => {
    const created = seed({ status: 'created' })
    expect((await refusal({ id: created.id, from: created.from })).consent_error).toBe('consent_not_accepted')
    const rejected = seed({ status: 'rejected' })
    expect((await refusal({ id: rejected.id, from: rejected.from })).consent_error).toBe('consent_rejected')
  })

  it('refuses a revoked consent, which worked before', async () => {
    const consent = seed()
    expect((await grantToken(emu, { consent: { id: consent.id, from: consent.from } })).ok).toBe(true)
    emu.consents.revoke(consent.id)
    expect((await refusal({ id: consent.id, from: consent.from })).consent_error).toBe('consent_revoked')
  })

  it('refuses an expired consent once the clock passes validTo', async () => {
    const consent = seed({ validTo: new Date(clock.ms + 60_000) })
    expect((await grantToken(emu, { consent: { id: consent.id, from: consent.from } })).ok).toBe(true)
    clock.advance(60_000)
    try {
      expect((await refusal({ id: consent.id, from: consent.from })).consent_error).toBe('consent_expired')
      expect(emu.consents.get(consent.id)?.status).toBe('expired')
    } finally {
      clock.advance(-60_000)
    }
  })

  it('refuses a consent given to another organisation', async () => {
    const consent = seed()
    const body = await refusal({ id: consent.id, from: consent.from }, client(emu, 'other'))
    expect(body.consent_error).toBe('consent_not_for_consumer')
  })

  it('refuses when "from" names someone else than the consent', async () => {
    const consent = seed()
    expect((await refusal({ id: consent.id, from: personUrn(personB) })).consent_error).toBe('consent_from_mismatch')
  })
})

describe('JWT grant checks (Maskinporten protocol)', () => {
  const form = (fields: Record<string, string>) =>
    fetch(emu.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })

  async function grantError(options: Parameters<typeof grantToken>[1]) {
    const result = await grantToken(emu, options)
    expect(result.ok).toBe(false)
    return result.body as { error: string; error_description: string }
  }

  it('answers OAuth errors for malformed token requests', async () => {
    let res = await form({ grant_type: 'client_credentials', assertion: 'x' })
    expect([res.status, (await res.json()).error]).toEqual([400, 'unsupported_grant_type'])
    res = await form({ grant_type: JWT_BEARER_GRANT_TYPE })
    expect([res.status, (await res.json()).error]).toEqual([400, 'invalid_request'])
    res = await form({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: 'not-a-jwt' })
    expect([res.status, (await res.json()).error]).toEqual([400, 'invalid_grant'])
    res = await fetch(`${emu.tokenEndpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect([res.status, (await res.json()).error]).toEqual([400, 'invalid_request'])
    res = await fetch(`${emu.tokenEndpoint}?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(JWT_BEARER_GRANT_TYPE)}&grant_type=x&assertion=y`,
    })
    expect((await res.json()).error).toBe('invalid_request')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('refuses unknown clients and grants not signed by a registered key', async () => {
    const bank = client(emu)
    const unknown = await requestToken(
      emu.tokenEndpoint,
      await buildJwtGrant({ issuer: emu.issuer, clientId: randomUUID(), key: bank.key, scope: 's', now: emu.now() }),
    )
    expect([unknown.status, unknown.body]).toMatchObject([401, { error: 'invalid_client' }])
    const forged = await deterministicSigningKey('attacker', { kid: bank.key.kid })
    expect((await grantError({ key: forged })).error_description).toMatch(/signature/)
    const otherKid = await generateSigningKey({ kid: 'not-registered' })
    expect((await grantError({ key: otherKid })).error_description).toMatch(/kid is not registered/)
  })

  it('checks aud, iat, exp, jti and the claim allow-list', async () => {
    expect((await grantError({ issuer: 'https://test.maskinporten.no/' })).error_description).toMatch(/aud must be the issuer/)
    expect((await grantError({ now: new Date(clock.ms - 30_000) })).error_description).toMatch(/iat/)
    expect((await grantError({ lifetimeSeconds: 121 })).error_description).toMatch(/exp - iat/)
    expect((await grantError({ extra: { sub: 'x' } })).error_description).toMatch(/unsupported claim\(s\) sub/)
    expect((await grantError({ extra: { aud: [emu.issuer, 'x'] } })).error_description).toMatch(/aud/)
    const jti = randomUUID()
    expect((await grantToken(emu, { jti })).ok).toBe(true)
    expect((await grantError({ jti })).error_description).toMatch(/already been used/)
  })

  it('refuses x5c grants, which the emulator does not emulate', async () => {
    const bank = client(emu)
    const { SignJWT } = await import('jose')
    const assertion = await new SignJWT({
      aud: emu.issuer,
      iss: bank.clientId,
      iat: Math.floor(clock.ms / 1000),
      exp: Math.floor(clock.ms / 1000) + 60,
      scope: 's',
    })
      .setProtectedHeader({ alg: 'RS256', x5c: ['MIIB'] })
      .sign(bank.key.privateKey)
    const result = await requestToken(emu.tokenEndpoint, assertion)
    expect(result.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/x5c/) })
  })

  it('requires a scope, and only scopes the client was granted', async () => {
    expect((await grantError({ scope: '' })).error).toBe('invalid_scope')
    const key = await deterministicSigningKey('client-2', { kid: 'restricted' })
    const restricted = await emu.registerClient({ orgno: otherOrgno, keys: [key], scopes: ['example:income'] })
    const as = { clientId: restricted.clientId, orgno: otherOrgno, key, name: 'restricted' }
    expect((await grantToken(emu, { as, scope: 'example:income' })).ok).toBe(true)
    const refused = await grantToken(emu, { as, scope: 'example:income example:secret' })
    expect(refused.body).toMatchObject({ error: 'invalid_scope', error_description: expect.stringMatching(/example:secret/) })
  })

  it('refuses malformed authorization_details and more than one consent', async () => {
    const detail = { type: 'urn:altinn:consent', id: randomUUID(), from: personUrn(personA) }
    const cases: unknown[] = [
      [detail, { ...detail, id: randomUUID() }],
      [{ type: 'urn:altinn:systemuser', systemuser_org: {} }],
      [{ ...detail, id: 'not-a-uuid' }],
      [{ ...detail, from: 'urn:altinn:person:identifier-no:25922947408' }],
      {},
    ]
    for (const authorization_details of cases) {
      expect((await grantError({ extra: { authorization_details } })).error).toBe('invalid_authorization_details')
    }
  })

  it("issues supplier tokens only with a delegation from consumer_org, and the consent must be the customer's", async () => {
    const key = await generateSigningKey({ kid: 'supplier-key' })
    const supplier = await emu.registerClient({ orgno: supplierOrgno, keys: [key], delegatedBy: [consumerOrgno] })
    const as = { clientId: supplier.clientId, orgno: supplierOrgno, key, name: 'supplier' }
    const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
    const ok = await grantToken(emu, { as, consumerOrg: consumerOrgno, consent: { id: consent.id, from: consent.from } })
    expect(ok.ok).toBe(true)
    if (!ok.ok) return
    expect(decodeJwt(ok.body.access_token)).toMatchObject({
      consumer: { ID: `0192:${consumerOrgno}` },
      supplier: { authority: 'iso6523-actorid-upis', ID: `0192:${supplierOrgno}` },
      delegation_source: 'https://tt02.altinn.no/',
    })
    const noDelegation = await grantToken(emu, { as, consumerOrg: otherOrgno })
    expect(noDelegation.body).toMatchObject({ error: 'invalid_scope', error_description: expect.stringMatching(/delegated/) })
    const ownBehalf = await grantToken(emu, { as, consent: { id: consent.id, from: consent.from } })
    expect(ownBehalf.body).toMatchObject({ consent_error: 'consent_not_for_consumer' })
  })
})

describe('clients registered over HTTP', () => {
  it('accepts a public JWK, refuses private key material, and issues tokens to the new client', async () => {
    const key = await generateSigningKey({ kid: 'http-client' })
    const refused = await call(`${emu.url}/emulator/clients`, { body: { orgno: otherOrgno, jwks: { keys: [key.privateJwk] } } })
    expect(refused.status).toBe(400)
    expect(refused.body.detail).toMatch(/public/)
    const badOrg = await call(`${emu.url}/emulator/clients`, { body: { orgno: '123456789', jwks: { keys: [key.publicJwk] } } })
    expect(badOrg.status).toBe(400)
    const created = await call(`${emu.url}/emulator/clients`, {
      body: { orgno: otherOrgno, jwks: { keys: [key.publicJwk] }, scopes: 'example:income', name: 'http' },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ orgno: otherOrgno, scopes: ['example:income'], kids: ['http-client'] })
    const result = await grantToken(emu, { as: { clientId: created.body.client_id, orgno: otherOrgno, key, name: 'http' } })
    expect(result.ok).toBe(true)
    const listed = await call(`${emu.url}/emulator/clients`)
    expect(listed.body.map((c: { client_id: string }) => c.client_id)).toContain(created.body.client_id)
  })
})
