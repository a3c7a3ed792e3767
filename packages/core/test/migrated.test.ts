import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAltinn2Issuer, createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import {
  ALTINN2_DEPRECATION_CODE,
  ConsentGuardConfigError,
  createConsentGuard,
  headersFromRecord,
  isConsentGuardError,
  migratedResourceId,
  type ConsentGuard,
  type ConsentRequirement,
} from '@consent-guard/core'

// Altinn's "Validate consent tokens" guide for resource owners: consents migrated from Altinn 2 arrive
// as Altinn 3 tokens whose resource id is `{org}_{serviceCode}_{serviceEditionCode}`, and their
// parameters are lower-cased during migration. The token below is the guide's printed TT02 example,
// byte for byte except the resource (the migrated id of Skatteetaten's service 4629 edition 2) and
// the metadata (its Altinn 2 parameter `inntektsaar`), re-signed with a local test key.
const MIGRATED = 'skd_4629_2'
const DOC_PAYLOAD = {
  authorization_details: [
    {
      type: 'urn:altinn:consent',
      id: '93413201-b7e8-4ec3-a899-580fc02c6aeb',
      from: 'urn:altinn:person:identifier-no:25922947409',
      to: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
      consented: '2025-07-18T07:57:30.409251+00:00',
      validTo: '2026-07-18T07:57:15.639509+00:00',
      consentRights: [
        { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: MIGRATED }], metadata: { inntektsaar: '2022' } },
      ],
    },
  ],
  scope: 'altinn:consentrequests.read',
  iss: 'https://test.maskinporten.no/',
  client_amr: 'private_key_jwt',
  token_type: 'Bearer',
  exp: 1752825571,
  iat: 1752825451,
  client_id: '107c6f58-e06b-44e9-be7a-11ea44c7ad8b',
  jti: 'T2KUt3ufgIPycdoGPMEFU87pNm9e9nPB1ODkJj5wH0k',
  consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' },
}
// The same consent for service 4630 edition 2, whose Altinn 2 parameters were `fraOgMed`/`tilOgMed`.
const PERIOD_PAYLOAD = {
  ...DOC_PAYLOAD,
  authorization_details: [
    {
      ...DOC_PAYLOAD.authorization_details[0],
      consentRights: [
        {
          action: ['consent'],
          resource: [{ type: 'urn:altinn:resource', value: 'skd_4630_2' }],
          metadata: { fraogmed: '2022-01', tilogmed: '2022-12' },
        },
      ],
    },
  ],
}
const AT = new Date((1752825451 + 60) * 1000)

interface Req {
  fnr: string
  year?: string
  from?: string
  to?: string
}

describe('migratedResourceId', () => {
  it('builds {org}_{serviceCode}_{serviceEditionCode}', () => {
    expect(migratedResourceId({ org: 'skd', serviceCode: '4629', serviceEdition: '2' })).toBe('skd_4629_2')
    expect(migratedResourceId({ org: 'nav', serviceCode: 5252, serviceEdition: 1 })).toBe('nav_5252_1')
  })
  it.each([
    [{ org: 'SKD', serviceCode: '4629', serviceEdition: '2' }, /lower case/],
    [{ org: '', serviceCode: '4629', serviceEdition: '2' }, /org/],
    [{ org: 'skd_x', serviceCode: '4629', serviceEdition: '2' }, /org/],
    [{ org: 'skd', serviceCode: '46a9', serviceEdition: '2' }, /serviceCode/],
    [{ org: 'skd', serviceCode: '4629', serviceEdition: -1 }, /serviceEdition/],
    [{ org: 'skd', serviceCode: 46.5, serviceEdition: '2' }, /serviceCode/],
    [null, /org, serviceCode, serviceEdition/],
  ])('refuses %j at start-up', (service, message) => {
    expect(() => migratedResourceId(service as never)).toThrow(ConsentGuardConfigError)
    expect(() => migratedResourceId(service as never)).toThrow(message)
  })
})

describe('migrated consents, shaped as Altinn documents them', () => {
  let issuer: TestIssuer
  let guard: ConsentGuard
  beforeAll(async () => {
    issuer = await createTestIssuer()
    guard = createConsentGuard({ maskinporten: { issuer: 'https://test.maskinporten.no/', jwksUri: issuer.jwksUri }, clock: () => AT })
  })
  afterAll(() => issuer.close())

  const yearRoute: ConsentRequirement<Req> = {
    scope: 'altinn:consentrequests.read',
    resource: 'skd-inntekt',
    altinn2: {
      serviceCode: '4629',
      serviceEdition: '2',
      migratedResource: migratedResourceId({ org: 'skd', serviceCode: '4629', serviceEdition: '2' }),
    },
    subject: (r) => r.fnr,
    metadata: { inntektsaar: { equals: (r) => r.year } },
  }
  const check = async (payload: object, route: ConsentRequirement<Req>, request: Req) => {
    const token = await issuer.sign(payload as Record<string, unknown>)
    return guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request }, guard.compile(route))
  }
  const outcome = (payload: object, route: ConsentRequirement<Req>, request: Req) =>
    check(payload, route, request).then(
      () => 'accepted',
      (e: unknown) => {
        if (isConsentGuardError(e)) return e.code
        throw e
      },
    )

  it('accepts the migrated token on the route that declares the migrated id', async () => {
    const consent = await check(DOC_PAYLOAD, yearRoute, { fnr: '25922947409', year: '2022' })
    expect(consent).toMatchObject({
      kind: 'altinn3',
      id: '93413201-b7e8-4ec3-a899-580fc02c6aeb',
      resource: 'skd-inntekt',
      right: { resources: [MIGRATED], metadata: { inntektsaar: '2022' } },
    })
  })
  it('checks its metadata like any consent', async () => {
    expect(await outcome(DOC_PAYLOAD, yearRoute, { fnr: '25922947409', year: '2023' })).toBe('consent_metadata_mismatch')
    expect(await outcome(DOC_PAYLOAD, yearRoute, { fnr: '14888510096', year: '2022' })).toBe('consent_subject_mismatch')
  })
  it('lower-cased Altinn 2 parameters meet rules declared in their Altinn 2 spelling', async () => {
    const periodRoute: ConsentRequirement<Req> = {
      resource: 'skd-inntekt-periode',
      altinn2: {
        serviceCode: '4630',
        serviceEdition: '2',
        migratedResource: migratedResourceId({ org: 'skd', serviceCode: 4630, serviceEdition: 2 }),
      },
      subject: (r) => r.fnr,
      period: { start: 'fraOgMed', end: 'tilOgMed', requested: (r) => (r.from && r.to ? { from: r.from, to: r.to } : undefined) },
    }
    expect(await outcome(PERIOD_PAYLOAD, periodRoute, { fnr: '25922947409', from: '2022-03', to: '2022-05' })).toBe('accepted')
    expect(await outcome(PERIOD_PAYLOAD, periodRoute, { fnr: '25922947409', from: '2021-12', to: '2022-05' })).toBe(
      'consent_metadata_mismatch',
    )
  })
  it('the migrated id is matched exactly and only where declared', async () => {
    const { altinn2: _legacy, ...withoutMigration } = yearRoute
    expect(await outcome(DOC_PAYLOAD, withoutMigration, { fnr: '25922947409', year: '2022' })).toBe('consent_resource_mismatch')
    const otherOwner = { ...yearRoute, altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: 'nav_4629_2' } }
    expect(await outcome(DOC_PAYLOAD, otherOwner, { fnr: '25922947409', year: '2022' })).toBe('consent_resource_mismatch')
    const upper = JSON.parse(JSON.stringify(DOC_PAYLOAD).replace(MIGRATED, 'SKD_4629_2'))
    expect(await outcome(upper, yearRoute, { fnr: '25922947409', year: '2022' })).toBe('consent_resource_mismatch')
  })
})

describe('the Altinn 2 path is deprecated', () => {
  afterEach(() => vi.restoreAllMocks())

  it('warns once per guard at start-up, with a code', async () => {
    const a2 = await createAltinn2Issuer()
    try {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
      const guard = createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: a2.jwksUri } })
      expect(warn).toHaveBeenCalledTimes(1)
      const [message, options] = warn.mock.calls[0] as [string, { type: string; code: string }]
      expect(options).toEqual({ type: 'DeprecationWarning', code: ALTINN2_DEPRECATION_CODE })
      expect(ALTINN2_DEPRECATION_CODE).toBe('CONSENT_GUARD_ALTINN2')
      expect(message).toMatch(/Altinn II closed on 19 June 2026/)
      expect(message).toMatch(/removed in the next major version/)
      // Compiling and checking never warn again.
      guard.compile({ resource: 'x-income', altinn2: { serviceCode: '4629', serviceEdition: '2' }, subject: () => '25922947409' })
      await guard
        .check({ headers: headersFromRecord({}), request: {} }, guard.compile({ resource: 'x-income', subject: () => undefined }))
        .catch(() => undefined)
      expect(warn).toHaveBeenCalledTimes(1)
      createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke', altinn2: 'tt02' })
      expect(warn).toHaveBeenCalledTimes(2)
    } finally {
      await a2.close()
    }
  })

  it('says nothing when the legacy path is off', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    createConsentGuard({ maskinporten: 'test' })
    createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke' })
    expect(warn).not.toHaveBeenCalled()
  })

  it('reaches process "warning" listeners as a DeprecationWarning', async () => {
    const seen = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve))
    createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke', altinn2: 'prod' })
    const warning = await seen
    expect(warning.name).toBe('DeprecationWarning')
    expect(warning.code).toBe('CONSENT_GUARD_ALTINN2')
  })
})
