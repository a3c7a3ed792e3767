import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consentTokenClaims, generateSigningKey, signCompact, type SigningKey } from '@consent-guard/testkit'
import { createHarness, NOW, type Harness } from './support.js'

// Token-level cases of docs/security.md (SIG, HDR, CLM, ISS). Each row builds one token and names the
// code the guard must answer with; every code here maps to 401 invalid_token unless noted.
let h: Harness
let attacker: SigningKey
let signer: SigningKey
let baseline: Record<string, unknown>

beforeAll(async () => {
  h = await createHarness()
  attacker = await generateSigningKey({ kid: 'mp-1' })
  signer = h.issuer.signer
  baseline = consentTokenClaims({ iss: h.issuer.issuer, now: NOW, ...h.tokenOptions() }) as unknown as Record<string, unknown>
})
afterAll(() => h.close())

const claims = (patch: Record<string, unknown> = {}): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...baseline, ...patch }
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k]
  return out
}
const good = (payload: object | string = claims(), header: object | string = { alg: 'RS256', kid: 'mp-1' }) =>
  signCompact(header, payload, signer.privateKey)
const outcome = (token: string) => h.outcome(h.bearer(token))

describe('baseline', () => {
  it('accepts the baseline token', async () => {
    expect(await outcome(good())).toBe('accepted')
  })
})

describe('SIG: signature and algorithm', () => {
  const cases: [string, () => string, string][] = [
    [
      'SIG-01 alg none, empty signature',
      () => signCompact({ alg: 'none', kid: 'mp-1' }, claims(), null, 'none').replace(/\.$/, '.AA'),
      'token_algorithm_not_allowed',
    ],
    [
      'SIG-01 alg none with the original signature',
      () => {
        const [, p, s] = good().split('.')
        return `${Buffer.from('{"alg":"none","kid":"mp-1"}').toString('base64url')}.${p}.${s}`
      },
      'token_algorithm_not_allowed',
    ],
    ['SIG-02 alg NoNe', () => signCompact({ alg: 'NoNe', kid: 'mp-1' }, claims(), signer.privateKey), 'token_algorithm_not_allowed'],
    ['SIG-02 alg rs256', () => signCompact({ alg: 'rs256', kid: 'mp-1' }, claims(), signer.privateKey), 'token_algorithm_not_allowed'],
    ['SIG-02 alg "RS256 "', () => signCompact({ alg: 'RS256 ', kid: 'mp-1' }, claims(), signer.privateKey), 'token_algorithm_not_allowed'],
    [
      'SIG-03 HS256 keyed with the public JWK text',
      () => signCompact({ alg: 'HS256', kid: 'mp-1' }, claims(), Buffer.from(JSON.stringify(signer.publicJwk)), 'HS256'),
      'token_algorithm_not_allowed',
    ],
    [
      'SIG-04 HS256 with empty key and unknown kid',
      () => signCompact({ alg: 'HS256', kid: 'nope' }, claims(), Buffer.alloc(0), 'HS256'),
      'token_algorithm_not_allowed',
    ],
    // RS512 is allowed by default now (Maskinporten lists RS256/RS384/RS512), but the published
    // mp-1 JWK declares alg RS256, so it never verifies another algorithm's signature.
    [
      'SIG-05 RS512 signed by the trusted key whose JWK says RS256',
      () => signCompact({ alg: 'RS512', kid: 'mp-1' }, claims(), signer.privateKey, 'RS512'),
      'token_key_unknown',
    ],
    [
      'SIG-05 PS256 signed by the trusted key',
      () => signCompact({ alg: 'PS256', kid: 'mp-1' }, claims(), signer.privateKey, 'PS256'),
      'token_algorithm_not_allowed',
    ],
    ['SIG-06 alg missing', () => signCompact({ kid: 'mp-1' }, claims(), signer.privateKey), 'token_algorithm_not_allowed'],
    ['SIG-06 alg as array', () => signCompact({ alg: ['RS256'], kid: 'mp-1' }, claims(), signer.privateKey), 'token_algorithm_not_allowed'],
    [
      'SIG-07a payload changed, signature kept',
      () => {
        const [hd, , s] = good().split('.')
        return `${hd}.${Buffer.from(JSON.stringify(claims({ jti: 'changed' }))).toString('base64url')}.${s}`
      },
      'token_signature_invalid',
    ],
    // Dropping characters from a random signature leaves a canonical tail only sometimes, so
    // both forms are built deterministically: a re-encoded shorter signature reaches the verifier,
    // a dangling character is refused by the syntax check.
    [
      'SIG-07b signature 3 bytes short (canonical)',
      () => {
        const [hd, p, sg] = good().split('.') as [string, string, string]
        return `${hd}.${p}.${Buffer.from(sg, 'base64url').subarray(0, 253).toString('base64url')}`
      },
      'token_signature_invalid',
    ],
    ['SIG-07b a dangling base64url character', () => good().slice(0, -1), 'token_malformed'],
    ['SIG-07c empty signature', () => good().replace(/\.[^.]+$/, '.'), 'token_malformed'],
    ['SIG-07d zero signature', () => good().replace(/\.[^.]+$/, '.' + Buffer.alloc(256).toString('base64url')), 'token_signature_invalid'],
    [
      'SIG-08 attacker key with trusted kid',
      () => signCompact({ alg: 'RS256', kid: 'mp-1' }, claims(), attacker.privateKey),
      'token_signature_invalid',
    ],
    ['SIG-10 compact JWE (5 segments)', () => 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc', 'token_malformed'],
    ['SIG-11 flattened JSON serialization', () => JSON.stringify({ protected: 'a', payload: 'b', signature: 'c' }), 'token_malformed'],
  ]
  it.each(cases)('%s', async (_name, make, code) => {
    expect(await outcome(make())).toBe(code)
  })
})

describe('HDR: header injection', () => {
  const cases: [string, () => Promise<string> | string, string][] = [
    [
      'HDR-01 embedded jwk, attacker-signed',
      () => signCompact({ alg: 'RS256', kid: 'mp-1', jwk: attacker.publicJwk }, claims(), attacker.privateKey),
      'token_signature_invalid',
    ],
    [
      'HDR-04 kid path traversal',
      () => signCompact({ alg: 'RS256', kid: '../../../../dev/null' }, claims(), signer.privateKey),
      'token_header_invalid',
    ],
    ['HDR-04 kid with NUL', () => signCompact({ alg: 'RS256', kid: 'mp-1\u0000x' }, claims(), signer.privateKey), 'token_header_invalid'],
    [
      'HDR-04 kid of 10 000 chars',
      () => signCompact({ alg: 'RS256', kid: 'k'.repeat(10_000) }, claims(), signer.privateKey),
      'token_too_large',
    ],
    ['HDR-05 kid as number', () => signCompact({ alg: 'RS256', kid: 0 }, claims(), signer.privateKey), 'token_header_invalid'],
    ['HDR-05 kid as array', () => signCompact({ alg: 'RS256', kid: ['mp-1'] }, claims(), signer.privateKey), 'token_header_invalid'],
    ['HDR-06 kid missing', () => signCompact({ alg: 'RS256' }, claims(), signer.privateKey), 'token_header_invalid'],
    [
      'HDR-07 crit',
      () => signCompact({ alg: 'RS256', kid: 'mp-1', crit: ['exp'], exp: 1 }, claims(), signer.privateKey),
      'token_header_invalid',
    ],
    ['HDR-08 b64 false', () => signCompact({ alg: 'RS256', kid: 'mp-1', b64: false }, claims(), signer.privateKey), 'token_header_invalid'],
    [
      'HDR-09 typ secevent+jwt',
      () => signCompact({ alg: 'RS256', kid: 'mp-1', typ: 'secevent+jwt' }, claims(), signer.privateKey),
      'token_header_invalid',
    ],
    [
      'HDR-09 typ dpop+jwt',
      () => signCompact({ alg: 'RS256', kid: 'mp-1', typ: 'dpop+jwt' }, claims(), signer.privateKey),
      'token_header_invalid',
    ],
    [
      'HDR-10 nested JWT (cty)',
      () => signCompact({ alg: 'RS256', kid: 'mp-1', cty: 'JWT' }, good(), signer.privateKey),
      'token_header_invalid',
    ],
    [
      'HDR-11 duplicate kid member',
      () => signCompact('{"alg":"RS256","kid":"other","kid":"mp-1"}', claims(), signer.privateKey),
      'token_header_invalid',
    ],
    ['HDR-12 header is an array', () => signCompact('[]', claims(), signer.privateKey), 'token_header_invalid'],
    [
      'HDR-12 header with BOM',
      () => signCompact('\uFEFF{"alg":"RS256","kid":"mp-1"}', claims(), signer.privateKey),
      'token_header_invalid',
    ],
    [
      'HDR-12 header with invalid UTF-8',
      () => signCompact(new Uint8Array([0x7b, 0xc0, 0xaf, 0x7d]), claims(), signer.privateKey),
      'token_header_invalid',
    ],
  ]
  it.each(cases)('%s', async (_name, make, code) => {
    expect(await outcome(await make())).toBe(code)
  })

  it('HDR-09 accepts typ absent, JWT and at+jwt', async () => {
    for (const typ of ['JWT', 'at+jwt', 'application/at+jwt']) {
      expect(await outcome(signCompact({ alg: 'RS256', kid: 'mp-1', typ }, claims(), signer.privateKey))).toBe('accepted')
    }
  })

  it('HDR-02 judges a jku-carrying token without fetching jku', async () => {
    const before = h.issuer.server.requests
    const token = signCompact({ alg: 'RS256', kid: 'mp-1', jku: 'http://127.0.0.1:1/evil' }, claims(), signer.privateKey)
    expect(await outcome(token)).toBe('accepted')
    expect(h.issuer.server.requests).toBe(before)
  })
})

describe('CLM: claims and time', () => {
  const T = 10
  const cases: [string, Record<string, unknown> | (() => string), string][] = [
    ['CLM-01 exp = NOW-11', { iat: NOW - 100, exp: NOW - 11 }, 'token_expired'],
    ['CLM-01 exp = NOW-10', { iat: NOW - 100, exp: NOW - T }, 'token_expired'],
    ['CLM-01 exp = NOW-9', { iat: NOW - 100, exp: NOW - 9 }, 'accepted'],
    ['CLM-01 exp = NOW', { iat: NOW - 100, exp: NOW }, 'accepted'],
    ['CLM-02 exp missing', { exp: undefined }, 'token_claims_invalid'],
    ['CLM-03 exp as string', { exp: String(NOW + 60) }, 'token_claims_invalid'],
    ['CLM-03 iat null', { iat: null }, 'token_claims_invalid'],
    ['CLM-03 fractional exp is legal', { exp: NOW + 60.5 }, 'accepted'],
    ['CLM-04 exp 1e20', { exp: 1e20 }, 'token_lifetime_exceeded'],
    ['CLM-04 exp Infinity (1e400)', () => JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400'), 'token_claims_invalid'],
    ['CLM-05 iat in the future beyond T', { iat: NOW + T + 1, exp: NOW + 120 }, 'token_not_yet_valid'],
    ['CLM-05 iat = NOW+T', { iat: NOW + T, exp: NOW + 120 }, 'accepted'],
    ['CLM-06 token older than maxTokenAge', { iat: NOW - 3700, exp: NOW + 60 }, 'token_expired'],
    ['CLM-06 lifetime just over the cap', { iat: NOW - 3601, exp: NOW + 60 }, 'token_lifetime_exceeded'],
    ['CLM-06 lifetime 7200 s', { iat: NOW - 100, exp: NOW + 7100 }, 'token_lifetime_exceeded'],
    ['CLM-07 iat missing', { iat: undefined }, 'token_claims_invalid'],
    ['CLM-08 nbf in the future', { nbf: NOW + T + 1 }, 'token_not_yet_valid'],
    ['CLM-08 nbf = NOW+T', { nbf: NOW + T }, 'accepted'],
    ['CLM-08 nbf string', { nbf: 'x' }, 'token_claims_invalid'],
    ['CLM-09 jti missing', { jti: undefined }, 'token_claims_invalid'],
    ['CLM-09 jti empty', { jti: '' }, 'token_claims_invalid'],
    ['CLM-09 jti number', { jti: 123 }, 'token_claims_invalid'],
    ['CLM-09 jti 4 KB', { jti: 'j'.repeat(4096) }, 'token_claims_invalid'],
    ['CLM-10 client_id missing', { client_id: undefined }, 'token_claims_invalid'],
    ['CLM-10 client_id number', { client_id: 7 }, 'token_claims_invalid'],
    ['CLM-11 scope missing', { scope: undefined }, 'scope_missing'],
    ['CLM-11 scope empty', { scope: '' }, 'scope_missing'],
    ['CLM-11 scope array', { scope: ['example:income'] }, 'token_claims_invalid'],
    ['CLM-11 scope number', { scope: 1 }, 'token_claims_invalid'],
    ['CLM-12 scope look-alike suffix', { scope: 'example:incomex' }, 'scope_missing'],
    ['CLM-12 scope upper case', { scope: 'EXAMPLE:income' }, 'scope_missing'],
    ['CLM-12 scope zero-width space', { scope: 'example:income\u200b' }, 'scope_missing'],
    ['CLM-12 scope comma-joined', { scope: 'example:income,other' }, 'scope_missing'],
    ['CLM-12 scope tab-separated', { scope: 'other\texample:income' }, 'scope_missing'],
    ['CLM-12 scope control', { scope: 'other example:income' }, 'accepted'],
    ['CLM-13 consumer missing', { consumer: undefined }, 'token_claims_invalid'],
    ['CLM-13 consumer string', { consumer: '0192:991825827' }, 'token_claims_invalid'],
    // Well-formed identifiers of another form: Maskinporten may extend authorities and ID formats, so
    // these are a distinct refusal, not broken claims (2026 policy).
    [
      'CLM-13 consumer without ICD',
      { consumer: { authority: 'iso6523-actorid-upis', ID: '991825827' } },
      'consumer_identifier_unsupported',
    ],
    [
      'CLM-13 consumer other ICD',
      { consumer: { authority: 'iso6523-actorid-upis', ID: '9908:991825827' } },
      'consumer_identifier_unsupported',
    ],
    ['CLM-13 consumer 8 digits', { consumer: { authority: 'iso6523-actorid-upis', ID: '0192:99182582' } }, 'token_claims_invalid'],
    ['CLM-13 consumer trailing space', { consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827 ' } }, 'token_claims_invalid'],
    [
      'CLM-13 consumer full-width digits',
      { consumer: { authority: 'iso6523-actorid-upis', ID: '0192:９９１８２５８２７' } },
      'token_claims_invalid',
    ],
    [
      'CLM-13 consumer authority upper case',
      { consumer: { authority: 'ISO6523-ACTORID-UPIS', ID: '0192:991825827' } },
      'consumer_identifier_unsupported',
    ],
    ['CLM-14 payload is an array', () => '[]', 'token_malformed'],
    ['CLM-14 payload is null', () => 'null', 'token_malformed'],
    [
      'CLM-16 duplicate consumer claim',
      () => JSON.stringify(claims()).replace(/^\{/, '{"consumer":{"authority":"iso6523-actorid-upis","ID":"0192:313876144"},'),
      'token_claims_invalid',
    ],
    [
      'CLM-17 scope only via __proto__',
      () => JSON.stringify(claims({ scope: undefined })).replace(/^\{/, '{"__proto__":{"scope":"example:income"},'),
      'scope_missing',
    ],
  ]
  it.each(cases)('%s', async (_name, patch, code) => {
    const payload = typeof patch === 'function' ? patch() : claims(patch)
    expect(await outcome(good(payload))).toBe(code)
  })

  it('CLM-15 payload with invalid UTF-8 is malformed', async () => {
    const bytes = Buffer.concat([
      Buffer.from(JSON.stringify(claims()).slice(0, -1)),
      Buffer.from(',"x":"'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('"}'),
    ])
    expect(await outcome(good(bytes as unknown as string))).toBe('token_malformed')
  })

  it('CLM-17 leaves Object.prototype untouched', async () => {
    await outcome(good(JSON.stringify(claims()).replace(/^\{/, '{"__proto__":{"polluted":"yes"},')))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('ISS: issuer and audience', () => {
  const issuers: [string, unknown][] = [
    ['no trailing slash', 'http://127.0.0.1'],
    ['prod issuer at a local deployment', 'https://maskinporten.no/'],
    ['test issuer', 'https://test.maskinporten.no/'],
    ['upper case', 'HTTP://127.0.0.1/'],
    ['array containing the issuer', ['https://evil.example/']],
    ['ID-porten', 'https://idporten.no'],
  ]
  it.each(issuers)('ISS-03/05 issuer %s → 401', async (_name, iss) => {
    const value = Array.isArray(iss) ? [...iss, h.issuer.issuer] : iss
    expect(await outcome(good(claims({ iss: value })))).toBe('token_issuer_invalid')
  })

  it('ISS-06 a client assertion (iss = client id, aud = Maskinporten) is refused', async () => {
    expect(await outcome(good(claims({ iss: 'c-1', aud: 'https://maskinporten.no/' })))).toBe('token_issuer_invalid')
  })

  describe('ISS-07 audience matrix', () => {
    let strict: Harness
    let lax: Harness
    beforeAll(async () => {
      strict = await createHarness({ audience: 'https://our.api/', requireAudience: true }, h.issuer)
      lax = await createHarness({ audience: 'https://our.api/', requireAudience: false }, h.issuer)
    })
    const run = (harness: Harness, aud: unknown) => harness.outcome(harness.bearer(good(claims({ aud }))))
    it('(a) no aud, not required → accepted', async () => expect(await run(lax, undefined)).toBe('accepted'))
    it('(b) no aud, required → 401', async () => expect(await run(strict, undefined)).toBe('token_audience_invalid'))
    it('(c) other aud, not required → 401', async () => expect(await run(lax, 'https://other.api/')).toBe('token_audience_invalid'))
    it('(d) array containing ours → accepted', async () =>
      expect(await run(strict, ['https://other.api/', 'https://our.api/'])).toBe('accepted'))
    it.each([[''], [[]], [[123]], [{}], [null]])('(e) aud %j → 401', async (aud) =>
      expect(await run(lax, aud)).toBe('token_audience_invalid'),
    )
    it('(f) missing trailing slash → 401', async () => expect(await run(lax, 'https://our.api')).toBe('token_audience_invalid'))
  })
})
