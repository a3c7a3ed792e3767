import { describe, expect, it } from 'vitest'
import { consentDetail } from '@consent-guard/testkit'
import { compileRequirement, explainConsents, matchConsent, parseConsents, readRequestFacts } from '@consent-guard/core/pipeline'
import { CONSUMER, FNR_A, NOW, OTHER_ORG, RESOURCE } from './support.js'

// explainConsents gives the same verdict as matchConsent, with the reasons spelled out.
const route = compileRequirement<{ year: string }>({
  resource: RESOURCE,
  subject: () => FNR_A,
  metadata: { inntektsaar: { equals: (r) => r.year } },
})
const ctx = (year: string) => ({
  compiled: route,
  facts: readRequestFacts(route, { year }),
  request: { year },
  consumer: CONSUMER,
  now: NOW * 1000,
  toleranceMs: 10_000,
})
const consents = parseConsents({
  authorization_details: [
    consentDetail({ from: { person: FNR_A }, to: OTHER_ORG, resource: RESOURCE, metadata: { inntektsaar: '2024' }, now: NOW }),
    consentDetail({
      from: { person: FNR_A },
      to: CONSUMER,
      now: NOW,
      rights: [{ resource: 'other' }, { resource: RESOURCE, metadata: { inntektsaar: '2023', formaal: 'x' } }],
    }),
  ],
})

describe('explainConsents', () => {
  it('spells out each condition of each entry and right', () => {
    const [first, second] = explainConsents(consents, ctx('2024'))
    expect(first).toMatchObject({
      code: 'consent_not_for_consumer',
      to: { ok: false, consent: OTHER_ORG, consumer: CONSUMER },
      from: { ok: true },
      time: undefined,
    })
    expect(second?.code).toBe('consent_metadata_mismatch')
    expect(second?.rights[0]).toMatchObject({ code: 'consent_resource_mismatch', resources: ['other'], metadata: [] })
    expect(second?.rights[1]?.metadata).toEqual([
      { key: 'formaal', rule: 'unknown', ok: false, consentValue: 'x' },
      { key: 'inntektsaar', rule: 'equals', ok: false, consentValue: '2023', requestValue: '2024' },
    ])
  })
  it('agrees with matchConsent on the verdict', () => {
    const only = [consents[1]!]
    const rightOnly = parseConsents({
      authorization_details: [
        consentDetail({ from: { person: FNR_A }, to: CONSUMER, resource: RESOURCE, metadata: { inntektsaar: '2023' }, now: NOW }),
      ],
    })
    expect(explainConsents(rightOnly, ctx('2023'))[0]?.code).toBeUndefined()
    expect(matchConsent(rightOnly, ctx('2023')).right).toBe(rightOnly[0]?.rights[0])
    expect(() => matchConsent(only, ctx('2023'))).toThrow(expect.objectContaining({ code: 'consent_metadata_mismatch' }))
    expect(explainConsents(only, ctx('2023'))[0]?.code).toBe('consent_metadata_mismatch')
  })
})
