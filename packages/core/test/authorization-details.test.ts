import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consentDetail } from '@consent-guard/testkit'
import { CONSUMER, createHarness, FNR_A, NOW, RESOURCE, SCOPE, type Harness } from './support.js'

// Maskinporten tokens may carry RFC 9396 `authorization_details` of other types. Its metadata lists
// `urn:altinn:systemuser` beside `urn:altinn:consent`. The system-user entry as Altinn's system user
// guide prints it in a token:
const SYSTEM_USER = {
  type: 'urn:altinn:systemuser',
  systemuser_id: ['a6355a68-86b8-4344-8a81-0248cb461468'],
  systemuser_org: { authority: 'iso6523-actorid-upis', ID: '0192:313367002' },
  system_id: '974761076_skatt_demo_system',
}
// ...and as Digdir's "Systembruker for virksomheter" page printed it during the pilot:
const SYSTEM_USER_PILOT = {
  type: 'urn:altinn:systemuser',
  systemuserid: 'a_unique_identifier_for_the_system',
  systemuserorg: { authority: 'iso6523-actorid-upis', ID: '0192:999888777' },
}
// A system-user entry that also carries every member of a consent: still not a consent (RFC 9396 §2:
// the type decides what the members mean).
const consentMembers = () => {
  const { type: _type, ...rest } = consentDetail({
    from: { person: FNR_A },
    to: CONSUMER,
    resource: RESOURCE,
    metadata: { inntektsaar: '2023' },
    now: NOW,
  })
  return rest
}

let h: Harness
let twoToken: Harness
beforeAll(async () => {
  h = await createHarness()
  twoToken = await createHarness({ consentHeader: 'AltinnSamtykke' }, h.issuer)
})
afterAll(() => h.close())

const withDetails = (authorization_details: unknown[]) => h.issuer.accessToken({ scope: SCOPE, authorization_details })

describe('authorization_details of other types', () => {
  it.each([
    ['the system-user entry', [SYSTEM_USER]],
    ['the pilot system-user entry', [SYSTEM_USER_PILOT]],
    ['both system-user shapes', [SYSTEM_USER, SYSTEM_USER_PILOT]],
    ['a system-user entry carrying consent members', [{ ...consentMembers(), ...SYSTEM_USER }]],
  ])('a token with only %s gets 403 consent_missing', async (_label, details) => {
    const err = await h.run(h.bearer(await withDetails(details))).catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 403, code: 'consent_missing' })
    expect(h.events.at(-1)).toMatchObject({ decision: 'rejected', code: 'consent_missing' })
    expect(h.events.at(-1)).not.toHaveProperty('consentId')
  })

  it('a consent beside system-user entries is found, and only the consent counts', async () => {
    const consent = consentDetail({
      from: { person: FNR_A },
      to: CONSUMER,
      resource: RESOURCE,
      metadata: { inntektsaar: '2023' },
      now: NOW,
    })
    for (const details of [
      [SYSTEM_USER, consent],
      [consent, SYSTEM_USER_PILOT],
    ]) {
      const result = await h.run(h.bearer(await withDetails(details)))
      expect(result.id).toBe(consent.id)
      expect(result.rights).toEqual([{ actions: ['consent'], resources: [RESOURCE], metadata: { inntektsaar: '2023' } }])
    }
  })

  it('a system-user entry does not widen a consent that does not cover the request', async () => {
    const consent = consentDetail({
      from: { person: FNR_A },
      to: CONSUMER,
      resource: RESOURCE,
      metadata: { inntektsaar: '2022' },
      now: NOW,
    })
    const disguised = { ...consentMembers(), ...SYSTEM_USER }
    expect(await h.outcome(h.bearer(await withDetails([consent, disguised])))).toBe('consent_metadata_mismatch')
  })

  it('in two-token mode a consent token with only system-user entries gets consent_missing', async () => {
    const access = await h.issuer.accessToken({ scope: SCOPE })
    const consentToken = await h.issuer.accessToken({ scope: 'altinn:consent', authorization_details: [SYSTEM_USER] })
    expect(await twoToken.outcome({ authorization: `Bearer ${access}`, AltinnSamtykke: consentToken })).toBe('consent_missing')
  })
})
