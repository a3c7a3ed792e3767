// The guide's quick start, try.ts; run by test/docs/quick-start.test.ts.
// #region try
import { startEmulator, TEST_IDENTITIES } from '@consent-guard/testkit'
import { buildApp } from './app.js'

export async function tryIt(): Promise<number[]> {
  const emulator = await startEmulator() // Maskinporten + Altinn on 127.0.0.1
  const app = await buildApp({ issuer: emulator.issuer, jwksUri: emulator.jwksUri })
  const { personA, consumerOrgno } = TEST_IDENTITIES
  // The person consents to the bank reading income for 2024; the bank gets a token with it.
  const consent = emulator.consents.grant({
    from: personA,
    to: consumerOrgno,
    resource: 'example-income',
    metadata: { inntektsaar: '2024' },
  })
  const token = await emulator.requestToken({ scope: 'example:income', consent })
  if (!token.ok) throw new Error(`no token: ${token.body.error}`)
  const headers = { authorization: `Bearer ${token.body.access_token}` }

  const statuses: number[] = []
  for (const year of ['2024', '2023']) {
    const res = await app.inject({ url: `/income/${year}/${personA}`, headers })
    console.log(year, res.statusCode, res.body) // 2024: 200; 2023: 403 consent_metadata_mismatch
    statuses.push(res.statusCode)
  }
  await app.close()
  await emulator.close()
  return statuses
}
// #endregion try
