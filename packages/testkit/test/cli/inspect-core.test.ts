import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  altinn2Claims,
  consentDetail,
  consentTokenClaims,
  ESEAL_AUTHORITY,
  esealConsumer,
  defaultAltinn2Key,
  deterministicSigningKey,
  encodeSegment,
  maskinportenClaims,
  signAltinn2Token,
  signCompact,
  startEmulator,
  TEST_IDENTITIES,
  type Emulator,
} from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mint, runCli, spawnCli } from './helpers.js'

// inspect on top of the core: Altinn 2 tokens (iss altinn.no) judged as the core judges them in
// two-token mode, duplicate JSON members, and several consent entries explained by the core's
// explainConsents.
const { personA, personB, consumerOrgno, otherOrgno, supplierOrgno } = TEST_IDENTITIES
let emu: Emulator
let dir: string

beforeAll(async () => {
  emu = await startEmulator({
    resources: { 'example-income': { metadata: ['inntektsaar'], altinn2: { serviceCode: '4629', serviceEdition: '2' } } },
  })
  dir = await mkdtemp(join(tmpdir(), 'cg-inspect-a2-'))
})
afterAll(() => emu.close())

let files = 0
async function routeFile(config: Record<string, unknown>): Promise<string> {
  const file = join(dir, `route-${(files += 1)}.json`)
  await writeFile(file, JSON.stringify(config))
  return file
}

const legacyRoute = (extra: Record<string, unknown> = {}) => ({
  scope: 'example:income',
  resource: 'example-income',
  altinn2: { serviceCode: '4629', serviceEdition: '2' },
  subject: personA,
  metadata: { inntektsaar: '2016' },
  ...extra,
})
const mintLegacy = (extra: string[] = []) => mint(['--altinn2', '--metadata', 'inntektsaar=2016', ...extra])

interface Rule {
  rule: string
  status: string
  detail: string
  code?: string
}
const firstFail = (report: { rules: Rule[] }) => report.rules.find((r) => r.status === 'fail')

describe('inspect: Altinn 2 tokens', () => {
  it("explains an emulator-issued Altinn 2 token, verified against the emulator's Altinn 2 key set", async () => {
    const consent = emu.consents.grant({ from: personA, to: consumerOrgno, resource: 'example-income', metadata: { inntektsaar: '2024' } })
    const issued = await emu.requestAltinn2Token({ consent })
    if (!issued.ok) throw new Error(JSON.stringify(issued.body))
    const file = await routeFile(legacyRoute({ metadata: { inntektsaar: '2024' } }))
    const result = await spawnCli(['inspect', issued.token, '--route-config', file, '--jwks-uri', emu.altinn2JwksUri])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^VERIFIED: signature checked against http:\/\/127\.0\.0\.1:\d+\/altinn2\/jwk/)
    expect(result.stdout).toMatch(/Kind {4}legacy Altinn 2 consent token/)
    expect(result.stdout).toMatch(new RegExp(`PASS {2}signature +verified with key "${emu.altinn2Key.kid}"`))
    expect(result.stdout).toMatch(/PASS {2}issuer +iss is altinn\.no/)
    expect(result.stdout).toMatch(/PASS {2}lifetime +valid from .*lifetime 30 s; at most 120 s/)
    expect(result.stdout).toMatch(new RegExp(`PASS {2}consent shape +Altinn 2 consent, AuthorizationCode ${consent.id}; service 4629_2`))
    expect(result.stdout).toMatch(/INFO {2}access token +NOT GIVEN .*consumer 991825827 \(= CoveredBy\)/)
    expect(result.stdout).toMatch(/PASS {2}consent to +CoveredBy 991825827 = the access token's consumer/)
    expect(result.stdout).toMatch(/PASS {2}consent from +OfferedBy person 25\*{7}09 = the requested subject/)
    expect(result.stdout).toMatch(/PASS {2}consent right 1 +service 4629_2, action consent, inntektsaar = 2024/)
    expect(result.stdout).toMatch(
      /Verdict \(this request\): WOULD PASS: the consent .* covers this request \(beside the assumed access token\)/,
    )
    expect(result.stdout).not.toContain(personA)

    // The same token with the year edited: the claims alone would pass, the signature does not.
    const [h, p, s] = issued.token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { Services: string[] }
    claims.Services = claims.Services.map((e) => e.replace('2024', '2023'))
    const tampered = `${h}.${encodeSegment(claims)}.${s}`
    const tamperedRoute = await routeFile(legacyRoute({ metadata: { inntektsaar: '2023' } }))
    expect((await runCli(['inspect', tampered, '--route-config', tamperedRoute])).code).toBe(0)
    const verified = await runCli(['inspect', tampered, '--route-config', tamperedRoute, '--jwks-uri', emu.altinn2JwksUri])
    expect(verified.code).toBe(1)
    expect(verified.stdout).toMatch(/FAIL {2}signature +The token signature is invalid/)
    expect(verified.stdout).toMatch(/401 token_signature_invalid/)
  })

  it.each(['current', 'comma-strings', 'service-codes'] as const)('reads the %s generation', async (generation) => {
    const token = await mintLegacy(['--generation', generation])
    const result = await runCli([
      'inspect',
      token,
      '--route-config',
      await routeFile(legacyRoute()),
      '--jwks-uri',
      emu.altinn2JwksUri,
      '--json',
    ])
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ kind: 'altinn2', verified: true, verdict: { scope: 'full', accepted: true } })
    expect(report.rules.find((r: Rule) => r.rule === 'claims').detail).toContain(
      generation === 'service-codes' ? 'ServiceCodes (the older name)' : 'Services',
    )
    expect(result.code).toBe(0)
  })

  it('accepts tokens with only x5t (the 2016 tokens) and names the key by it', async () => {
    const key = await defaultAltinn2Key()
    const token = signAltinn2Token(key, altinn2Claims(), { alg: 'RS256', x5t: key.kid, typ: 'JWT' })
    const result = await runCli(['inspect', token, '--route-config', await routeFile(legacyRoute()), '--jwks-uri', emu.altinn2JwksUri])
    expect(result.stdout).toMatch(new RegExp(`PASS {2}syntax .*x5t "${key.kid}"`))
    expect(result.stdout).toMatch(new RegExp(`PASS {2}signature +verified with key x5t "${key.kid}"`))
    expect(result.code).toBe(0)
  })

  it('checks the binding when the route config describes the access token', async () => {
    const handled = await mintLegacy(['--supplier', supplierOrgno])
    const ok = await runCli(['inspect', handled, '--route-config', await routeFile(legacyRoute())])
    expect(ok.stdout).toMatch(/PASS {2}binding +HandledBy 310149942 = the access token's supplier/)
    expect(ok.stdout).toMatch(/PASS {2}delegation +supplier 310149942 acts for 991825827/)
    expect(ok.code).toBe(0)
    const own = await runCli([
      'inspect',
      handled,
      '--route-config',
      await routeFile(legacyRoute({ accessToken: { consumer: consumerOrgno } })),
    ])
    expect(own.stdout).toMatch(/INFO {2}access token +NOT GIVEN .*consumer 991825827 \(route config\), supplier 310149942 \(= HandledBy\)/)
    const noSupplier = await runCli([
      'inspect',
      handled,
      '--route-config',
      await routeFile(legacyRoute({ accessToken: { consumer: consumerOrgno, supplier: otherOrgno } })),
    ])
    expect(noSupplier.stdout).toMatch(
      /FAIL {2}binding +HandledBy 310149942, but the access token's supplier is 313876144: .*\[token_binding_mismatch\]/,
    )
    expect(noSupplier.code).toBe(1)
    const bad = await runCli(['inspect', handled, '--route-config', await routeFile(legacyRoute({ accessToken: { consumer: '123' } }))])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/"accessToken" must be/)
  })

  // Every row: the code the core guard reports (on the genuine signature: mint --altinn2 signs with
  // the key the deterministic emulator publishes), and the explanation's first failure, agree.
  const at = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString()
  const rows: { name: string; mint: string[]; route?: Record<string, unknown>; code: string | null; detail?: RegExp }[] = [
    { name: 'matching request', mint: [], code: null },
    {
      name: 'another year',
      mint: [],
      route: { metadata: { inntektsaar: '2017' } },
      code: 'consent_metadata_mismatch',
      detail: /service 4629_2: inntektsaar is 2016; the request asks 2017/,
    },
    {
      name: 'another person',
      mint: [],
      route: { subject: personB },
      code: 'consent_subject_mismatch',
      detail: /consent is from person .*; the request asks about person/,
    },
    {
      name: 'another service',
      mint: ['--service-code', '4630'],
      code: 'consent_resource_mismatch',
      detail: /covers 4630_2; the route needs service 4629_2/,
    },
    {
      name: 'a route without an Altinn 2 service',
      mint: [],
      route: { altinn2: undefined },
      code: 'consent_resource_mismatch',
      detail: /the route needs an Altinn 2 service, but it names none/,
    },
    {
      name: 'given to another organisation',
      mint: ['--to', otherOrgno],
      route: { accessToken: { consumer: consumerOrgno } },
      code: 'consent_not_for_consumer',
      detail: /CoveredBy 313876144, but the access token's consumer is 991825827/,
    },
    { name: 'consumer not on the allow-list', mint: [], route: { consumers: [otherOrgno] }, code: 'consumer_not_allowed' },
    { name: 'delegation denied', mint: ['--supplier', supplierOrgno], route: { delegation: 'deny' }, code: 'supplier_not_allowed' },
    {
      name: 'expired consent',
      mint: ['--valid-to', at(-60), '--consented', at(-3600)],
      code: 'consent_expired',
      detail: /ValidToDate .* ago/,
    },
    { name: 'expired token', mint: ['--now', at(-600)], code: 'token_expired', detail: /has expired|expired/ },
    {
      name: 'a token living too long',
      mint: ['--lifetime', '600'],
      code: 'token_lifetime_exceeded',
      detail: /lifetime 600 s; at most 120 s/,
    },
    {
      name: 'the same key twice with different values',
      mint: ['--extra', '{"Services":["4629_2","4629_2_inntektsaar=2016","4629_2_inntektsaar=2017"]}'],
      code: 'consent_metadata_mismatch',
      detail: /metadata is ambiguous/,
    },
    { name: 'both Services and ServiceCodes', mint: ['--extra', '{"ServiceCodes":"4629,2"}'], code: 'consent_malformed' },
    {
      name: 'missing scope on the access token',
      mint: [],
      route: { accessToken: { scope: 'other:scope' } },
      code: 'scope_missing',
      detail: /access token has "other:scope"; route needs example:income/,
    },
    { name: 'incomplete request', mint: [], route: { subject: undefined }, code: 'subject_missing' },
  ]
  it.each(rows)('explains "$name" with the code the core reports', async (row) => {
    const token = await mintLegacy(row.mint)
    const file = await routeFile(legacyRoute(row.route))
    const result = await runCli(['inspect', token, '--route-config', file, '--jwks-uri', emu.altinn2JwksUri, '--json'])
    const report = JSON.parse(result.stdout)
    expect(report.kind).toBe('altinn2')
    if (row.code === null) {
      expect(report.verdict.accepted).toBe(true)
      expect(report.rules.filter((r: Rule) => r.status === 'fail')).toEqual([])
      expect(result.code).toBe(0)
    } else {
      expect(report.verdict).toMatchObject({ accepted: false, code: row.code })
      expect(firstFail(report)?.code).toBe(row.code)
      if (row.detail !== undefined) expect(firstFail(report)?.detail).toMatch(row.detail)
      expect(report.note).toBeUndefined()
      expect(result.code).toBe(1)
    }
  })

  it("without a route config checks only the token, with the core's Altinn 2 verifier", async () => {
    const good = await runCli(['inspect', await mintLegacy(), '--jwks-uri', emu.altinn2JwksUri])
    expect(good.stdout).toMatch(/SKIP {2}requirement/)
    expect(good.stdout).toMatch(/Verdict \(token checks only\): WOULD PASS/)
    expect(good.code).toBe(0)
    // Signed with another key under the trusted kid: the core finds the kid and refuses the signature.
    const forged = await mintLegacy(['--key', 'attacker', '--kid', emu.altinn2Key.kid])
    const result = await runCli(['inspect', forged, '--jwks-uri', emu.altinn2JwksUri])
    expect(result.stdout).toMatch(/FAIL {2}signature/)
    expect(result.stdout).toMatch(/Verdict \(token checks only\): WOULD BE REJECTED: 401 token_signature_invalid/)
  })
})

describe('inspect: duplicate JSON members', () => {
  it('flags a payload that repeats a member, as the core refuses it', async () => {
    const mp1 = await deterministicSigningKey('mp-1')
    const claims = JSON.stringify(maskinportenClaims({ iss: emu.issuer, scope: 'example:income' }))
    const payload = claims.replace(/}$/, ',"scope":"example:other"}')
    const token = signCompact({ alg: 'RS256', kid: 'mp-1' }, payload, mp1.privateKey)
    const result = await runCli(['inspect', token, '--jwks-uri', emu.jwksUri, '--json'])
    const report = JSON.parse(result.stdout)
    expect(firstFail(report)).toMatchObject({
      rule: 'json',
      code: 'token_claims_invalid',
      detail: expect.stringMatching(/repeats a member/),
    })
    expect(report.verdict).toMatchObject({ accepted: false, code: 'token_claims_invalid' })
    expect(result.code).toBe(1)

    const key = await defaultAltinn2Key()
    const legacyPayload = JSON.stringify(altinn2Claims()).replace(/}$/, ',"OfferedBy":"14076812396"}')
    const dup = signCompact({ alg: 'RS256', kid: key.kid, x5t: key.kid, typ: 'JWT' }, legacyPayload, key.privateKey)
    const a2 = JSON.parse((await runCli(['inspect', dup, '--jwks-uri', emu.altinn2JwksUri, '--json'])).stdout)
    expect(a2.kind).toBe('altinn2')
    expect(firstFail(a2)).toMatchObject({ rule: 'json', code: 'token_claims_invalid' })
    expect(a2.verdict).toMatchObject({ accepted: false, code: 'token_claims_invalid' })
  })

  it('says why a header that repeats a member is refused', async () => {
    const mp1 = await deterministicSigningKey('mp-1')
    const token = signCompact('{"alg":"RS256","kid":"mp-1","kid":"mp-2"}', maskinportenClaims({ iss: emu.issuer }), mp1.privateKey)
    const result = await runCli(['inspect', token])
    expect(result.stdout).toMatch(/FAIL {2}syntax +.*the header repeats a member.*\[token_header_invalid\]/)
    expect(result.stdout).toMatch(/401 token_header_invalid/)
  })
})

describe("inspect: the core's findings for Altinn 3 tokens", () => {
  it("matches a migrated consent through the route's altinn2.migratedResource", async () => {
    const token = await mint([
      '--issuer',
      emu.issuer,
      '--scope',
      'example:income',
      '--resource',
      'ex_4629_2',
      '--metadata',
      'inntektsaar=2024',
    ])
    const route = {
      issuer: emu.issuer,
      scope: 'example:income',
      resource: 'example-income',
      altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: 'ex_4629_2' },
      subject: personA,
      metadata: { inntektsaar: '2024' },
    }
    const result = await runCli(['inspect', token, '--route-config', await routeFile(route)])
    expect(result.stdout).toMatch(/PASS {2}consent right 1 +ex_4629_2, action consent, inntektsaar = 2024/)
    expect(result.code).toBe(0)
    const without = await runCli(['inspect', token, '--route-config', await routeFile({ ...route, altinn2: undefined })])
    expect(without.stdout).toMatch(
      /FAIL {2}consent right 1 +covers ex_4629_2; the route needs example-income {2}\[consent_resource_mismatch\]/,
    )
  })

  it('explains every entry and right, and notes when the guard names a further failure than the first one', async () => {
    const token = await emu.accessToken({
      scope: 'example:income',
      authorization_details: [
        // Entry 0 fails at once (given to another org); entry 1 gets to the metadata, the furthest stage.
        consentDetail({ to: otherOrgno, rights: [{ resource: 'example-income', metadata: { inntektsaar: '2024' } }] }),
        consentDetail({
          to: consumerOrgno,
          rights: [{ resource: 'other-resource' }, { resource: 'example-income', metadata: { inntektsaar: '2023', formaal: 'x' } }],
        }),
      ],
    })
    const result = await runCli([
      'inspect',
      token,
      '--issuer',
      emu.issuer,
      '--resource',
      'example-income',
      '--subject',
      personA,
      '--metadata',
      'inntektsaar=2024',
      '--jwks-uri',
      emu.jwksUri,
    ])
    expect(result.stdout).toMatch(
      /FAIL {2}consent\[0\] to +given to 313876144, but the token's consumer is 991825827 {2}\[consent_not_for_consumer\]/,
    )
    expect(result.stdout).toMatch(/PASS {2}consent\[0\] right 1 +example-income, action consent, inntektsaar = 2024/)
    expect(result.stdout).toMatch(/PASS {2}consent\[1\] to /)
    expect(result.stdout).toMatch(/FAIL {2}consent\[1\] right 1 +covers other-resource; the route needs example-income/)
    expect(result.stdout).toMatch(
      /FAIL {2}consent\[1\] right 2 +example-income: "formaal" is not known to the route .*; inntektsaar is 2023; the request asks 2024 {2}\[consent_metadata_mismatch\]/,
    )
    expect(result.stdout).toMatch(/403 consent_metadata_mismatch/)
    expect(result.stdout).toMatch(
      /Note: the guard reports consent_metadata_mismatch; the explanation's first failure is consent_not_for_consumer/,
    )
  })
})

describe('inspect: consumers of another authority', () => {
  it('names consumer_identifier_unsupported on the claims rule, and accepts with consumerAuthorities', async () => {
    const mp1 = await deterministicSigningKey('mp-1')
    const eseal = esealConsumer('NTRNO-555555555')
    const claims = consentTokenClaims({
      iss: emu.issuer,
      scope: 'example:income',
      consumer: eseal,
      consent: { from: { person: personA }, resource: 'example-income', metadata: { inntektsaar: '2024' } },
    })
    const token = signCompact({ alg: 'RS256', kid: 'mp-1' }, claims, mp1.privateKey)
    const route = { scope: 'example:income', resource: 'example-income', subject: personA, metadata: { inntektsaar: '2024' } }
    const refused = JSON.parse(
      (await runCli(['inspect', token, '--jwks-uri', emu.jwksUri, '--route-config', await routeFile(route), '--json'])).stdout,
    )
    expect(firstFail(refused)).toMatchObject({
      rule: 'claims',
      code: 'consumer_identifier_unsupported',
      detail: expect.stringMatching(/etsi-en-319-412:NTRNO-555555555.*consumerAuthorities/),
    })
    expect(refused.verdict).toMatchObject({ accepted: false, code: 'consumer_identifier_unsupported' })
    const withAuthority = await routeFile({ ...route, consumerAuthorities: [ESEAL_AUTHORITY] })
    const accepted = JSON.parse(
      (await runCli(['inspect', token, '--jwks-uri', emu.jwksUri, '--route-config', withAuthority, '--json'])).stdout,
    )
    expect(accepted.verdict).toMatchObject({ accepted: true })
  })
})
