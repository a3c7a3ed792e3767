// Code blocks of docs/migration.md (see test/docs/snippets.test.ts).
import type { IncomingMessage } from 'node:http'
import { createAltinn2Issuer, createTestIssuer, startEmulator, TEST_IDENTITIES } from '@consent-guard/testkit'
import { createConsentGuard, migratedResourceId } from '@consent-guard/core'

type IncomeRequest = IncomingMessage & { params: { personId: string; year: string } }

export function migrated() {
  // #region migrated
const guard = createConsentGuard({ maskinporten: 'prod' })

const income = guard.compile<IncomeRequest>({
  scope: 'example:income',
  resource: 'example-income',                                        // Altinn 3
  altinn2: {
    serviceCode: '4629', serviceEdition: '2',
    migratedResource: migratedResourceId({ org: 'ex', serviceCode: '4629', serviceEdition: '2' }), // 'ex_4629_2'
  },
  subject: (req) => req.params.personId,
  metadata: { inntektsaar: { equals: (req) => req.params.year } },   // applies to both
})
  // #endregion migrated
  return income
}

export function legacy() {
  // #region legacy
const guard = createConsentGuard({
  maskinporten: 'prod',
  consentHeader: 'AltinnSamtykke',      // two-token mode: Altinn 2 tokens travel beside the access token
  altinn2: 'prod',                      // deprecated: warns at start-up; omit to turn the legacy path off
})
  // #endregion legacy
  return guard
}

export async function testMigrated() {
  // #region test-migrated
const issuer = await createTestIssuer()
const migrated = await issuer.consentToken({
  scope: 'example:income',
  consent: {
    from: { person: TEST_IDENTITIES.personA },
    resource: migratedResourceId({ org: 'ex', serviceCode: '4629', serviceEdition: '2' }),
    metadata: { inntektsaar: '2016' },                      // lower-cased, as the migration writes it
  },
})
  // #endregion test-migrated
  await issuer.close()
  return migrated
}

export async function testLegacy(maskinporten: { issuer: string; jwksUri: string }) {
  // #region test-legacy
const altinn2 = await createAltinn2Issuer()
const guard = createConsentGuard({ maskinporten, consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: altinn2.jwksUri } })
const legacy = altinn2.token({ generation: 'service-codes', services: [{ serviceCode: '4629', serviceEdition: '2', metadata: { inntektsaar: '2016' } }] })
  // #endregion test-legacy
  return { guard, legacy, altinn2 }
}

export async function emulatorLegacy() {
  const { personA, consumerOrgno } = TEST_IDENTITIES
  // #region emulator-legacy
const emu = await startEmulator({ resources: { 'example-income': { altinn2: { serviceCode: '4629', serviceEdition: '2' } } } })
const guard = createConsentGuard({ maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri },
                                   consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: emu.altinn2JwksUri } })
const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2016' } })
const legacy = await emu.requestAltinn2Token({ consent })              // OfferedBy = from, CoveredBy = the bank
const access = await emu.requestToken({ scope: 'example:income' })     // the Maskinporten token beside it
// headers: Authorization: Bearer <access.body.access_token>, AltinnSamtykke: <legacy.token>
  // #endregion emulator-legacy
  return { emu, guard, legacy, access }
}
