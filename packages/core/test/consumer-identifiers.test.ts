import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsentTokenOptions, OrgIdentifier } from '@consent-guard/testkit'
import { ConsentGuardConfigError, createConsentGuard, type ConsentRequirement, type OrganizationIdentifier } from '@consent-guard/core'
import { CONSUMER, createHarness, FNR_A, incomeRoute, RESOURCE, SCOPE, SUPPLIER, type FakeRequest, type Harness } from './support.js'

// Maskinporten's token documentation: `consumer`/`supplier` are `{ authority, ID }`, and the authority
// list and ID format may be extended (IDs of 2–4 colon-separated elements). Its European eSeal page
// prints a consumer with another authority, the ID copied from the certificate and extra name members:
const ESEAL_CONSUMER = {
  commonName: 'Your company AS',
  organizationName: 'Your company AS',
  organizationalUnitName: "Your company's unit",
  authority: 'etsi-en-319-412',
  ID: 'NTRNO-555555555',
  countryName: 'NO',
}
const ESEAL: OrganizationIdentifier = { authority: 'etsi-en-319-412', id: 'NTRNO-555555555' }
const ESEAL_TO: OrgIdentifier = { authority: 'etsi-en-319-412', ID: 'NTRNO-555555555' }
const consent = { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } }

let norwegianOnly: Harness
let withEseal: Harness
let twoToken: Harness
beforeAll(async () => {
  norwegianOnly = await createHarness()
  withEseal = await createHarness({ consumerAuthorities: ['etsi-en-319-412'] }, norwegianOnly.issuer)
  twoToken = await createHarness({ consumerAuthorities: ['etsi-en-319-412'], consentHeader: 'AltinnSamtykke' }, norwegianOnly.issuer)
})
afterAll(() => norwegianOnly.close())

const token = (h: Harness, o: ConsentTokenOptions) => h.issuer.consentToken({ scope: SCOPE, consent, ...o })
const esealToken = (h: Harness, to: OrgIdentifier | string = ESEAL_TO, extra: ConsentTokenOptions = {}) =>
  token(h, { consumer: ESEAL_CONSUMER, consent: { ...consent, to }, ...extra })

describe('default: only the Norwegian form', () => {
  it('exposes the consumer as the organisation number and as authority + ID', async () => {
    const result = await norwegianOnly.run(norwegianOnly.bearer(await token(norwegianOnly, {})))
    expect(result.consumer).toBe(CONSUMER)
    expect(result.consumerIdentifier).toEqual({ authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` })
    expect(result.supplier).toBeUndefined()
    expect(result.supplierIdentifier).toBeUndefined()
  })
  it('exposes a supplier both ways', async () => {
    const result = await norwegianOnly.run(norwegianOnly.bearer(await token(norwegianOnly, { supplier: SUPPLIER })))
    expect(result.supplier).toBe(SUPPLIER)
    expect(result.supplierIdentifier).toEqual({ authority: 'iso6523-actorid-upis', id: `0192:${SUPPLIER}` })
  })
  it('refuses the eSeal consumer as Digdir prints it with 401 consumer_identifier_unsupported', async () => {
    const err = await norwegianOnly.run(norwegianOnly.bearer(await esealToken(norwegianOnly))).catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 401, code: 'consumer_identifier_unsupported' })
    expect((err as { headers: Record<string, string> }).headers['WWW-Authenticate']).toContain('error="invalid_token"')
    expect(norwegianOnly.events.at(-1)).toMatchObject({ decision: 'rejected', code: 'consumer_identifier_unsupported' })
    expect(norwegianOnly.events.at(-1)).not.toHaveProperty('consumer')
  })
  it.each<[string, unknown, string]>([
    ['another ICD', { authority: 'iso6523-actorid-upis', ID: `9908:${CONSUMER}` }, 'consumer_identifier_unsupported'],
    [
      'a sub-unit (4 elements)',
      { authority: 'iso6523-actorid-upis', ID: `0192:${CONSUMER}:ER//987464291:1` },
      'consumer_identifier_unsupported',
    ],
    ['no ICD', { authority: 'iso6523-actorid-upis', ID: CONSUMER }, 'consumer_identifier_unsupported'],
    ['0192 with 8 digits', { authority: 'iso6523-actorid-upis', ID: '0192:99182582' }, 'token_claims_invalid'],
    ['0192 alone', { authority: 'iso6523-actorid-upis', ID: '0192' }, 'token_claims_invalid'],
    ['an ID with a space', { authority: 'etsi-en-319-412', ID: 'NTRNO 555555555' }, 'token_claims_invalid'],
    ['an empty authority', { authority: '', ID: 'NTRNO-555555555' }, 'token_claims_invalid'],
    ['a lower-case id beside ID', { ...ESEAL_CONSUMER, id: 'NTRNO-555555555' }, 'token_claims_invalid'],
  ])('consumer with %s → %s', async (_label, consumer, code) => {
    expect(await norwegianOnly.outcome(norwegianOnly.bearer(await token(norwegianOnly, { consumer: consumer as OrgIdentifier })))).toBe(
      code,
    )
  })
  it('a supplier of another form is refused the same way', async () => {
    const t = await token(norwegianOnly, { supplier: ESEAL_TO })
    expect(await norwegianOnly.outcome(norwegianOnly.bearer(t))).toBe('consumer_identifier_unsupported')
  })
})

describe('consumerAuthorities: further authorities, compared by authority and ID exactly', () => {
  it('accepts the eSeal consumer and exposes both forms', async () => {
    const result = await withEseal.run(withEseal.bearer(await esealToken(withEseal)))
    expect(result.consumer).toBe('etsi-en-319-412:NTRNO-555555555')
    expect(result.consumerIdentifier).toEqual(ESEAL)
    expect(withEseal.events.at(-1)).toMatchObject({
      decision: 'accepted',
      consumer: 'etsi-en-319-412:NTRNO-555555555',
      consumerIdentifier: ESEAL,
    })
    // The name members of the certificate are not carried over.
    expect(JSON.stringify(withEseal.events.at(-1))).not.toContain('Your company')
  })
  it.each<[string, OrgIdentifier]>([
    ['the Norwegian form of the same digits', { authority: 'iso6523-actorid-upis', ID: '0192:555555555' }],
    ['another authority, same ID', { authority: 'etsi-en-319-411', ID: 'NTRNO-555555555' }],
    ['the ID in another case', { authority: 'etsi-en-319-412', ID: 'ntrno-555555555' }],
    ['the authority in another case', { authority: 'ETSI-EN-319-412', ID: 'NTRNO-555555555' }],
  ])('a consent whose `to` is %s is not for this consumer', async (_label, to) => {
    expect(await withEseal.outcome(withEseal.bearer(await esealToken(withEseal, to)))).toBe('consent_not_for_consumer')
  })
  it('a Norwegian consumer is still matched against its Norwegian `to` only', async () => {
    expect(await withEseal.outcome(withEseal.bearer(await token(withEseal, {})))).toBe('accepted')
    const t = await token(withEseal, { consent: { ...consent, to: ESEAL_TO } })
    expect(await withEseal.outcome(withEseal.bearer(t))).toBe('consent_not_for_consumer')
  })
  it('authorities not listed stay unsupported', async () => {
    const t = await token(withEseal, { consumer: { authority: 'iso6523-actorid-upis', ID: `9908:${CONSUMER}` } })
    expect(await withEseal.outcome(withEseal.bearer(t))).toBe('consumer_identifier_unsupported')
  })
  it('listing iso6523-actorid-upis accepts its other ICDs; a broken 0192 ID stays invalid', async () => {
    const h = await createHarness({ consumerAuthorities: ['iso6523-actorid-upis'] }, norwegianOnly.issuer)
    const other = { authority: 'iso6523-actorid-upis', ID: '9908:910075918' }
    const result = await h.run(h.bearer(await token(h, { consumer: other, consent: { ...consent, to: other } })))
    expect(result.consumer).toBe('iso6523-actorid-upis:9908:910075918')
    const broken = { authority: 'iso6523-actorid-upis', ID: '0192:12345' }
    expect(await h.outcome(h.bearer(await token(h, { consumer: broken, consent: { ...consent, to: broken } })))).toBe(
      'token_claims_invalid',
    )
  })
  it('a consent `to` with a broken Norwegian ID is malformed', async () => {
    const t = await token(withEseal, { consent: { ...consent, to: { authority: 'iso6523-actorid-upis', ID: '0192:12345' } } })
    expect(await withEseal.outcome(withEseal.bearer(t))).toBe('consent_malformed')
  })
})

describe('two-token binding compares authority and ID', () => {
  const pair = (access: string, consentToken: string) => ({ authorization: `Bearer ${access}`, AltinnSamtykke: consentToken })
  const at = (o: ConsentTokenOptions = {}) => twoToken.issuer.accessToken({ scope: SCOPE, ...o })
  it('accepts two tokens of the same eSeal consumer', async () => {
    const result = await twoToken.run(pair(await at({ consumer: ESEAL_CONSUMER }), await esealToken(twoToken)))
    expect(result.consumerIdentifier).toEqual(ESEAL)
  })
  it.each<[string, OrgIdentifier]>([
    ['the Norwegian form of the same digits', { authority: 'iso6523-actorid-upis', ID: '0192:555555555' }],
    ['the same ID under another authority', { authority: 'etsi-en-319-411', ID: 'NTRNO-555555555' }],
  ])('refuses a consent token whose consumer is %s', async (_label, consumer) => {
    const listed = await createHarness(
      { consumerAuthorities: ['etsi-en-319-412', 'etsi-en-319-411'], consentHeader: 'AltinnSamtykke' },
      norwegianOnly.issuer,
    )
    const consentToken = await token(listed, { consumer, consent: { ...consent, to: consumer } })
    expect(await listed.outcome(pair(await at({ consumer: ESEAL_CONSUMER }), consentToken))).toBe('token_binding_mismatch')
  })
  it('refuses suppliers that differ only in authority', async () => {
    const listed = await createHarness({ consumerAuthorities: ['etsi-en-319-412'], consentHeader: 'AltinnSamtykke' }, norwegianOnly.issuer)
    const eSealSupplier = { authority: 'etsi-en-319-412', ID: SUPPLIER }
    const t = await token(listed, { supplier: eSealSupplier })
    expect(await listed.outcome(pair(await at({ supplier: SUPPLIER }), t))).toBe('token_binding_mismatch')
    expect(await listed.outcome(pair(await at({ supplier: eSealSupplier }), t))).toBe('accepted')
  })
})

describe('access list (route `consumers`)', () => {
  const route = (consumers: ConsentRequirement<FakeRequest>['consumers']): ConsentRequirement<FakeRequest> => ({
    ...incomeRoute,
    consumers,
  })
  it('matches { authority, id } entries exactly and never an orgno against another authority', async () => {
    const eseal = withEseal.bearer(await esealToken(withEseal))
    expect(await withEseal.outcome(eseal, {}, route([ESEAL]))).toBe('accepted')
    expect(await withEseal.outcome(eseal, {}, route([{ authority: 'etsi-en-319-412', ID: 'NTRNO-555555555' } as never]))).toBe('accepted')
    expect(await withEseal.outcome(eseal, {}, route(['555555555']))).toBe('consumer_not_allowed')
    expect(await withEseal.outcome(eseal, {}, route([{ authority: 'etsi-en-319-412', id: 'ntrno-555555555' }]))).toBe(
      'consumer_not_allowed',
    )
    const norwegian = withEseal.bearer(await token(withEseal, {}))
    expect(await withEseal.outcome(norwegian, {}, route([CONSUMER]))).toBe('accepted')
    expect(await withEseal.outcome(norwegian, {}, route([{ authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` }]))).toBe('accepted')
    expect(await withEseal.outcome(norwegian, {}, route([ESEAL]))).toBe('consumer_not_allowed')
  })
  it('gives a function the string form and the identifier', async () => {
    const seen: unknown[] = []
    const fn = (consumer: string, _req: FakeRequest, identifier: OrganizationIdentifier) => {
      seen.push([consumer, identifier])
      return identifier.authority === ESEAL.authority && identifier.id === ESEAL.id
    }
    expect(await withEseal.outcome(withEseal.bearer(await esealToken(withEseal)), {}, route(fn))).toBe('accepted')
    expect(seen).toEqual([['etsi-en-319-412:NTRNO-555555555', ESEAL]])
  })
  it.each([
    [[{ authority: 'a' }]],
    [[{ authority: 'a:b', id: 'c' }]],
    [[{ authority: 'a', id: 'b c' }]],
    [[{ authority: 'a', id: 'b', x: 1 }]],
    [['0192:991825827']],
  ])('refuses consumers %j at start-up', (consumers) => {
    expect(() => withEseal.guard.compile(route(consumers as never))).toThrow(ConsentGuardConfigError)
  })
})

describe('consumerAuthorities option', () => {
  it.each([['etsi:en'], ['with space'], [''], [42], ['x'.repeat(257)]])('refuses %j at start-up', (authority) => {
    expect(() => createConsentGuard({ maskinporten: 'test', consumerAuthorities: [authority as string] })).toThrow(ConsentGuardConfigError)
  })
  it('refuses a non-array', () => {
    expect(() => createConsentGuard({ maskinporten: 'test', consumerAuthorities: 'etsi-en-319-412' as never })).toThrow(
      ConsentGuardConfigError,
    )
  })
  it('resolves to a set, empty by default', () => {
    expect([...createConsentGuard({ maskinporten: 'test' }).options.consumerAuthorities]).toEqual([])
    expect([...createConsentGuard({ maskinporten: 'test', consumerAuthorities: ['etsi-en-319-412'] }).options.consumerAuthorities]).toEqual(
      ['etsi-en-319-412'],
    )
  })
})

describe('string forms', () => {
  it('organizationText and organizationFromText are inverse for accepted identifiers', async () => {
    const { organizationFromText, organizationText } = await import('@consent-guard/core/pipeline')
    for (const identifier of [
      { authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` },
      ESEAL,
      { authority: 'iso6523-actorid-upis', id: '9908:910075918' },
      { authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}:ER//987464291:1` },
    ]) {
      expect(organizationFromText(organizationText(identifier))).toEqual(identifier)
    }
    expect(organizationText({ authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` })).toBe(CONSUMER)
    expect(organizationFromText('not an identifier')).toBeUndefined()
    expect(organizationFromText(':x')).toBeUndefined()
  })
})
