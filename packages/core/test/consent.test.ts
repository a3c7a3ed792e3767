import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consentDetail, type ConsentDetailOptions, type ConsentTokenOptions } from '@consent-guard/testkit'
import type { ConsentRequirement } from '@consent-guard/core'
import {
  CONSUMER,
  createHarness,
  FNR_A,
  FNR_B,
  incomeRoute,
  NOW,
  OTHER_ORG,
  RESOURCE,
  SCOPE,
  type FakeRequest,
  type Harness,
} from './support.js'

// Consent semantics (docs/security.md CON-*). Malformed consent → 401 consent_malformed; well-formed
// but not covering the request → 403 with a consent_* code.
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const DAY = 86_400
const base: ConsentDetailOptions = { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } }
const withConsent = async (consent: ConsentDetailOptions | ConsentDetailOptions[], extra: ConsentTokenOptions = {}) =>
  h.bearer(await h.issuer.consentToken({ scope: SCOPE, consent, ...extra }))
const rawDetails = async (details: unknown) =>
  h.bearer(await h.issuer.accessToken({ scope: SCOPE, extra: { authorization_details: details } }))
const outcomeOf = async (
  consent: ConsentDetailOptions | ConsentDetailOptions[],
  params?: Partial<FakeRequest['params']>,
  requirement?: ConsentRequirement<FakeRequest>,
) => h.outcome(await withConsent(consent), params, requirement)

describe('CON: who, what and when', () => {
  it('CON-01 consent given to another org', async () => {
    expect(await outcomeOf({ ...base, to: OTHER_ORG })).toBe('consent_not_for_consumer')
  })
  it('CON-02 consent for another subject', async () => {
    expect(await outcomeOf(base, { personId: FNR_B })).toBe('consent_subject_mismatch')
  })
  it('CON-03 request names no subject → 400', async () => {
    expect(await outcomeOf(base, { personId: undefined })).toBe('subject_missing')
    expect(await outcomeOf(base, { personId: '' })).toBe('subject_missing')
  })
  it('CON-03 request names a malformed subject → 400', async () => {
    for (const personId of ['2592294740', '259229474091', '25922947409 ', '２５９２２９４７４０９']) {
      expect(await outcomeOf(base, { personId })).toBe('subject_invalid')
    }
  })
  it('CON-04 organisation consent on a person endpoint', async () => {
    expect(await outcomeOf({ ...base, from: { organization: CONSUMER } })).toBe('consent_subject_mismatch')
  })
  it('CON-04 person subject on an organisation-only route → 400', async () => {
    const orgRoute: ConsentRequirement<FakeRequest> = { ...incomeRoute, subjectType: 'organization' }
    expect(await outcomeOf(base, {}, orgRoute)).toBe('subject_invalid')
  })
  it.each([
    ['upper case', `URN:ALTINN:PERSON:IDENTIFIER-NO:${FNR_A}`],
    ['trailing space', `urn:altinn:person:identifier-no:${FNR_A} `],
    ['leading zero-width space', `\u200burn:altinn:person:identifier-no:${FNR_A}`],
    ['10 digits', `urn:altinn:person:identifier-no:${FNR_A.slice(1)}`],
    ['12 digits', `urn:altinn:person:identifier-no:${FNR_A}1`],
    ['no identifier-no', `urn:altinn:person:${FNR_A}`],
    ['extra segment', `urn:altinn:person:identifier-no:${FNR_A}:x`],
  ])('CON-05 from variant (%s) is malformed', async (_n, from) => {
    expect(await outcomeOf({ ...base, from })).toBe('consent_malformed')
  })
  it.each([['other'], ['EXAMPLE-INCOME'], [`${RESOURCE}_v2`], ['example'], [`${RESOURCE} `]])('CON-06 resource %j', async (resource) => {
    expect(await outcomeOf({ ...base, resource })).toBe('consent_resource_mismatch')
  })
  it('CON-07 resource with another type or the old {id, value} shape', async () => {
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        ...base,
        extra: {
          consentRights: [
            { action: ['consent'], resource: [{ type: 'urn:altinn:app', value: RESOURCE }], metadata: { inntektsaar: '2023' } },
          ],
        },
      },
    })
    expect(await h.outcome(h.bearer(token))).toBe('consent_resource_mismatch')
    const old = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        ...base,
        extra: {
          consentRights: [
            { action: ['consent'], resource: [{ id: 'urn:altinn:resource', value: RESOURCE }], metadata: { inntektsaar: '2023' } },
          ],
        },
      },
    })
    expect(await h.outcome(h.bearer(old))).toBe('consent_resource_mismatch')
  })
  it('CON-08 action mismatch, empty, or a string', async () => {
    expect(await outcomeOf({ ...base, action: ['read'] })).toBe('consent_action_mismatch')
    expect(await outcomeOf({ ...base, action: [] })).toBe('consent_action_mismatch')
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: { ...base, extra: { consentRights: [{ action: 'consent', resource: [{ type: 'urn:altinn:resource', value: RESOURCE }] }] } },
    })
    expect(await h.outcome(h.bearer(token))).toBe('consent_malformed')
  })
})

describe('CON: metadata', () => {
  it('CON-09 other year', async () => {
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2022' } })).toBe('consent_metadata_mismatch')
  })
  it('CON-10 metadata missing, empty or null never means unrestricted', async () => {
    expect(await outcomeOf({ from: { person: FNR_A }, resource: RESOURCE })).toBe('consent_metadata_mismatch')
    expect(await outcomeOf({ ...base, metadata: {} })).toBe('consent_metadata_mismatch')
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        ...base,
        extra: { consentRights: [{ action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: RESOURCE }], metadata: null }] },
      },
    })
    expect(await h.outcome(h.bearer(token))).toBe('consent_metadata_mismatch')
  })
  it.each([['0x7E7'], ['0o3747'], ['0b11111100111'], ['2.023e3'], ['2023.0'], [' 2023'], ['2023\n'], ['2023abc']])(
    'CON-11 numeric look-alike %j',
    async (value) => {
      expect(await outcomeOf({ ...base, metadata: { inntektsaar: value } })).toBe('consent_metadata_mismatch')
    },
  )
  it.each([[2023], [['2023']], [{ v: '2023' }], [true]])('CON-12 metadata value of type %j', async (value) => {
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        ...base,
        extra: {
          consentRights: [
            { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: RESOURCE }], metadata: { inntektsaar: value } },
          ],
        },
      },
    })
    expect(await h.outcome(h.bearer(token))).toBe('consent_metadata_mismatch')
  })
  it('CON-13a upper-case key matches case-insensitively (Altinn semantics)', async () => {
    expect(await outcomeOf({ ...base, metadata: { INNTEKTSAAR: '2023' } })).toBe('accepted')
  })
  it('CON-13b metaData spelling is accepted', async () => {
    expect(await outcomeOf({ ...base, metadataKey: 'metaData' })).toBe('accepted')
  })
  it('CON-13c keys differing only in case are ambiguous', async () => {
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2022', INNTEKTSAAR: '2023' } })).toBe('consent_metadata_mismatch')
  })
  it('CON-13d both metadata and metaData are ambiguous', async () => {
    const token = await h.issuer.consentToken({
      scope: SCOPE,
      consent: {
        ...base,
        extra: {
          consentRights: [
            {
              action: ['consent'],
              resource: [{ type: 'urn:altinn:resource', value: RESOURCE }],
              metadata: { inntektsaar: '2023' },
              metaData: { inntektsaar: '2023' },
            },
          ],
        },
      },
    })
    expect(await h.outcome(h.bearer(token))).toBe('consent_metadata_mismatch')
  })
  describe('CON-14 period rule', () => {
    const periodRoute: ConsentRequirement<FakeRequest> = {
      scope: SCOPE,
      resource: RESOURCE,
      subject: (r) => r.params.personId,
      period: {
        start: 'fraOgMed',
        end: 'tilOgMed',
        requested: (r) => (r.params.from === undefined ? undefined : { from: r.params.from, to: r.params.to ?? r.params.from }),
      },
    }
    const run = (metadata: Record<string, string>, from?: string, to?: string) =>
      outcomeOf({ ...base, metadata }, { from, to }, periodRoute)
    it('accepts a period inside the consent and compares keys case-insensitively', async () => {
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' }, '2017-06', '2017-08')).toBe('accepted')
      expect(await run({ fraogmed: '2017-06', tilogmed: '2017-08' }, '2017-07')).toBe('accepted')
    })
    it('refuses months outside, reversed ranges and malformed months', async () => {
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' }, '2017-09')).toBe('consent_metadata_mismatch')
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' }, '2017-05', '2017-07')).toBe('consent_metadata_mismatch')
      expect(await run({ fraOgMed: '2017-08', tilOgMed: '2017-06' }, '2017-07')).toBe('consent_metadata_mismatch')
      expect(await run({ fraOgMed: '2017-6', tilOgMed: '2017-08' }, '2017-07')).toBe('consent_metadata_mismatch')
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-13' }, '2017-07')).toBe('consent_metadata_mismatch')
    })
    it('answers 400 when the request has no period or a malformed one', async () => {
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' })).toBe('request_parameter_missing')
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' }, '2017-7')).toBe('request_parameter_invalid')
      expect(await run({ fraOgMed: '2017-06', tilOgMed: '2017-08' }, '2017-08', '2017-06')).toBe('request_parameter_invalid')
    })
  })
  it('CON-15 an unknown metadata key fails closed unless the route declares it', async () => {
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2023', formaal: 'x' } })).toBe('consent_metadata_mismatch')
    const declared: ConsentRequirement<FakeRequest> = { ...incomeRoute, metadata: { ...incomeRoute.metadata, formaal: { any: true } } }
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2023', formaal: 'x' } }, {}, declared)).toBe('accepted')
  })
  it('custom check rule', async () => {
    const route: ConsentRequirement<FakeRequest> = { ...incomeRoute, metadata: { inntektsaar: { check: (v) => v >= '2020' } } }
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2021' } }, {}, route)).toBe('accepted')
    expect(await outcomeOf({ ...base, metadata: { inntektsaar: '2019' } }, {}, route)).toBe('consent_metadata_mismatch')
  })
  it('equals value missing from the request → 400', async () => {
    expect(await outcomeOf(base, { year: undefined })).toBe('request_parameter_missing')
  })
})

describe('CON: validity', () => {
  it('CON-16 consent expired while the token is fresh (exclusive end, no tolerance)', async () => {
    expect(await outcomeOf({ ...base, validTo: NOW - 1 })).toBe('consent_expired')
    expect(await outcomeOf({ ...base, validTo: NOW })).toBe('consent_expired')
    expect(await outcomeOf({ ...base, validTo: NOW + 1 })).toBe('accepted')
  })
  it('CON-17 consented in the future, and validTo before consented', async () => {
    expect(await outcomeOf({ ...base, consented: NOW + 3600 })).toBe('consent_not_yet_valid')
    expect(await outcomeOf({ ...base, consented: NOW + 10 })).toBe('accepted')
    expect(await outcomeOf({ ...base, consented: NOW + 11 })).toBe('consent_not_yet_valid')
  })
  it.each([
    ['not-a-date'],
    ['2026-02-30T00:00:00Z'],
    ['2026-07-18T07:57:15'],
    ['2026-07-18 07:57:15Z'],
    ['+275760-09-13T00:00:00.000Z'],
    ['2026-07-18T07:57:15.1234567890Z'],
    ['2026-07-18T24:00:00Z'],
  ])('CON-18 validTo %j is malformed', async (validTo) => {
    expect(await outcomeOf({ ...base, validTo })).toBe('consent_malformed')
  })
  it('CON-18 validTo as a number is malformed', async () => {
    expect(await outcomeOf({ ...base, extra: { validTo: NOW + DAY } })).toBe('consent_malformed')
  })
  it('accepts Altinn fraction and offset variants', async () => {
    for (const validTo of [
      '2027-02-03T10:13:27.897002+00:00',
      '2027-02-03T10:13:27.836Z',
      '2027-02-03T11:13:27.2597103+01:00',
      '2027-02-03T10:13:27Z',
    ]) {
      expect(await outcomeOf({ ...base, validTo })).toBe('accepted')
    }
  })
})

describe('CON: shape', () => {
  it.each(['id', 'from', 'to', 'consented', 'validTo', 'consentRights'])('CON-19 missing %s → 401', async (field) => {
    expect(await outcomeOf({ ...base, extra: { [field]: undefined } })).toBe('consent_malformed')
  })
  it('CON-19 empty consentRights → 403', async () => {
    expect(await outcomeOf({ ...base, extra: { consentRights: [] } })).toBe('consent_resource_mismatch')
  })
  it('CON-20 authorization_details absent or [] → 403 consent_missing', async () => {
    expect(await h.outcome(h.bearer(await h.issuer.accessToken({ scope: SCOPE })))).toBe('consent_missing')
    expect(await h.outcome(await rawDetails([]))).toBe('consent_missing')
  })
  it.each([[null], [{}], [['a', 'b']], ['urn:altinn:consent']])('CON-20 authorization_details %j → 401', async (details) => {
    expect(await h.outcome(await rawDetails(details))).toBe('consent_malformed')
  })
  it.each([
    ['urn:altinn:Consent'],
    ['urn:altinn:concent'],
    ['urn:altinn:consent '],
    ['URN:altinn:consent'],
    ['urn:altinn:cоnsent'],
    ['urn:altinn：consent'],
  ])('CON-21 type %j is not a consent', async (type) => {
    expect(await h.outcome(await rawDetails([{ ...consentDetail({ ...base, to: CONSUMER, now: NOW }), type }]))).toBe('consent_missing')
  })
  it('CON-22 no mixing across entries', async () => {
    expect(
      await outcomeOf([
        { ...base, resource: 'other', metadata: { inntektsaar: '2023' } },
        { ...base, to: OTHER_ORG },
      ]),
    ).toBe('consent_resource_mismatch')
  })
  it('CON-23 no mixing across rights', async () => {
    expect(
      await outcomeOf({
        from: { person: FNR_A },
        rights: [{ resource: RESOURCE }, { resource: 'other', metadata: { inntektsaar: '2023' } }],
      }),
    ).toBe('consent_metadata_mismatch')
  })
  it('CON-24 a broken consent entry is never skipped; a foreign type is ignored', async () => {
    const good = consentDetail({ ...base, to: CONSUMER, now: NOW })
    expect(await h.outcome(await rawDetails([good, { ...good, id: crypto.randomUUID(), to: 42 }]))).toBe('consent_malformed')
    expect(await h.outcome(await rawDetails([good, { type: 'urn:altinn:systemuser', systemuser_id: ['x'] }]))).toBe('accepted')
  })
  it('CON-25 the same consent id twice → 401', async () => {
    const good = consentDetail({ ...base, to: CONSUMER, now: NOW })
    expect(await h.outcome(await rawDetails([good, { ...good, validTo: '2030-01-01T00:00:00Z' }]))).toBe('consent_malformed')
  })
  it('CON-26 prototype-pollution keys grant nothing and pollute nothing', async () => {
    const token = await h.issuer.sign({ ...(await tokenClaimsWithMetadataText('{"__proto__":{"inntektsaar":"2023"}}')) })
    expect(await h.outcome(h.bearer(token))).toBe('consent_metadata_mismatch')
    const ctor = await h.issuer.sign(await tokenClaimsWithMetadataText('{"constructor":{"prototype":{"inntektsaar":"2023"}}}'))
    expect(await h.outcome(h.bearer(ctor))).toBe('consent_metadata_mismatch')
    expect(({} as Record<string, unknown>).inntektsaar).toBeUndefined()
  })
  it('CON-27 keys named like Object.prototype members', async () => {
    expect(await outcomeOf({ ...base, metadata: { toString: '2023', hasOwnProperty: 'x' } })).toBe('consent_metadata_mismatch')
  })
  it('CON-28 cardinality caps → 401', async () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))
    expect(await outcomeOf({ ...base, metadata: many })).toBe('consent_malformed')
    expect(await outcomeOf({ from: { person: FNR_A }, rights: Array.from({ length: 51 }, () => ({ resource: RESOURCE })) })).toBe(
      'consent_malformed',
    )
    expect(await outcomeOf({ ...base, resource: Array.from({ length: 21 }, (_, i) => `r${i}`) })).toBe('consent_malformed')
  })
  it.each([
    ['id number', { id: 42 }],
    ['from object', { from: {} }],
    ['to.ID number', { to: { authority: 'iso6523-actorid-upis', ID: 192991825827 } }],
    ['consented number', { consented: 1752825450 }],
    ['id injection', { id: '../../../admin' }],
    ['id 5 KB', { id: 'a'.repeat(5000) }],
  ])('CON-29/30 %s → 401', async (_n, extra) => {
    expect(await outcomeOf({ ...base, extra })).toBe('consent_malformed')
  })
  it.each([
    ['URN string', `urn:altinn:organization:identifier-no:${CONSUMER}`],
    ['lower-case id member', { authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` }],
  ])('CON-31 to as %s is refused (policy: only the documented object form)', async (_n, to) => {
    expect(await outcomeOf({ ...base, extra: { to } })).toBe('consent_malformed')
  })
})

async function tokenClaimsWithMetadataText(metadataJson: string): Promise<Record<string, unknown>> {
  const detail = consentDetail({ ...base, to: CONSUMER, now: NOW }) as unknown as { consentRights: { metadata?: unknown }[] }
  const right = detail.consentRights[0] as { metadata?: unknown }
  right.metadata = JSON.parse(metadataJson)
  return {
    ...(await import('@consent-guard/testkit')).maskinportenClaims({ iss: h.issuer.issuer, now: NOW, scope: SCOPE }),
    authorization_details: [detail],
  }
}
