import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAltinn2Issuer, createTestIssuer, signCompact, type Altinn2Issuer, type TestIssuer } from '@consent-guard/testkit'
import { createConsentGuard, headersFromRecord, isConsentGuardError, type ConsentGuard, type ConsentRequirement } from '@consent-guard/core'
import { parseAltinn2Consent } from '@consent-guard/core/pipeline'

// Issue 11 #6: the oldest (2017) Altinn 2 consent token format, as Altinn published it in its
// consent guide for data sources (section 6.1, "Encoded eksempel" of the payload): comma-separated
// entries, two parameters in one entry, string dates. The payload below is that published text,
// byte for byte; only the signature is ours (Altinn's key is not public), with the test Altinn 2 key.
const PUBLISHED_PAYLOAD =
  'eyJTZXJ2aWNlcyI6WyI0NjI5LDIiLCI0NjI5LDIsaW5udGVrdHNhYXI9MjAxNSIsIjQ2MzAsMiIsIjQ2MzAsMixmcmFPZ01lZD1ub3ZlbWJlciAyMDE2L' +
  'HRpbE9nTWVkPWphbnVhciAyMDE3Il0sIkF1dGhvcml6YXRpb25Db2RlIjoiMDkzZDAwNzAtMjJhZC00YzQ5LTlkNzEtZjUzNjdjZjk5MWI4IiwiT2ZmZX' +
  'JlZEJ5IjoiMzAwNTAxMDEyMTEiLCJDb3ZlcmVkQnkiOiI5MTA1MTQ0NTgiLCJEZWxlZ2F0ZWREYXRlIjoiMjAxNy0wNC0xOCAwOTozMzoxMyIsIlZhbGl' +
  'kVG9EYXRlIjoiMjAxNy0wNi0zMCAxMDozMDowMCIsImlzcyI6ImFsdGlubi5ubyIsImV4cCI6MTQ5MjUwMDk0MiwibmJmIjoxNDkyNTAwOTEyfQ'
const payloadBytes = Buffer.from(PUBLISHED_PAYLOAD, 'base64url')
const claims = JSON.parse(payloadBytes.toString('utf8')) as Record<string, unknown>
// Between the token's nbf (1492500912) and exp (1492500942).
const AT = 1_492_500_925
const OFFERED_BY = '30050101211'
const COVERED_BY = '910514458'

interface Req {
  params: Record<string, string>
}
const incomeRoute: ConsentRequirement<Req> = {
  scope: 'example:income',
  resource: 'example-income',
  altinn2: { serviceCode: '4629', serviceEdition: '2' },
  subject: (r) => r.params.personId,
  metadata: { inntektsaar: { equals: (r) => r.params.year } },
}
const periodRoute: ConsentRequirement<Req> = {
  scope: 'example:income',
  resource: 'example-income-period',
  altinn2: { serviceCode: '4630', serviceEdition: '2' },
  subject: (r) => r.params.personId,
  metadata: { fraogmed: { any: true }, tilogmed: { any: true } },
}

let mp: TestIssuer
let a2: Altinn2Issuer
let guard: ConsentGuard
let token: string
beforeAll(async () => {
  mp = await createTestIssuer({ now: AT })
  a2 = await createAltinn2Issuer({ now: AT })
  guard = createConsentGuard({
    maskinporten: { issuer: mp.issuer, jwksUri: mp.jwksUri },
    consentHeader: 'AltinnSamtykke',
    altinn2: { jwksUri: a2.jwksUri },
    clock: () => new Date(AT * 1000),
  })
  // The published header names the key by x5t only.
  token = signCompact({ typ: 'JWT', alg: 'RS256', x5t: a2.thumbprint }, payloadBytes, a2.key.privateKey)
})
afterAll(async () => {
  await mp.close()
  await a2.close()
})

async function check(requirement: ConsentRequirement<Req>, params: Record<string, string>) {
  const headers = headersFromRecord({
    authorization: `Bearer ${await mp.accessToken({ scope: 'example:income', consumer: COVERED_BY })}`,
    AltinnSamtykke: token,
  })
  return guard.check({ headers, request: { params } }, guard.compile(requirement))
}

describe("Altinn's published 2017 Altinn 2 token", () => {
  it('is the published text (sanity check of the fixture)', () => {
    expect(claims.Services).toEqual(['4629,2', '4629,2,inntektsaar=2015', '4630,2', '4630,2,fraOgMed=november 2016,tilOgMed=januar 2017'])
    expect(claims).toMatchObject({ DelegatedDate: '2017-04-18 09:33:13', ValidToDate: '2017-06-30 10:30:00', iss: 'altinn.no' })
  })

  it('parses every entry, two parameters in one entry, and the string dates (Oslo local time)', () => {
    const consent = parseAltinn2Consent(claims)
    expect(consent).toMatchObject({ kind: 'altinn2', id: '093d0070-22ad-4c49-9d71-f5367cf991b8', from: { type: 'person', id: OFFERED_BY } })
    expect(consent.consented).toBe(Date.UTC(2017, 3, 18, 7, 33, 13))
    expect(consent.validTo).toBe(Date.UTC(2017, 5, 30, 8, 30, 0))
    const byService = Object.fromEntries(
      consent.rights.map((r) => [r.resources[0]?.value, r.metadata.status === 'ok' ? Object.fromEntries(r.metadata.values) : 'unusable']),
    )
    expect(byService).toEqual({
      '4629_2': { inntektsaar: '2015' },
      '4630_2': { fraogmed: 'november 2016', tilogmed: 'januar 2017' },
    })
  })

  it('re-signed, it is accepted on the income route (4629_2, inntektsaar 2015)', async () => {
    const consent = await check(incomeRoute, { personId: OFFERED_BY, year: '2015' })
    expect(consent).toMatchObject({ kind: 'altinn2', right: { resources: ['4629_2'], metadata: { inntektsaar: '2015' } } })
  })

  it('re-signed, it is accepted on the period route (4630_2, both parameters of the one entry)', async () => {
    const consent = await check(periodRoute, { personId: OFFERED_BY })
    expect(consent.right.metadata).toEqual({ fraogmed: 'november 2016', tilogmed: 'januar 2017' })
  })

  it('still refuses what it does not cover', async () => {
    const err = await check(incomeRoute, { personId: OFFERED_BY, year: '2016' }).catch((e: unknown) => e)
    expect(isConsentGuardError(err) && err.code).toBe('consent_metadata_mismatch')
  })
})

describe('parameters per entry', () => {
  const base = { ...claims }
  const parse = (services: string[]) => parseAltinn2Consent({ ...base, Services: services })
  it.each([
    ['4630_2_fraOgMed=2017-06_tilOgMed=2017-08', { fraogmed: '2017-06', tilogmed: '2017-08' }],
    ['4630,2,a=1,b=2,c=3', { a: '1', b: '2', c: '3' }],
    ['4629_2_note=a_b', { note: 'a_b' }],
  ])('%s', (entry, metadata) => {
    const right = parse([entry]).rights[0]
    expect(right?.metadata.status === 'ok' && Object.fromEntries(right.metadata.values)).toEqual(metadata)
  })
  it.each([['4630,2,fraOgMed=x=y'], ['4630,2,=x'], ['4630,2,'], ['4630,2,fraOgMed']])('%s is malformed', (entry) => {
    expect(() => parse([entry])).toThrow(expect.objectContaining({ code: 'consent_malformed' }))
  })
  it('one key twice with different values in one entry makes that right unusable', () => {
    expect(parse(['4630,2,a=1,a=2']).rights[0]?.metadata.status).toBe('unusable')
  })
})
