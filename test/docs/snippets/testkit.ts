/* eslint-disable @typescript-eslint/no-unused-expressions -- the docs list the emulator's properties one per line */
// Code blocks of docs/testkit.md and packages/testkit/README.md (see test/docs/snippets.test.ts).
import type { JWK } from 'jose'
import { createConsentGuard } from '@consent-guard/core'
import {
  consentDetail,
  createTestIssuer,
  deterministicSigningKey,
  maskinportenClaims,
  signCompact,
  TEST_IDENTITIES,
  type Emulator,
  type EmulatorOptions,
} from '@consent-guard/testkit'

declare const options: EmulatorOptions
declare const publicJwk: JWK
declare const fakeNow: Date
declare const NOW: Date
const { personA, consumerOrgno } = TEST_IDENTITIES
const orgno = '991825827'
const customerOrgno = '313876144'
const scope = 'example:income'

// #region start
import { startEmulator } from '@consent-guard/testkit'
const emu = await startEmulator(options)
// #endregion start

export async function register() {
  // #region register-client
await emu.registerClient({ clientId: 'my-bank', orgno: '991825827', keys: [publicJwk], scopes: ['example:income'] })
  // #endregion register-client
}

export async function altinn2() {
  // #region emulator-altinn2
const emu = await startEmulator({
  resources: { 'example-income': { metadata: ['inntektsaar'], altinn2: { serviceCode: '4629', serviceEdition: '2' } } },
})
const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
const legacy = await emu.requestAltinn2Token({ consent })        // { ok, status, token }
// verify it as a data source does:
createConsentGuard({ maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri },
                     consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: emu.altinn2JwksUri } })
  // #endregion emulator-altinn2
  return legacy
}

declare const consent: ReturnType<Emulator['consents']['grant']>

export async function api() {
  // #region emulator-api
const emu = await startEmulator({
  port: 0,                     // default: a free port; host defaults to 127.0.0.1
  clock: () => fakeNow,        // default: the system clock (tokens, grants, consent expiry)
  deterministic: true,         // default: signs with the checked-in key mp-1, fixed sandbox clients
  resources: { 'example-income': { metadata: ['inntektsaar'], accessList: ['991825827'],
                                   altinn2: { serviceCode: '4629', serviceEdition: '2' } } },  // legacy tokens
})
emu.issuer, emu.jwksUri        // configure your verifier with these
emu.altinn2JwksUri             // and, for legacy tokens in two-token mode, altinn2: { jwksUri }
emu.consents                   // create / get / accept / reject / revoke / grant / list
emu.sandbox.bank               // { clientId, orgno: '991825827', key }: a registered client
await emu.registerClient({ orgno, keys: [publicJwk], scopes: ['example:income'], delegatedBy: [customerOrgno] })
await emu.rotateKeys()         // publishes mp-2 next to mp-1 and signs with it
await emu.requestToken({ scope, consent, as: 'other' })  // a real grant over HTTP
await emu.consentToken({})     // signs directly, no grant and no lookup
await emu.requestAltinn2Token({ consent })  // the consent as an Altinn 2 token: { ok, status, token }
emu.altinn2Token({ generation: 'service-codes' })  // signs altinn2Claims() directly
await emu.close()
  // #endregion emulator-api
}

export async function legacyToken() {
  // #region readme-altinn2
const legacy = await emu.requestAltinn2Token({ consent })   // or { consent, generation: 'comma-strings' }
if (!legacy.ok) throw new Error(legacy.body.code)
const guard = createConsentGuard({
  maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri },
  consentHeader: 'AltinnSamtykke', altinn2: { jwksUri: emu.altinn2JwksUri },
})
// send Authorization: Bearer <a Maskinporten token from emu.requestToken()> and AltinnSamtykke: legacy.token
  // #endregion readme-altinn2
  return guard
}

export async function issuerApi() {
  // #region readme-issuer
// A signer plus a JWKS server, without the consent flow.
const issuer = await createTestIssuer({ now: NOW })                 // NOW: epoch seconds or a Date
const token = await issuer.consentToken({
  scope: 'skatteetaten:inntekt',
  consent: { from: { person: TEST_IDENTITIES.personA }, resource: 'ske-samtykke-sbl-inntekt',
             metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
})
issuer.server.setBehaviour('down')           // or 'status500', { delayMs: 3000 }, { hugeBytes: 50e6 }, ...
await issuer.rotate()                        // mp-2 published and signing; mp-1 still published
issuer.removeKey('mp-1')

// Forgery: the attacker key presenting the trusted kid.
await issuer.consentToken({}, { key: await deterministicSigningKey('attacker', { kid: 'mp-1' }) })
// Claims no JOSE library would sign for you.
signCompact('{"alg":"RS256","kid":"mp-1","kid":"x"}', '\uFEFF{"iss":"..."}', issuer.signer.privateKey)
maskinportenClaims({ extra: { exp: undefined } })        // `undefined` removes a claim
consentDetail({ metadataKey: 'metaData', from: { organization: '310149942' } })
  // #endregion readme-issuer
  return token
}
