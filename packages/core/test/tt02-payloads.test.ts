import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import { createConsentGuard, headersFromRecord, type ConsentGuard } from '@consent-guard/core'

// The decoded payload of the real TT02 consent token printed in Altinn's documentation,
// byte for byte, re-signed with a local test key.
const TT02_PAYLOAD = {
  authorization_details: [
    {
      type: 'urn:altinn:consent',
      id: 'f70542a8-d97a-40a8-9ef7-221603ffd5e6',
      from: 'urn:altinn:person:identifier-no:25922947409',
      to: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
      consented: '2026-02-03T10:14:05.419279+00:00',
      validTo: '2027-02-03T10:13:27.897002+00:00',
      consentRights: [
        {
          action: ['consent'],
          resource: [{ type: 'urn:altinn:resource', value: 'ske-samtykke-sbl-inntekt' }],
          metadata: { fraogmed: '2024-01', tilogmed: '2024-12' },
        },
        {
          action: ['consent'],
          resource: [{ type: 'urn:altinn:resource', value: 'ske-samtykke-sbl-summert-skattegrunnlag' }],
          metadata: { inntektsaar: '2024' },
        },
      ],
    },
  ],
  scope: 'altinn:consentrequests.read',
  iss: 'https://test.maskinporten.no/',
  client_amr: 'private_key_jwt',
  token_type: 'Bearer',
  exp: 1770113767,
  iat: 1770113647,
  client_id: '107c6f58-e06b-44e9-be7a-11ea44c7ad8b',
  jti: 'Cip-TO6LSop4G1d6uOCImmUUSizEzVCc8CGGH5SmY34',
  consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
}

// The supplier variant (ALT-RETRIEVE): same consent shape, delegated token, 500 s lifetime.
const SUPPLIER_PAYLOAD = {
  ...TT02_PAYLOAD,
  authorization_details: [{ ...TT02_PAYLOAD.authorization_details[0], to: { authority: 'iso6523-actorid-upis', ID: '0192:313876144' } }],
  exp: 1770113647 + 500,
  consumer: { authority: 'iso6523-actorid-upis', ID: '0192:313876144' },
  supplier: { authority: 'iso6523-actorid-upis', ID: '0192:310149942' },
  delegation_source: 'https://tt02.altinn.no/',
}

const AT = new Date((1770113647 + 60) * 1000)

interface Req {
  fnr: string
  from?: string
  to?: string
  year?: string
}

describe('real TT02 consent tokens', () => {
  let issuer: TestIssuer
  let guard: ConsentGuard
  beforeAll(async () => {
    issuer = await createTestIssuer()
    guard = createConsentGuard({
      maskinporten: { issuer: 'https://test.maskinporten.no/', jwksUri: issuer.jwksUri },
      clock: () => AT,
    })
  })
  afterAll(() => issuer.close())

  const periodRoute = () =>
    guard.compile<Req>({
      scope: 'altinn:consentrequests.read',
      resource: 'ske-samtykke-sbl-inntekt',
      subject: (r) => r.fnr,
      period: { start: 'fraogmed', end: 'tilogmed', requested: (r) => (r.from && r.to ? { from: r.from, to: r.to } : undefined) },
    })
  const yearRoute = () =>
    guard.compile<Req>({
      scope: 'altinn:consentrequests.read',
      resource: 'ske-samtykke-sbl-summert-skattegrunnlag',
      subject: (r) => r.fnr,
      metadata: { inntektsaar: { equals: (r) => r.year } },
    })

  it('verifies the two-right token and matches the period right', async () => {
    const token = await issuer.sign(TT02_PAYLOAD)
    const consent = await guard.check(
      { headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { fnr: '25922947409', from: '2024-03', to: '2024-05' } },
      periodRoute(),
    )
    expect(consent).toMatchObject({
      kind: 'altinn3',
      id: 'f70542a8-d97a-40a8-9ef7-221603ffd5e6',
      subject: { type: 'person', id: '25922947409' },
      consumer: '991825827',
      supplier: undefined,
      resource: 'ske-samtykke-sbl-inntekt',
      right: { actions: ['consent'], resources: ['ske-samtykke-sbl-inntekt'], metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
      token: {
        kind: 'maskinporten',
        issuer: 'https://test.maskinporten.no/',
        jti: 'Cip-TO6LSop4G1d6uOCImmUUSizEzVCc8CGGH5SmY34',
        clientId: '107c6f58-e06b-44e9-be7a-11ea44c7ad8b',
        scopes: ['altinn:consentrequests.read'],
      },
      consentToken: undefined,
      oneTime: undefined,
    })
    expect(consent.consented.toISOString()).toBe('2026-02-03T10:14:05.419Z')
    expect(consent.validTo.toISOString()).toBe('2027-02-03T10:13:27.897Z')
    expect(consent.rights).toHaveLength(2)
    expect(Object.isFrozen(consent)).toBe(true)
    expect(Object.isFrozen(consent.right.metadata)).toBe(true)
  })

  it('matches the income-year right of the same token', async () => {
    const token = await issuer.sign(TT02_PAYLOAD)
    const consent = await guard.check(
      { headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { fnr: '25922947409', year: '2024' } },
      yearRoute(),
    )
    expect(consent.right.resources).toEqual(['ske-samtykke-sbl-summert-skattegrunnlag'])
    expect(consent.right.metadata).toEqual({ inntektsaar: '2024' })
  })

  it('refuses a year the token does not cover and a period outside fraogmed..tilogmed', async () => {
    const token = await issuer.sign(TT02_PAYLOAD)
    const headers = headersFromRecord({ authorization: `Bearer ${token}` })
    await expect(guard.check({ headers, request: { fnr: '25922947409', year: '2023' } }, yearRoute())).rejects.toMatchObject({
      code: 'consent_metadata_mismatch',
      statusCode: 403,
    })
    await expect(
      guard.check({ headers, request: { fnr: '25922947409', from: '2024-11', to: '2025-01' } }, periodRoute()),
    ).rejects.toMatchObject({ code: 'consent_metadata_mismatch' })
  })

  it('verifies the supplier variant and reports the delegation', async () => {
    const token = await issuer.sign(SUPPLIER_PAYLOAD)
    const consent = await guard.check(
      { headers: headersFromRecord({ authorization: `bearer ${token}` }), request: { fnr: '25922947409', year: '2024' } },
      yearRoute(),
    )
    expect(consent).toMatchObject({ consumer: '313876144', supplier: '310149942', delegationSource: 'https://tt02.altinn.no/' })
  })

  it('masks the identity number when the result is serialised', async () => {
    const token = await issuer.sign(TT02_PAYLOAD)
    const consent = await guard.check(
      { headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { fnr: '25922947409', year: '2024' } },
      yearRoute(),
    )
    const json = JSON.stringify(consent)
    expect(json).not.toContain('25922947409')
    expect(JSON.parse(json).subject).toEqual({ type: 'person', id: '***********' })
    expect(consent.subject.id).toBe('25922947409')
  })
})
