import { describe, expect, it, vi } from 'vitest'
import {
  altinnTimestamp,
  consentDetail,
  consentTokenClaims,
  epochSeconds,
  iso6523,
  maskinportenClaims,
  organizationUrn,
  personUrn,
  TEST_IDENTITIES,
} from '@consent-guard/testkit'
import { shape, TT02_CONSENT_PAYLOAD, TT02_CONSENT_PAYLOAD_JSON } from './fixtures/tt02.js'

const NOW = 1_770_113_647 // iat of the real TT02 token: 2026-02-03T10:14:07Z
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ALTINN_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/

function secondsOf(iso: string): number {
  return Date.parse(iso) / 1000
}

describe('consentTokenClaims reproduces the real TT02 token', () => {
  it('serialises byte-for-byte like the token printed by Altinn when given the same values', () => {
    const claims = consentTokenClaims({
      now: NOW,
      client_id: '107c6f58-e06b-44e9-be7a-11ea44c7ad8b',
      jti: 'Cip-TO6LSop4G1d6uOCImmUUSizEzVCc8CGGH5SmY34',
      consent: {
        id: 'f70542a8-d97a-40a8-9ef7-221603ffd5e6',
        from: { person: '25922947409' },
        consented: secondsOf('2026-02-03T10:14:05Z') + 0.419279,
        validTo: secondsOf('2027-02-03T10:13:27Z') + 0.897002,
        rights: [
          { resource: 'ske-samtykke-sbl-inntekt', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
          { resource: 'ske-samtykke-sbl-summert-skattegrunnlag', metadata: { inntektsaar: '2024' } },
        ],
      },
    })
    expect(JSON.stringify(claims)).toBe(TT02_CONSENT_PAYLOAD_JSON)
  })

  it('has the same members, order and types with all defaults', () => {
    const claims = consentTokenClaims({
      consent: {
        rights: [
          { resource: 'a', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
          { resource: 'b', metadata: { inntektsaar: '2024' } },
        ],
      },
    })
    expect(shape(claims)).toEqual(shape(TT02_CONSENT_PAYLOAD))
    expect(claims).not.toHaveProperty('sub')
    expect(claims).not.toHaveProperty('aud')
    expect(claims).not.toHaveProperty('supplier')
    expect(claims).not.toHaveProperty('delegation_source')
  })

  it('points the consent at the consumer by default', () => {
    const claims = consentTokenClaims({ consumer: TEST_IDENTITIES.otherOrgno })
    const [detail] = claims.authorization_details as Array<{ to: unknown }>
    expect(claims.consumer).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:313876144' })
    expect(detail?.to).toEqual(claims.consumer)
  })

  it('can put several consent entries in one token (a shape Maskinporten never issues)', () => {
    const claims = consentTokenClaims({ consent: [{ id: 'one' }, { id: 'two' }] })
    expect((claims.authorization_details as Array<{ id: string }>).map((d) => d.id)).toEqual(['one', 'two'])
  })

  it('refuses consent together with raw authorization_details', () => {
    expect(() => consentTokenClaims({ consent: {}, authorization_details: [] })).toThrow(TypeError)
  })
})

describe('maskinportenClaims', () => {
  it('has the real top-level members (without authorization_details) and Maskinporten defaults', () => {
    const claims = maskinportenClaims({ now: NOW })
    const { authorization_details: _ignored, ...realTopLevel } = TT02_CONSENT_PAYLOAD
    expect(Object.keys(claims)).toEqual(Object.keys(realTopLevel))
    expect(claims).toMatchObject({
      iss: 'https://test.maskinporten.no/',
      scope: 'altinn:consentrequests.read',
      consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
      client_amr: 'private_key_jwt',
      token_type: 'Bearer',
      iat: NOW,
      exp: NOW + 120,
    })
    expect(claims.client_id).toMatch(UUID)
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('uses fresh client_id and jti per token', () => {
    const a = maskinportenClaims()
    const b = maskinportenClaims()
    expect(a.jti).not.toBe(b.jti)
    expect(a.client_id).not.toBe(b.client_id)
  })

  it('follows the clock: Date, epoch seconds, function, fake system time', () => {
    expect(maskinportenClaims({ now: new Date('2026-02-03T10:14:07.900Z') }).iat).toBe(NOW)
    expect(maskinportenClaims({ now: NOW + 0.5 }).iat).toBe(NOW)
    let t = NOW
    const clock = (): number => t
    expect(maskinportenClaims({ now: clock }).iat).toBe(NOW)
    t += 3600
    expect(maskinportenClaims({ now: clock }).iat).toBe(NOW + 3600)
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(new Date((NOW + 7) * 1000))
      expect(maskinportenClaims().iat).toBe(NOW + 7)
      expect(secondsOf(consentDetail().validTo)).toBe(NOW + 7 + 30 * 86_400)
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects a millisecond timestamp passed as now', () => {
    expect(() => maskinportenClaims({ now: NOW * 1000 })).toThrow(/milliseconds/)
    expect(() => epochSeconds(new Date(Number.NaN))).toThrow(RangeError)
  })

  it('sets lifetime, scope list, aud and explicit iat/exp', () => {
    expect(maskinportenClaims({ now: NOW, lifetimeSeconds: 500 }).exp).toBe(NOW + 500)
    expect(maskinportenClaims({ scope: ['a:b', 'c:d'] }).scope).toBe('a:b c:d')
    expect(maskinportenClaims({ aud: 'https://api.example.no' }).aud).toBe('https://api.example.no')
    expect(maskinportenClaims({ iat: 10, exp: 5 })).toMatchObject({ iat: 10, exp: 5 })
  })

  it('builds the supplier variant like ALT-RETRIEVE', () => {
    const claims = maskinportenClaims({ consumer: '313876144', supplier: '310149942' })
    expect(claims.supplier).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:310149942' })
    expect(claims.delegation_source).toBe('https://tt02.altinn.no/')
    expect(claims.consumer).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:313876144' })
    expect(maskinportenClaims({ supplier: '310149942', delegation_source: 'https://www.altinn.no' }).delegation_source).toBe(
      'https://www.altinn.no',
    )
  })

  it('applies extra last and removes members set to undefined', () => {
    const claims = maskinportenClaims({ extra: { exp: undefined, sub: 'x', token_type: 'DPoP' } })
    expect(claims).not.toHaveProperty('exp')
    expect(claims.sub).toBe('x')
    expect(claims.token_type).toBe('DPoP')
  })
})

describe('consentDetail', () => {
  it('has exactly the members of the real entry, with Altinn-formatted times', () => {
    const detail = consentDetail({ now: NOW })
    const realEntry = (TT02_CONSENT_PAYLOAD.authorization_details as unknown[])[0] as Record<string, unknown>
    expect(Object.keys(detail)).toEqual(Object.keys(realEntry))
    expect(detail.type).toBe('urn:altinn:consent')
    expect(detail.id).toMatch(UUID)
    expect(detail.from).toBe('urn:altinn:person:identifier-no:25922947409')
    expect(detail.to).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:991825827' })
    expect(detail.consented).toMatch(ALTINN_TIME)
    expect(detail.validTo).toMatch(ALTINN_TIME)
    expect(secondsOf(detail.consented)).toBe(NOW - 86_400)
    expect(secondsOf(detail.validTo)).toBe(NOW + 30 * 86_400)
    expect(detail.consentRights).toEqual([
      {
        action: ['consent'],
        resource: [{ type: 'urn:altinn:resource', value: 'ske-samtykke-sbl-summert-skattegrunnlag' }],
        metadata: { inntektsaar: '2023' },
      },
    ])
  })

  it('supports an organisation as consenting party and a raw from string', () => {
    expect(consentDetail({ from: { organization: '310149942' } }).from).toBe('urn:altinn:organization:identifier-no:310149942')
    expect(consentDetail({ from: 'urn:altinn:party:id:5' }).from).toBe('urn:altinn:party:id:5')
  })

  it('builds several rights, multi-resource rights and custom actions', () => {
    const detail = consentDetail({
      rights: [
        { resource: ['r1', 'r2'], action: ['read', 'consent'] },
        { resource: 'r3', metadata: { inntektsaar: '2022' } },
      ],
    })
    expect(detail.consentRights).toEqual([
      {
        action: ['read', 'consent'],
        resource: [
          { type: 'urn:altinn:resource', value: 'r1' },
          { type: 'urn:altinn:resource', value: 'r2' },
        ],
      },
      { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'r3' }], metadata: { inntektsaar: '2022' } },
    ])
  })

  it('omits metadata when a resource is given without metadata', () => {
    expect(consentDetail({ resource: 'enkelt-samtykke' }).consentRights[0]).toEqual({
      action: ['consent'],
      resource: [{ type: 'urn:altinn:resource', value: 'enkelt-samtykke' }],
    })
  })

  it('can spell metadata as metaData, per entry or per right', () => {
    const entry = consentDetail({ metadataKey: 'metaData', metadata: { inntektsaar: '2023' } })
    expect(entry.consentRights[0]).toHaveProperty('metaData', { inntektsaar: '2023' })
    expect(entry.consentRights[0]).not.toHaveProperty('metadata')
    const mixed = consentDetail({
      rights: [
        { resource: 'a', metadata: { x: '1' } },
        { resource: 'b', metadata: { y: '2' }, metadataKey: 'metaData' },
      ],
    })
    expect(Object.keys(mixed.consentRights[0] ?? {})).toContain('metadata')
    expect(Object.keys(mixed.consentRights[1] ?? {})).toContain('metaData')
  })

  it('uses string times verbatim and formats Dates', () => {
    const detail = consentDetail({ consented: '2026-02-03T10:14:05.4+01:00', validTo: new Date('2030-01-01T00:00:00Z') })
    expect(detail.consented).toBe('2026-02-03T10:14:05.4+01:00')
    expect(detail.validTo).toBe('2030-01-01T00:00:00.000000+00:00')
  })

  it('rejects rights combined with the single-right shorthand', () => {
    expect(() => consentDetail({ resource: 'a', rights: [{ resource: 'b' }] })).toThrow(TypeError)
  })

  it('applies extra (e.g. the string form of to, or removing validTo)', () => {
    const detail = consentDetail({ extra: { to: 'urn:altinn:organization:identifier-no:991825827', validTo: undefined, handledBy: 'x' } })
    expect(detail.to).toBe('urn:altinn:organization:identifier-no:991825827')
    expect(detail).not.toHaveProperty('validTo')
    expect(detail.handledBy).toBe('x')
  })
})

describe('identifier and time helpers', () => {
  it('builds URNs and ISO 6523 identifiers', () => {
    expect(personUrn('14888510096')).toBe('urn:altinn:person:identifier-no:14888510096')
    expect(organizationUrn('991825827')).toBe('urn:altinn:organization:identifier-no:991825827')
    expect(iso6523('991825827')).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:991825827' })
  })

  it('rejects identifiers of the wrong length or with non-digits', () => {
    expect(() => personUrn('1234567890')).toThrow(TypeError)
    expect(() => personUrn('2592294740a')).toThrow(TypeError)
    expect(() => organizationUrn('99182582')).toThrow(TypeError)
    expect(() => iso6523('0192:991825827')).toThrow(TypeError)
  })

  it('formats timestamps like Altinn, keeping microseconds from epoch seconds', () => {
    expect(altinnTimestamp(new Date('2026-02-03T10:14:05.419Z'))).toBe('2026-02-03T10:14:05.419000+00:00')
    expect(altinnTimestamp(secondsOf('2026-02-03T10:14:05Z') + 0.419279)).toBe('2026-02-03T10:14:05.419279+00:00')
    expect(altinnTimestamp(secondsOf('2027-02-03T10:13:27Z') + 0.836, { fractionDigits: 3 })).toBe('2027-02-03T10:13:27.836+00:00')
    expect(altinnTimestamp(0, { fractionDigits: 0 })).toBe('1970-01-01T00:00:00+00:00')
    expect(altinnTimestamp(0.5, { fractionDigits: 7 })).toBe('1970-01-01T00:00:00.5000000+00:00')
    expect(altinnTimestamp(NOW + 0.9999996)).toBe('2026-02-03T10:14:08.000000+00:00')
    expect(() => altinnTimestamp(0, { fractionDigits: 10 })).toThrow(RangeError)
  })
})
