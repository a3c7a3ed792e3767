import { describe, expect, it } from 'vitest'
import { oneTimeRecordKey, tokenRecordKey } from '@consent-guard/core'
import { createHarness, FNR_A, incomeRoute, RESOURCE } from './support.js'

// Deployed stores (Redis) hold records under these keys: a format change would make every
// recorded one-time use invisible, so the formats are pinned as literal strings.
describe('one-time record keys', () => {
  it('consent record: issuer (URL-encoded) + lower-cased consent id + resource', () => {
    expect(oneTimeRecordKey('https://maskinporten.no/', '3FA85F64-5717-4562-B3FC-2C963F66AFA6', 'ske-samtykke-sbl-inntekt')).toBe(
      'consent-guard:used:v1:https%3A%2F%2Fmaskinporten.no%2F:3fa85f64-5717-4562-b3fc-2c963f66afa6:ske-samtykke-sbl-inntekt',
    )
    expect(oneTimeRecordKey('altinn.no', '3fa85f64-5717-4562-b3fc-2c963f66afa6', 'example-income')).toBe(
      'consent-guard:used:v1:altinn.no:3fa85f64-5717-4562-b3fc-2c963f66afa6:example-income',
    )
  })
  it('token record: issuer (URL-encoded) + jti (URL-encoded, case kept) + resource', () => {
    expect(tokenRecordKey('https://test.maskinporten.no/', 'AbC-_x/y:z', 'example-income')).toBe(
      'consent-guard:jti:v1:https%3A%2F%2Ftest.maskinporten.no%2F:AbC-_x%2Fy%3Az:example-income',
    )
  })
  it('the guard stores exactly these keys', async () => {
    const h = await createHarness()
    try {
      const token = await h.token({
        jti: 'jti-1',
        consent: {
          from: { person: FNR_A },
          resource: RESOURCE,
          metadata: { inntektsaar: '2023' },
          id: '3FA85F64-5717-4562-B3FC-2C963F66AFA6',
        },
      })
      const consent = await h.run(h.bearer(token), {}, { ...incomeRoute, oneTime: true })
      const iss = encodeURIComponent(h.issuer.issuer)
      expect(consent.oneTime?.key).toBe(`consent-guard:used:v1:${iss}:3fa85f64-5717-4562-b3fc-2c963f66afa6:example-income`)
      expect(consent.oneTime?.tokenKey).toBe(`consent-guard:jti:v1:${iss}:jti-1:example-income`)
    } finally {
      await h.close()
    }
  })
})
