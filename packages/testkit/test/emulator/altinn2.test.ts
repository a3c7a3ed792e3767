import { createConsentGuard, headersFromRecord, type ConsentGuard, type ConsentRequirement } from '@consent-guard/core'
import {
  defaultAltinn2Key,
  deterministicSigningKey,
  generateSigningKey,
  startEmulator,
  TEST_IDENTITIES,
  type Emulator,
  type EmulatorAltinn2TokenRequest,
  type SandboxClient,
} from '@consent-guard/testkit'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, fakeClock } from './helpers.js'

// The emulator's Altinn 2 side: a key set with kid = x5t, and the legacy token exchange
// GET /api/authorization/token/{AuthorizationCode} for consents the emulator knows (docs/migration.md).
const { personA, personB, consumerOrgno, otherOrgno, supplierOrgno } = TEST_IDENTITIES
const clock = fakeClock()
let emu: Emulator

beforeAll(async () => {
  emu = await startEmulator({
    clock: clock.now,
    resources: {
      'example-income': { metadata: ['inntektsaar'], altinn2: { serviceCode: '4629', serviceEdition: '2' } },
      'example-income-period': { metadata: ['fraogmed', 'tilogmed'], altinn2: { serviceCode: '4630', serviceEdition: '2' } },
      'example-new-only': {},
    },
  })
})
afterAll(() => emu.close())

interface Req {
  personId: string
  year: string
}
const income: ConsentRequirement<Req> = {
  scope: 'example:income',
  resource: 'example-income',
  altinn2: { serviceCode: '4629', serviceEdition: '2' },
  subject: (r) => r.personId,
  metadata: { inntektsaar: { equals: (r) => r.year } },
}

/** A guard in two-token mode trusting the emulator's Maskinporten and Altinn 2 key sets. */
function legacyGuard(e: Emulator = emu, altinn2 = true): ConsentGuard {
  return createConsentGuard({
    maskinporten: { issuer: e.issuer, jwksUri: e.jwksUri },
    consentHeader: 'AltinnSamtykke',
    ...(altinn2 && { altinn2: { jwksUri: e.altinn2JwksUri } }),
    clock: clock.now,
  })
}

async function accessToken(as: 'bank' | 'other' | SandboxClient = 'bank', consumerOrg?: string): Promise<string> {
  const result = await emu.requestToken({ scope: 'example:income', as, ...(consumerOrg !== undefined && { consumerOrg }) })
  if (!result.ok) throw new Error(JSON.stringify(result.body))
  return result.body.access_token
}

async function legacyToken(consentId: string, options: Omit<EmulatorAltinn2TokenRequest, 'consent'> = {}): Promise<string> {
  const result = await emu.requestAltinn2Token({ consent: consentId, ...options })
  if (!result.ok) throw new Error(`${result.status} ${JSON.stringify(result.body)}`)
  return result.token
}

async function check(guard: ConsentGuard, access: string, legacy: string, request: Req) {
  return guard.check(
    { headers: headersFromRecord({ authorization: `Bearer ${access}`, altinnsamtykke: legacy }), request },
    guard.compile(income),
  )
}

const grant2024 = (extra: Partial<Parameters<Emulator['consents']['grant']>[0]> = {}) =>
  emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' }, ...extra })

describe('the Altinn 2 key set', () => {
  it('publishes one RSA key whose kid is its x5t thumbprint, without private members', async () => {
    const { status, body, headers } = await call(emu.altinn2JwksUri)
    expect(status).toBe(200)
    expect(emu.altinn2JwksUri).toBe(`${emu.url}/altinn2/jwk`)
    expect(headers.get('content-type')).toMatch(/^application\/json/)
    expect(body.keys).toHaveLength(1)
    const [jwk] = body.keys
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{27}$/) // base64url SHA-1
    expect(jwk.x5t).toBe(jwk.kid)
    expect(jwk).not.toHaveProperty('d')
    // Deterministic mode: the checked-in altinn2 key, distinct from every Maskinporten key.
    expect(jwk).toEqual((await defaultAltinn2Key()).publicJwk)
    expect(jwk.n).not.toBe((await deterministicSigningKey('mp-1')).publicJwk.n)
    expect(jwk.n).not.toBe((await deterministicSigningKey('mp-2')).publicJwk.n)
  })

  it('is generated in random mode, and taken from altinn2Key when given', async () => {
    const random = await startEmulator({ deterministic: false })
    const own = await generateSigningKey({ kid: 'ignored' })
    const custom = await startEmulator({ altinn2Key: own })
    try {
      expect(random.altinn2Key.publicJwk.n).not.toBe((await defaultAltinn2Key()).publicJwk.n)
      expect(custom.altinn2Key.publicJwk.n).toBe(own.publicJwk.n)
      expect(custom.altinn2Key.kid).not.toBe('ignored')
      expect((await call(custom.altinn2JwksUri)).body.keys[0].x5t).toBe(custom.altinn2Key.kid)
    } finally {
      await Promise.all([random.close(), custom.close()])
    }
  })
})

describe('GET /api/authorization/token/{AuthorizationCode}', () => {
  it('returns the JWT as a JSON string, shaped as Altinn 2 issues it', async () => {
    const consent = grant2024()
    const access = await accessToken()
    const res = await fetch(`${emu.altinn2TokenEndpoint}/${consent.id}`, { headers: { authorization: `Bearer ${access}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const text = await res.text()
    expect(text).toMatch(/^"ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"$/)
    const jwt = JSON.parse(text) as string
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', kid: emu.altinn2Key.kid, x5t: emu.altinn2Key.kid, typ: 'JWT' })
    const claims = decodeJwt(jwt)
    expect(claims).toEqual({
      Services: ['4629_2', '4629_2_inntektsaar=2024'],
      AuthorizationCode: consent.id,
      OfferedBy: personA,
      CoveredBy: consumerOrgno,
      DelegatedDate: Math.floor(clock.ms / 1000), // consented: accepted now
      ValidToDate: Math.floor(clock.ms / 1000) + 30 * 86_400, // grant(): 30 days by default
      iss: 'altinn.no',
      nbf: Math.floor(clock.ms / 1000),
      exp: Math.floor(clock.ms / 1000) + 30,
    })
  })

  it('answers XML <string> when asked for application/xml', async () => {
    const consent = grant2024()
    const res = await fetch(`${emu.altinn2TokenEndpoint}/${consent.id}`, {
      headers: { authorization: `Bearer ${await accessToken()}`, accept: 'application/xml' },
    })
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/)
    expect(await res.text()).toMatch(/^<string xmlns="http:\/\/schemas\.microsoft\.com\/2003\/10\/Serialization\/">ey[^<]+<\/string>$/)
  })

  it('issues a token the core guard accepts in two-token mode, for the consented year and person only', async () => {
    const consent = grant2024()
    const guard = legacyGuard()
    const access = await accessToken()
    const legacy = await legacyToken(consent.id)
    await expect(check(guard, access, legacy, { personId: personA, year: '2024' })).resolves.toMatchObject({
      kind: 'altinn2',
      id: consent.id,
      subject: { type: 'person', id: personA },
      consumer: consumerOrgno,
      right: { resources: ['4629_2'], metadata: { inntektsaar: '2024' } },
      consentToken: { kind: 'altinn2', issuer: 'altinn.no' },
    })
    await expect(check(guard, access, legacy, { personId: personA, year: '2023' })).rejects.toMatchObject({
      code: 'consent_metadata_mismatch',
    })
    await expect(check(guard, access, legacy, { personId: personB, year: '2024' })).rejects.toMatchObject({
      code: 'consent_subject_mismatch',
    })
    // The legacy path off: the same token is refused.
    await expect(check(legacyGuard(emu, false), access, legacy, { personId: personA, year: '2024' })).rejects.toMatchObject({
      statusCode: 401,
      code: 'legacy_token_not_accepted',
    })
    // Another consumer's Maskinporten token beside the bank's Altinn 2 token: CoveredBy does not bind.
    await expect(check(guard, await accessToken('other'), legacy, { personId: personA, year: '2024' })).rejects.toMatchObject({
      code: 'consent_not_for_consumer',
    })
  })

  it.each(['current', 'comma-strings', 'service-codes'] as const)(
    'speaks the %s generation on ?generation=, and the core reads it',
    async (generation) => {
      const consent = grant2024()
      const legacy = await legacyToken(consent.id, { generation })
      const claims = decodeJwt(legacy)
      if (generation === 'service-codes') expect(claims.ServiceCodes).toEqual(['4629,2', '4629,2,inntektsaar=2024'])
      else
        expect(claims.Services).toEqual(
          generation === 'current' ? ['4629_2', '4629_2_inntektsaar=2024'] : ['4629,2', '4629,2,inntektsaar=2024'],
        )
      expect(typeof claims.DelegatedDate).toBe(generation === 'current' ? 'number' : 'string')
      await expect(check(legacyGuard(), await accessToken(), legacy, { personId: personA, year: '2024' })).resolves.toMatchObject({
        kind: 'altinn2',
        id: consent.id,
      })
    },
  )

  it("writes one service per mapped resource, each with its right's metadata", async () => {
    const consent = emu.consents.grant({
      from: personA,
      to: consumerOrgno,
      rights: [
        { resource: 'example-income', metadata: { inntektsaar: '2024' } },
        { resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-06' } },
        { resource: 'example-new-only' },
      ],
    })
    expect(decodeJwt(await legacyToken(consent.id)).Services).toEqual([
      '4629_2',
      '4629_2_inntektsaar=2024',
      '4630_2',
      '4630_2_fraogmed=2024-01',
      '4630_2_tilogmed=2024-06',
    ])
  })

  it('puts a supplier into HandledBy; the core then wants that supplier in the Maskinporten token', async () => {
    const key = await generateSigningKey({ kid: 'a2-supplier' })
    const registered = await emu.registerClient({ orgno: supplierOrgno, keys: [key], delegatedBy: [consumerOrgno] })
    const supplier: SandboxClient = { clientId: registered.clientId, orgno: supplierOrgno, key, name: 'supplier' }
    const consent = grant2024()
    const legacy = await legacyToken(consent.id, { as: supplier, consumerOrg: consumerOrgno })
    expect(decodeJwt(legacy)).toMatchObject({ CoveredBy: consumerOrgno, HandledBy: supplierOrgno })
    const guard = legacyGuard()
    await expect(
      check(guard, await accessToken(supplier, consumerOrgno), legacy, { personId: personA, year: '2024' }),
    ).resolves.toMatchObject({ kind: 'altinn2', supplier: supplierOrgno })
    await expect(check(guard, await accessToken(), legacy, { personId: personA, year: '2024' })).rejects.toMatchObject({
      code: 'token_binding_mismatch',
    })
  })

  it('issues 30-second tokens: the core refuses one once it has expired', async () => {
    const local = fakeClock()
    const e = await startEmulator({
      clock: local.now,
      resources: { 'example-income': { altinn2: { serviceCode: '4629', serviceEdition: '2' } } },
    })
    try {
      const consent = e.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
      const result = await e.requestAltinn2Token({ consent })
      const access = await e.requestToken({ scope: 'example:income' })
      if (!result.ok || !access.ok) throw new Error('no tokens')
      const claims = decodeJwt(result.token)
      expect((claims.exp as number) - (claims.nbf as number)).toBe(30)
      const guard = createConsentGuard({
        maskinporten: { issuer: e.issuer, jwksUri: e.jwksUri },
        consentHeader: 'AltinnSamtykke',
        altinn2: { jwksUri: e.altinn2JwksUri },
        clock: local.now,
        clockTolerance: 0,
      })
      const headers = headersFromRecord({ authorization: `Bearer ${access.body.access_token}`, AltinnSamtykke: result.token })
      await expect(guard.check({ headers, request: { personId: personA, year: '2024' } }, guard.compile(income))).resolves.toMatchObject({
        kind: 'altinn2',
      })
      local.advance(31_000)
      await expect(guard.check({ headers, request: { personId: personA, year: '2024' } }, guard.compile(income))).rejects.toMatchObject({
        code: 'token_expired',
      })
      // The same authorization code gives a fresh token, as long as the consent is valid.
      const again = await e.requestAltinn2Token({ consent })
      expect(again.ok && decodeJwt(again.token).nbf).toBe(Math.floor(local.ms / 1000))
    } finally {
      await e.close()
    }
  })

  it("answers 403 for a code that is unknown, not the caller's, not accepted, rejected, revoked or expired", async () => {
    const refusal = async (id: string, as: 'bank' | 'other' = 'bank') => {
      const result = await emu.requestAltinn2Token({ consent: id, as })
      return result.ok ? 'issued' : `${result.status} ${result.body.code}`
    }
    expect(await refusal('3f0e5a3c-8a43-4a7a-9a57-0d1f7d4c1b11')).toBe('403 consent_not_found')
    expect(await refusal(grant2024().id, 'other')).toBe('403 consent_not_for_consumer')
    expect(await refusal(grant2024({ status: 'created' }).id)).toBe('403 consent_not_accepted')
    expect(await refusal(grant2024({ status: 'rejected' }).id)).toBe('403 consent_rejected')
    expect(await refusal(grant2024({ status: 'revoked' }).id)).toBe('403 consent_revoked')
    const soon = grant2024({ validTo: new Date(clock.ms + 60_000) })
    expect(await refusal(soon.id)).toBe('issued')
    clock.advance(61_000)
    expect(await refusal(soon.id)).toBe('403 consent_expired')
    // A consent whose resources have no Altinn 2 service cannot be expressed as an Altinn 2 token.
    const newOnly = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-new-only' })
    expect(await refusal(newOnly.id)).toBe('403 no_altinn2_service')
  })

  it('wants a Maskinporten token from the emulator, a known generation, and GET', async () => {
    const consent = grant2024()
    const url = `${emu.altinn2TokenEndpoint}/${consent.id}`
    expect(await call(url)).toMatchObject({ status: 401, body: { code: 'unauthenticated' } })
    expect(await call(url, { token: 'not.a.token' })).toMatchObject({ status: 401, body: { code: 'invalid_token' } })
    const forged = await emu.accessToken({ consumer: consumerOrgno })
    expect((await call(url, { token: forged })).status).toBe(200) // any valid token from this emulator
    expect(await call(`${url}?generation=v9`, { token: forged })).toMatchObject({ status: 400, body: { code: 'invalid_generation' } })
    expect((await call(url, { method: 'POST', token: forged, body: {} })).status).toBe(405)
    expect(
      await emu.requestAltinn2Token({ consent, as: { ...(emu.sandbox.bank as SandboxClient), clientId: 'unknown-client' } }),
    ).toMatchObject({ ok: false, status: 401 })
  })

  it('needs no caller with altinnAuth "none" (CoveredBy is then the consent\'s own recipient)', async () => {
    const open = await startEmulator({
      altinnAuth: 'none',
      resources: { 'example-income': { altinn2: { serviceCode: '4629', serviceEdition: '2' } } },
    })
    try {
      const consent = open.consents.grant({ from: personA, to: otherOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
      const res = await call(`${open.altinn2TokenEndpoint}/${consent.id}`)
      expect(res.status).toBe(200)
      expect(decodeJwt(res.body as string)).toMatchObject({ CoveredBy: otherOrgno, AuthorizationCode: consent.id })
      expect(await call(`${open.url}/emulator`)).toMatchObject({
        body: { altinn2_jwks_uri: open.altinn2JwksUri, altinn2_token_endpoint: open.altinn2TokenEndpoint },
      })
    } finally {
      await open.close()
    }
  })

  it('refuses resource definitions an Altinn 2 token cannot carry', async () => {
    expect(() =>
      emu.consents.defineResource('x-bad', { metadata: ['inntekts_aar'], altinn2: { serviceCode: '4629', serviceEdition: '2' } }),
    ).toThrow(/letters and digits/)
    expect(() => emu.consents.defineResource('x-bad', { altinn2: { serviceCode: '46a', serviceEdition: '2' } })).toThrow(/digit strings/)
    await expect(startEmulator({ resources: { 'x-bad': { altinn2: { serviceCode: '', serviceEdition: '2' } } } })).rejects.toThrow(
      TypeError,
    )
  })

  it('signs tokens directly with altinn2Token(), on the emulator clock', async () => {
    const token = emu.altinn2Token({ services: [{ serviceCode: '4629', serviceEdition: '2', metadata: { inntektsaar: '2016' } }] })
    expect(decodeProtectedHeader(token).kid).toBe(emu.altinn2Key.kid)
    expect(decodeJwt(token).nbf).toBe(Math.floor(clock.ms / 1000))
    await expect(check(legacyGuard(), await accessToken(), token, { personId: personA, year: '2016' })).resolves.toMatchObject({
      kind: 'altinn2',
    })
  })
})
