import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { altinn2Claims, createAltinn2Issuer, generateSigningKey, signCompact, type Altinn2Issuer } from '@consent-guard/testkit'
import { ConsentGuardConfigError, createConsentGuard, type ConsentRequirement } from '@consent-guard/core'
import { claimsAltinn2Issuer, parseAltinn2Consent } from '@consent-guard/core/pipeline'
import { CONSUMER, createHarness, FNR_A, FNR_B, NOW, OTHER_ORG, SCOPE, SUPPLIER, type FakeRequest, type Harness } from './support.js'

// Legacy Altinn 2 consent tokens in two-token mode (docs/security.md LEG-*), beside Altinn 3 and
// migrated consents, through one route declaration.
const route: ConsentRequirement<FakeRequest> = {
  scope: SCOPE,
  resource: 'example-income',
  altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: 'ex_4629_2' },
  subject: (r) => r.params.personId,
  metadata: { inntektsaar: { equals: (r) => r.params.year } },
}

let a2: Altinn2Issuer
let h: Harness
let off: Harness
beforeAll(async () => {
  a2 = await createAltinn2Issuer({ now: NOW })
  h = await createHarness({ consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: a2.jwksUri } })
  off = await createHarness({ consentHeader: 'AltinnSamtykke' }, h.issuer)
})
afterAll(async () => {
  await h.close()
  await a2.close()
})

const access = (o: Parameters<Harness['issuer']['accessToken']>[0] = {}) => h.issuer.accessToken({ scope: SCOPE, ...o })
const send = async (legacy: string, o: Parameters<Harness['issuer']['accessToken']>[0] = {}) => ({
  authorization: `Bearer ${await access(o)}`,
  AltinnSamtykke: legacy,
})
const year2016 = { year: '2016' }

describe('the three kinds through one declaration', () => {
  it.each(['current', 'comma-strings', 'service-codes'] as const)('accepts an Altinn 2 token of the %s generation', async (generation) => {
    const token = a2.token({ generation, authorizationCode: 'c7dbe642-0fc1-4c3b-8959-8a92e3e1f17d' })
    const consent = await h.run(await send(token), year2016, route)
    expect(consent).toMatchObject({
      kind: 'altinn2',
      id: 'c7dbe642-0fc1-4c3b-8959-8a92e3e1f17d',
      subject: { type: 'person', id: FNR_A },
      consumer: CONSUMER,
      right: { resources: ['4629_2'], metadata: { inntektsaar: '2016' } },
      consentToken: { kind: 'altinn2', issuer: 'altinn.no' },
    })
  })
  it('reads string dates as Norwegian local time', async () => {
    const delegated = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000 // winter: Oslo is UTC+1
    const summer = Date.UTC(2026, 6, 1, 12, 0, 0) / 1000 // summer: UTC+2
    for (const generation of ['comma-strings', 'service-codes'] as const) {
      const parsed = parseAltinn2Consent(altinn2Claims({ generation, delegatedDate: delegated, validToDate: summer, now: NOW }))
      expect(parsed.consented).toBe(delegated * 1000)
      expect(parsed.validTo).toBe(summer * 1000)
    }
  })
  it('accepts an Altinn 3 consent and a migrated consent on the same route', async () => {
    const a3 = await h.issuer.consentToken({
      scope: 'x',
      consent: { from: { person: FNR_A }, resource: 'example-income', metadata: { inntektsaar: '2016' } },
    })
    expect(await h.outcome(await send(a3), year2016, route)).toBe('accepted')
    const migrated = await h.issuer.consentToken({
      scope: 'x',
      consent: { from: { person: FNR_A }, resource: 'ex_4629_2', metadata: { inntektsaar: '2016' } },
    })
    expect(await h.outcome(await send(migrated), year2016, route)).toBe('accepted')
    const unrelated = await h.issuer.consentToken({
      scope: 'x',
      consent: { from: { person: FNR_A }, resource: 'ex_4629_3', metadata: { inntektsaar: '2016' } },
    })
    expect(await h.outcome(await send(unrelated), year2016, route)).toBe('consent_resource_mismatch')
  })
  it('matches migrated metadata keys case-insensitively (fraOgMed in Altinn 2, fraogmed after migration)', async () => {
    const periodRoute: ConsentRequirement<FakeRequest> = {
      scope: SCOPE,
      resource: 'example-income-period',
      altinn2: { serviceCode: '4630', serviceEdition: '2' },
      subject: (r) => r.params.personId,
      period: { start: 'fraogmed', end: 'tilogmed', requested: (r) => r.params.month },
    }
    const token = a2.token({
      services: [{ serviceCode: '4630', serviceEdition: '2', metadata: { fraOgMed: '2017-06', tilOgMed: '2017-08' } }],
    })
    expect(await h.outcome(await send(token), { month: '2017-07' }, periodRoute)).toBe('accepted')
    expect(await h.outcome(await send(token), { month: '2017-09' }, periodRoute)).toBe('consent_metadata_mismatch')
  })
  it('a route without altinn2 declared never accepts a legacy token', async () => {
    const { altinn2: _ignored, ...a3Only } = route
    expect(await h.outcome(await send(a2.token()), year2016, a3Only)).toBe('consent_resource_mismatch')
  })
})

describe('LEG: the catalogue', () => {
  it('LEG-01 legacy support off → 401 legacy_token_not_accepted', async () => {
    expect(await off.outcome(await send(a2.token()), year2016, route)).toBe('legacy_token_not_accepted')
  })
  it('LEG-02 a legacy-shaped token signed by the Maskinporten key, and a legacy token in Authorization → 401', async () => {
    const forged = signCompact(
      { alg: 'RS256', kid: a2.thumbprint, x5t: a2.thumbprint },
      altinn2Claims({ now: NOW }),
      h.issuer.signer.privateKey,
    )
    expect(await h.outcome(await send(forged), year2016, route)).toBe('token_signature_invalid')
    const consentToken = await h.issuer.consentToken({
      scope: SCOPE,
      consent: { from: { person: FNR_A }, resource: 'example-income', metadata: { inntektsaar: '2016' } },
    })
    expect(await h.outcome({ authorization: `Bearer ${a2.token()}`, AltinnSamtykke: consentToken }, year2016, route)).toBe(
      'token_key_unknown',
    )
  })
  it('LEG-03 a token signed by another environment’s Altinn key → 401', async () => {
    const otherEnv = await createAltinn2Issuer({ now: NOW, key: await generateSigningKey() })
    try {
      expect(await h.outcome(await send(otherEnv.token()), year2016, route)).toBe('token_key_unknown')
    } finally {
      await otherEnv.close()
    }
  })
  it('LEG-04 certificate header tricks', async () => {
    const attacker = await generateSigningKey()
    const claims = altinn2Claims({ now: NOW })
    expect(
      await h.outcome(
        await send(signCompact({ alg: 'RS256', kid: a2.thumbprint, x5t: a2.thumbprint }, claims, attacker.privateKey)),
        year2016,
        route,
      ),
    ).toBe('token_signature_invalid')
    expect(
      await h.outcome(
        await send(signCompact({ alg: 'RS256', kid: 'other', x5t: a2.thumbprint }, claims, a2.key.privateKey)),
        year2016,
        route,
      ),
    ).toBe('token_header_invalid')
    expect(await h.outcome(await send(signCompact({ alg: 'RS256', x5t: a2.thumbprint }, claims, a2.key.privateKey)), year2016, route)).toBe(
      'accepted',
    )
    expect(
      await h.outcome(
        await send(signCompact({ alg: 'RS256', kid: a2.thumbprint, x5c: ['MIIB'] }, claims, attacker.privateKey)),
        year2016,
        route,
      ),
    ).toBe('token_signature_invalid')
  })
  it('LEG-05 party mismatch', async () => {
    expect(await h.outcome(await send(a2.token({ offeredBy: FNR_B })), year2016, route)).toBe('consent_subject_mismatch')
    expect(await h.outcome(await send(a2.token({ coveredBy: OTHER_ORG })), year2016, route)).toBe('consent_not_for_consumer')
    expect(await h.outcome(await send(a2.token({ coveredBy: `0192:${CONSUMER}` })), year2016, route)).toBe('consent_malformed')
    expect(await h.outcome(await send(a2.token({ handledBy: SUPPLIER }), { supplier: SUPPLIER }), year2016, route)).toBe('accepted')
    expect(await h.outcome(await send(a2.token({ handledBy: SUPPLIER })), year2016, route)).toBe('token_binding_mismatch')
    expect(await h.outcome(await send(a2.token({ handledBy: OTHER_ORG }), { supplier: SUPPLIER }), year2016, route)).toBe(
      'token_binding_mismatch',
    )
  })
  it('LEG-06 Services parsing is strict', async () => {
    const token = (Services: unknown) => a2.token({ extra: { Services } })
    expect(await h.outcome(await send(token('4629_2_inntektsaar=2016')), year2016, route)).toBe('accepted')
    expect(await h.outcome(await send(token(['4629,2', '4629,2,inntektsaar=2016'])), year2016, route)).toBe('accepted')
    expect(await h.outcome(await send(token(['4629_2', '4629_2_inntektsaar=2016', '4629_2_inntektsaar=2023'])), year2016, route)).toBe(
      'consent_metadata_mismatch',
    )
    // Several parameters in one entry are a documented form (Altinn's 2017 example); one key with
    // two values in it is ambiguous, so that right is unusable.
    expect(await h.outcome(await send(token(['4629_2', '4629_2_inntektsaar=2016_inntektsaar=2023'])), year2016, route)).toBe(
      'consent_metadata_mismatch',
    )
    expect(await h.outcome(await send(token(['4629_2', '4629_2_inntektsaar=2016=2023'])), year2016, route)).toBe('consent_malformed')
    expect(await h.outcome(await send(token(['4631_1', '4631_1_inntektsaar=2016'])), year2016, route)).toBe('consent_resource_mismatch')
    expect(await h.outcome(await send(token(['4629_2,inntektsaar=2016'])), year2016, route)).toBe('consent_malformed')
    expect(await h.outcome(await send(token(42)), year2016, route)).toBe('consent_malformed')
    expect(await h.outcome(await send(a2.token({ extra: { ServiceCodes: '4629,2' } })), year2016, route)).toBe('consent_malformed')
  })
  it('LEG-07 time', async () => {
    expect(await h.outcome(await send(a2.token({ validToDate: NOW - 1 })), year2016, route)).toBe('consent_expired')
    expect(await h.outcome(await send(a2.token({ delegatedDate: NOW + 3600 })), year2016, route)).toBe('consent_not_yet_valid')
    expect(await h.outcome(await send(a2.token({ now: NOW - 100 })), year2016, route)).toBe('token_expired')
    expect(await h.outcome(await send(a2.token({ extra: { nbf: NOW + 60 }, lifetimeSeconds: 90 })), year2016, route)).toBe(
      'token_not_yet_valid',
    )
  })
  it('LEG-08 a long-lived legacy token → 401', async () => {
    expect(await h.outcome(await send(a2.token({ lifetimeSeconds: 3 * 86_400 })), year2016, route)).toBe('token_lifetime_exceeded')
  })
  it('missing AuthorizationCode, OfferedBy or dates → 401', async () => {
    for (const claim of ['AuthorizationCode', 'OfferedBy', 'CoveredBy', 'DelegatedDate', 'ValidToDate']) {
      expect(await h.outcome(await send(a2.token({ extra: { [claim]: undefined } })), year2016, route)).toBe('consent_malformed')
    }
  })
})

describe('configuration', () => {
  it('legacy needs two-token mode', () => {
    expect(() => createConsentGuard({ maskinporten: 'test', altinn2: 'tt02' })).toThrow(ConsentGuardConfigError)
    expect(
      createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke', altinn2: 'tt02' }).options.altinn2JwksUri?.href,
    ).toBe('https://tt02.altinn.no/api/metadata/jwk')
  })
  it('validates the route declaration', () => {
    const g = createConsentGuard({ maskinporten: 'test' })
    expect(() => g.compile({ ...route, altinn2: { serviceCode: '46x', serviceEdition: '2' } })).toThrow(/serviceCode/)
    expect(() => g.compile({ ...route, altinn2: { serviceCode: '4629', serviceEdition: 2 as unknown as string } })).toThrow(
      /serviceEdition/,
    )
    expect(() => g.compile({ ...route, altinn2: { serviceCode: '4629', serviceEdition: '2', extra: 1 } as never })).toThrow(/altinn2.extra/)
  })
})

describe('claimsAltinn2Issuer (which verifier a consent token goes to)', () => {
  const token = (payload: string) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(payload).toString('base64url')}.c2ln`
  const reference = (t: string): boolean => {
    try {
      const claims = JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown
      return (
        typeof claims === 'object' && claims !== null && Object.hasOwn(claims, 'iss') && (claims as { iss: unknown }).iss === 'altinn.no'
      )
    } catch {
      return false
    }
  }
  it.each([
    ['{"iss":"altinn.no","exp":1}', true],
    ['{"iss":"altinn\\u002eno"}', true],
    ['{"iss":"\\u0061ltinn.no"}', true],
    ['{"iss":"https://maskinporten.no/","note":"altinn.no"}', false],
    ['{"iss":"https://maskinporten.no/"}', false],
    ['{"iss":"altinn.no.evil"}', false],
    ['{"ISS":"altinn.no"}', false],
    ['not json altinn.no', false],
    ['["altinn.no"]', false],
  ])('%s → %s, as a full parse answers', (payload, expected) => {
    expect(claimsAltinn2Issuer(token(payload))).toBe(expected)
    expect(reference(token(payload))).toBe(expected)
  })
  it('answers for tokens without a payload segment as the full parse did', () => {
    expect(claimsAltinn2Issuer('abc')).toBe(false)
    expect(claimsAltinn2Issuer(`a.${Buffer.from('{"iss":"altinn.no"}').toString('base64url')}`)).toBe(true)
  })
})
