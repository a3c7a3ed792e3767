import { spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createConsentGuard, headersFromRecord } from '@consent-guard/core'
import {
  buildJwtGrant,
  deterministicSigningKey,
  encodeSegment,
  requestToken,
  SANDBOX_CLIENTS,
  startEmulator,
  TEST_IDENTITIES,
  type Emulator,
} from '@consent-guard/testkit'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_TS, mint, REPO, runCli, spawnCli } from './helpers.js'

const { personA, personB, consumerOrgno, otherOrgno, supplierOrgno } = TEST_IDENTITIES
let emu: Emulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())

const incomeRoute = (extra: string[] = []) => [
  '--issuer',
  emu.issuer,
  '--scope',
  'example:income',
  '--resource',
  'example-income',
  '--subject',
  personA,
  '--metadata',
  'inntektsaar=2024',
  ...extra,
]
const mintIncome = (extra: string[] = []) =>
  mint(['--issuer', emu.issuer, '--scope', 'example:income', '--resource', 'example-income', '--metadata', 'inntektsaar=2024', ...extra])

describe('consent-guard as a process', () => {
  it('runs from the repo through `pnpm exec consent-guard`', async () => {
    const result = await spawnCli(['--help'], { via: 'pnpm' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/consent-guard emulator \[--port <n>\]/)
    expect(result.stdout).toMatch(/consent-guard inspect <token>/)
  })

  it('mints through the bin shim a token that the core guard accepts against the emulator', async () => {
    const result = await spawnCli(
      [
        'mint',
        '--issuer',
        emu.issuer,
        '--scope',
        'example:income',
        '--resource',
        'example-income',
        '--metadata',
        'inntektsaar=2024',
        '--subject',
        personA,
      ],
      { via: 'bin' },
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/checked-in TEST key mp-1/)
    const token = result.stdout.trim()
    expect(token.split('.')).toHaveLength(3)
    const guard = createConsentGuard({ maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri } })
    const route = (person: string) =>
      guard.compile({
        scope: 'example:income',
        resource: 'example-income',
        subject: () => person,
        metadata: { inntektsaar: { equals: '2024' } },
      })
    const headers = headersFromRecord({ authorization: `Bearer ${token}` })
    await expect(guard.check({ headers, request: {} }, route(personA))).resolves.toMatchObject({
      consumer: consumerOrgno,
      subject: { id: personA },
    })
    await expect(guard.check({ headers, request: {} }, route(personB))).rejects.toMatchObject({ code: 'consent_subject_mismatch' })
  })

  it('reads MASKINPORTEN_ISSUER and refuses to mint without an issuer or scope (exit 2)', async () => {
    const ok = await spawnCli(['mint', '--scope', 'x', '--quiet'], { env: { MASKINPORTEN_ISSUER: 'http://127.0.0.1:9/' } })
    expect(ok.code).toBe(0)
    expect(decodeJwt(ok.stdout.trim()).iss).toBe('http://127.0.0.1:9/')
    const noIssuer = await runCli(['mint', '--scope', 'x'])
    expect(noIssuer.code).toBe(2)
    expect(noIssuer.stderr).toMatch(/--issuer/)
    const noScope = await runCli(['mint', '--issuer', emu.issuer])
    expect(noScope.code).toBe(2)
    expect((await runCli(['mint', '--bogus'])).code).toBe(2)
    expect((await runCli(['nope'])).code).toBe(2)
  })

  it('starts the emulator, prints issuer and JWKS URL, serves grants, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_TS, 'emulator', '--port', '0'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const lines = createInterface({ input: child.stdout })
      const seen: string[] = []
      let issuer = ''
      let jwks = ''
      let altinn2Jwks = ''
      for await (const line of lines) {
        seen.push(line)
        issuer = /^\s+issuer\s+(\S+)/.exec(line)?.[1] ?? issuer
        jwks = /^\s+JWKS\s+(\S+)/.exec(line)?.[1] ?? jwks
        altinn2Jwks = /^\s+Altinn 2 JWKS\s+(\S+)/.exec(line)?.[1] ?? altinn2Jwks
        if (line.startsWith('Press Ctrl+C')) break
      }
      expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      expect(jwks).toBe(`${issuer}jwk`)
      expect(altinn2Jwks).toBe(`${issuer}altinn2/jwk`)
      expect(seen.join('\n')).toContain(`export MASKINPORTEN_ISSUER=${issuer}`)
      expect(seen.join('\n')).toContain(`export ALTINN2_JWKS_URI=${altinn2Jwks}`)
      expect((await (await fetch(jwks)).json()).keys[0].kid).toBe('mp-1')
      // The Altinn 2 key set is the one `consent-guard jwks --altinn2` prints.
      expect(await (await fetch(altinn2Jwks)).json()).toEqual(JSON.parse((await runCli(['jwks', '--altinn2'])).stdout))
      const key = await deterministicSigningKey(SANDBOX_CLIENTS.bank.keyName)
      const grant = await buildJwtGrant({ issuer, clientId: SANDBOX_CLIENTS.bank.clientId, key, scope: 'example:income' })
      expect((await requestToken(`${issuer}token`, grant)).ok).toBe(true)
    } finally {
      const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
      child.kill('SIGTERM')
      expect(await exit).toBe(0)
    }
  })

  it('refuses to bind the emulator to a non-loopback address', async () => {
    const result = await runCli(['emulator', '--host', '0.0.0.0'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/loopback/)
  })

  it('prints the JWKS of the test key', async () => {
    const result = await runCli(['jwks'])
    expect(JSON.parse(result.stdout)).toEqual({ keys: [(await deterministicSigningKey('mp-1')).publicJwk] })
  })
})

describe('mint options', () => {
  it('builds supplier tokens, plain access tokens, audience and custom consent fields', async () => {
    const supplier = decodeJwt(
      await mintIncome(['--supplier', supplierOrgno, '--consent-id', '0f8a6a0e-1c7b-4c1e-9f57-3a1d2b7e9c11', '--to', otherOrgno]),
    )
    expect(supplier).toMatchObject({
      supplier: { ID: `0192:${supplierOrgno}` },
      delegation_source: 'https://tt02.altinn.no/',
      authorization_details: [{ id: '0f8a6a0e-1c7b-4c1e-9f57-3a1d2b7e9c11', to: { ID: `0192:${otherOrgno}` } }],
    })
    const plain = decodeJwt(
      await mint(['--issuer', emu.issuer, '--scope', 'a b', '--no-consent', '--aud', 'https://api', '--lifetime', '30']),
    )
    expect(plain).not.toHaveProperty('authorization_details')
    expect(plain).toMatchObject({ scope: 'a b', aud: 'https://api' })
    expect((plain.exp as number) - (plain.iat as number)).toBe(30)
    const org = decodeJwt(await mintIncome(['--subject', otherOrgno, '--extra', '{"client_amr":"virksomhetssertifikat","jti":null}']))
    expect(org).toMatchObject({
      client_amr: 'virksomhetssertifikat',
      authorization_details: [{ from: `urn:altinn:organization:identifier-no:${otherOrgno}` }],
    })
    expect(org).not.toHaveProperty('jti')
  })
})

describe('inspect', () => {
  it('marks the output UNVERIFIED, masks person ids, and exits 1 when the request is not covered', async () => {
    const token = await mintIncome()
    const result = await spawnCli(['inspect', token, ...incomeRoute(), '--metadata', 'inntektsaar=2023'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^UNVERIFIED: decoded WITHOUT checking the signature/)
    expect(result.stdout).toMatch(/SKIP {2}signature +NOT CHECKED/)
    expect(result.stdout).toMatch(
      /FAIL {2}consent right 1 +example-income: inntektsaar is 2024; the request asks 2023 {2}\[consent_metadata_mismatch\]/,
    )
    expect(result.stdout).toMatch(/Verdict \(this request\): WOULD BE REJECTED: 403 consent_metadata_mismatch/)
    expect(result.stdout).not.toContain(personA)
    expect(result.stdout).toContain('25*******09')
  })

  it('shows person ids only with --show-pii', async () => {
    const token = await mintIncome()
    const result = await runCli(['inspect', token, ...incomeRoute(), '--show-pii'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`urn:altinn:person:identifier-no:${personA}`)
    expect(result.stdout).toMatch(/Verdict \(this request\): WOULD PASS/)
    const json = await runCli(['inspect', token, ...incomeRoute(), '--json'])
    expect(json.stdout).not.toContain(personA)
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, verdict: { scope: 'full', accepted: true } })
  })

  it('verifies the signature with --jwks-uri, so a tampered token fails there and only there', async () => {
    const token = await mintIncome()
    const [h, p, s] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    claims.authorization_details[0].consentRights[0].metadata.inntektsaar = '2023'
    const tampered = `${h}.${encodeSegment(claims)}.${s}`
    const route = [...incomeRoute(), '--metadata', 'inntektsaar=2023']

    const unverified = await runCli(['inspect', tampered, ...route])
    expect(unverified.code).toBe(0) // the claims alone would pass: that is why UNVERIFIED is loud
    expect(unverified.stdout).toMatch(/^UNVERIFIED/)

    const verified = await runCli(['inspect', tampered, ...route, '--jwks-uri', emu.jwksUri])
    expect(verified.code).toBe(1)
    expect(verified.stdout).toMatch(/FAIL {2}signature +The token signature is invalid/)
    expect(verified.stdout).toMatch(/401 token_signature_invalid/)

    const genuine = await runCli(['inspect', token, ...incomeRoute(), '--jwks-uri', emu.jwksUri])
    expect(genuine.code).toBe(0)
    expect(genuine.stdout).toMatch(/^VERIFIED: signature checked against/)

    // A genuine signature from another issuer: the signature passes, the issuer does not.
    const elsewhere = await runCli(['inspect', token, ...incomeRoute(['--issuer', 'https://maskinporten.no/']), '--jwks-uri', emu.jwksUri])
    expect(elsewhere.stdout).toMatch(/PASS {2}signature +verified with key "mp-1"/)
    expect(elsewhere.stdout).toMatch(/401 token_issuer_invalid/)
  })

  it('reads a route config file, and the token from stdin with "-"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cg-inspect-'))
    const file = join(dir, 'route.json')
    await writeFile(
      file,
      JSON.stringify({
        issuer: emu.issuer,
        scope: 'example:income',
        resource: 'example-income-period',
        subject: personA,
        period: { start: 'fraogmed', end: 'tilogmed', from: '2024-01', to: '2024-06' },
      }),
    )
    const token = await mint([
      '--issuer',
      emu.issuer,
      '--scope',
      'example:income',
      '--resource',
      'example-income-period',
      '--metadata',
      'fraogmed=2024-01',
      '--metadata',
      'tilogmed=2024-12',
    ])
    const result = await spawnCli(['inspect', '-', '--route-config', file], { input: `Bearer ${token}\n` })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`against ${file}`)
    expect(result.stdout).toMatch(/period 2024-01\.\.2024-12 contains 2024-01\.\.2024-06/)
    await writeFile(file, JSON.stringify({ resource: 'x', subjekt: personA }))
    const bad = await runCli(['inspect', token, '--route-config', file])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown field "subjekt"/)
  })

  it('without a requirement checks only the token', async () => {
    const result = await runCli(['inspect', await mintIncome()])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/SKIP {2}requirement/)
    expect(result.stdout).toMatch(/Verdict \(token checks only\): WOULD PASS/)
    expect(result.stdout).toMatch(/INFO {2}issuer +not checked/)
  })

  // Every row: the token, the route, the code the core guard reports, and the explanation must
  // name the same code on its failing rule (the explanation and the guard never drift apart).
  const at = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString()
  const rows: { name: string; mint: string[]; route?: string[]; code: string | null }[] = [
    { name: 'matching request', mint: [], code: null },
    { name: 'another year', mint: [], route: ['--metadata', 'inntektsaar=2023'], code: 'consent_metadata_mismatch' },
    { name: 'another person', mint: [], route: ['--subject', personB], code: 'consent_subject_mismatch' },
    {
      name: 'consumer not on the allow-list',
      mint: ['--consumer', otherOrgno],
      route: ['--consumer', consumerOrgno],
      code: 'consumer_not_allowed',
    },
    { name: 'consent given to another org', mint: ['--to', otherOrgno], code: 'consent_not_for_consumer' },
    { name: 'missing scope', mint: [], route: ['--scope', 'example:other'], code: 'scope_missing' },
    {
      name: 'another resource',
      mint: [],
      route: ['--resource', 'example-loan-check', '--metadata', 'inntektsaar=2024'],
      code: 'consent_resource_mismatch',
    },
    { name: 'wrong issuer', mint: [], route: ['--issuer', 'https://maskinporten.no/'], code: 'token_issuer_invalid' },
    { name: 'expired token', mint: ['--now', at(-600)], code: 'token_expired' },
    { name: 'expired consent', mint: ['--valid-to', at(-60), '--consented', at(-3600)], code: 'consent_expired' },
    { name: 'unknown metadata key', mint: ['--metadata', 'kommune=0301'], code: 'consent_metadata_mismatch' },
    { name: 'malformed consent', mint: ['--consent-id', 'not-a-uuid'], code: 'consent_malformed' },
    { name: 'not an RS256 token', mint: [], route: [], code: 'token_algorithm_not_allowed' },
  ]
  it.each(rows)('explains "$name" with the code the core reports', async (row) => {
    let token = await mintIncome(row.mint)
    if (row.name === 'not an RS256 token') {
      const [, p] = token.split('.')
      token = `${encodeSegment({ alg: 'HS256', kid: 'mp-1' })}.${p}.c2ln`
    }
    const result = await runCli(['inspect', token, ...incomeRoute(row.route), '--json'])
    const report = JSON.parse(result.stdout)
    if (row.code === null) {
      expect(report.verdict.accepted).toBe(true)
      expect(report.rules.filter((r: { status: string }) => r.status === 'fail')).toEqual([])
      expect(result.code).toBe(0)
    } else {
      expect(report.verdict).toMatchObject({ accepted: false, code: row.code })
      expect(report.rules.find((r: { status: string }) => r.status === 'fail')?.code).toBe(row.code)
      expect(report.note).toBeUndefined()
      expect(result.code).toBe(1)
    }
  })

  it('follows --at, and refuses delegated tokens on a route that denies delegation', async () => {
    const token = await mintIncome()
    const later = await runCli(['inspect', token, ...incomeRoute(), '--at', at(3600)])
    expect(later.stdout).toMatch(/FAIL {2}lifetime +expired/)
    const dir = await mkdtemp(join(tmpdir(), 'cg-inspect-'))
    const file = join(dir, 'route.json')
    await writeFile(
      file,
      JSON.stringify({
        issuer: emu.issuer,
        resource: 'example-income',
        subject: personA,
        metadata: { inntektsaar: '2024' },
        delegation: 'deny',
      }),
    )
    const delegated = await runCli(['inspect', await mintIncome(['--supplier', supplierOrgno]), '--route-config', file])
    expect(delegated.stdout).toMatch(/FAIL {2}delegation .*\[supplier_not_allowed\]/)
    expect(delegated.stdout).toMatch(/403 supplier_not_allowed/)
  })
})
