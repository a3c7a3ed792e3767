import { generateKeyPairSync, webcrypto } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { ConsentGuardError, isConsentGuardError } from '@consent-guard/core'
import { parseCompactJws, parseJsonObject, verifyMaskinportenToken } from '@consent-guard/core/pipeline'
import { consentTokenClaims, generateSigningKey, signCompact, TEST_IDENTITIES, type SigningKey } from '@consent-guard/testkit'
import { mapJoseError, readMaskinportenClaims, type TokenRules } from '../src/tokens/verify-token.js'
import { VerifiedTokenCache } from '../src/tokens/verified-cache.js'
import { NOW } from './support.js'

// The guard verifies signatures with node:crypto and checks the registered claims with its own
// rules. This holds it to the pipeline it replaced (the syntax pre-check, then jose's jwtVerify with
// the same options, then the duplicate-member check and the Maskinporten claims): for every
// generated or mutated token both must accept with the same result or reject with the same code,
// and so must a cache miss and a cache hit.
const ISSUER = 'https://issuer.test/'
let keys: Record<string, SigningKey>
let getKey: JWTVerifyGetKey

beforeAll(async () => {
  keys = {
    rs256: await generateSigningKey({ kid: 'rs256', alg: 'RS256' }),
    rs384: await generateSigningKey({ kid: 'rs384', alg: 'RS384' }),
    rs512: await generateSigningKey({ kid: 'rs512', alg: 'RS512' }),
    ps256: await generateSigningKey({ kid: 'ps256', alg: 'PS256' }),
    es256: await generateSigningKey({ kid: 'es256', alg: 'ES256' }),
    weak: await weakKey(),
    // Published without `alg`: jose imports it for whichever RSA algorithm the token names.
    any: await generateSigningKey({ kid: 'any', alg: 'RS256' }),
    // Not published: signs forgeries under a published kid.
    rogue: await generateSigningKey({ kid: 'rs256', alg: 'RS256' }),
  }
  const published = ['rs256', 'rs384', 'rs512', 'ps256', 'es256', 'weak'].map((k) => keys[k]!.publicJwk)
  const { alg: _alg, ...anyJwk } = keys.any!.publicJwk
  getKey = createLocalJWKSet({ keys: [...published, anyJwk] })
})

// jose refuses to generate a 1024-bit key, so make one with node:crypto.
async function weakKey(): Promise<SigningKey> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const jwk = privateKey.export({ format: 'jwk' })
  const signing = await webcrypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  return {
    kid: 'weak',
    alg: 'RS256',
    privateKey: signing,
    publicJwk: { kty: 'RSA', n: jwk.n, e: jwk.e, kid: 'weak', alg: 'RS256', use: 'sig' },
  } as unknown as SigningKey
}

const rulesFor = (overrides: Partial<TokenRules> = {}): TokenRules => ({
  issuer: ISSUER,
  getKey,
  algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
  clockTolerance: 10,
  maxTokenAge: 3600,
  requireAudience: false,
  nowMs: () => NOW * 1000 + 400,
  ...overrides,
})

/** The previous pipeline, kept here as the reference. */
async function reference(token: string, rules: TokenRules): Promise<unknown> {
  try {
    const jws = parseCompactJws(token, { algorithms: rules.algorithms })
    let claims: Record<string, unknown>
    try {
      const result = await jwtVerify(token, rules.getKey, {
        issuer: rules.issuer,
        algorithms: [...rules.algorithms],
        clockTolerance: rules.clockTolerance,
        maxTokenAge: rules.maxTokenAge,
        currentDate: new Date(rules.nowMs()),
        requiredClaims: ['iss', 'exp', 'iat', 'jti', 'client_id', 'consumer'],
      })
      claims = result.payload
    } catch (err) {
      if (isConsentGuardError(err)) throw err
      throw new ConsentGuardError(mapJoseError(err))
    }
    if (parseJsonObject(jws.payloadText) === undefined) throw new ConsentGuardError('token_claims_invalid')
    return readMaskinportenClaims(claims, rules)
  } catch (err) {
    if (isConsentGuardError(err)) return err.code
    throw err
  }
}

async function current(token: string, rules: TokenRules): Promise<unknown> {
  try {
    return await verifyMaskinportenToken(token, rules)
  } catch (err) {
    if (isConsentGuardError(err)) return err.code
    throw err
  }
}

// Mostly the valid value, sometimes a variant: one run then perturbs a few fields at a time, so
// tokens reach every check (and acceptance) instead of failing the first one.
const mostly = <T>(valid: T, ...variants: fc.Arbitrary<T>[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constant(valid), weight: 5 }, ...variants.map((arbitrary) => ({ arbitrary, weight: 1 })))

const time = (valid: number) =>
  mostly<unknown>(
    valid,
    fc.integer({ min: valid - 4000, max: valid + 4000 }),
    fc.constantFrom(NOW - 10, NOW - 11, NOW + 10, NOW + 11, NOW, NOW - 3600, NOW - 3611, NOW - 3610, NOW + 3600),
    fc.constantFrom('1784361435', null, true, Infinity, -Infinity, 0.5 + valid),
    fc.constant(undefined),
  )

const CONSUMER = { authority: 'iso6523-actorid-upis', ID: `0192:${TEST_IDENTITIES.consumerOrgno}` }
const claimSet = fc.record({
  iss: mostly<unknown>(ISSUER, fc.constantFrom('https://other.test/', ISSUER.slice(0, -1), 7, undefined)),
  iat: time(NOW - 5),
  exp: time(NOW + 115),
  nbf: fc.oneof(fc.constant(undefined), time(NOW - 5)),
  jti: mostly<unknown>('j-1', fc.constantFrom('', 5, undefined, 'x'.repeat(257))),
  client_id: mostly<unknown>('client', fc.constantFrom(undefined, ['client'])),
  consumer: mostly<unknown>(CONSUMER, fc.constantFrom({ authority: 'iso6523-actorid-upis', ID: '0192:1234' }, '0192:999999999', undefined)),
  scope: mostly<unknown>('example:income', fc.constantFrom('a b', 42, undefined)),
  aud: mostly<unknown>(undefined, fc.constantFrom('api', ['api', 'other'], [], 3)),
  consent: fc.boolean(),
})

const headerOf = fc.record({
  alg: mostly('RS256', fc.constantFrom('RS384', 'RS512', 'PS256', 'ES256', 'HS256', 'none', 'RS256 ')),
  kid: mostly('rs256', fc.constantFrom('rs384', 'rs512', 'ps256', 'es256', 'weak', 'any', 'unknown', 'bad kid')),
  typ: fc.constantFrom<string | undefined>(undefined, 'JWT', 'at+jwt', 'jose'),
  signer: mostly('matching', fc.constantFrom('rogue', 'rs512')),
})

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='

function build(claims: Record<string, unknown>, header: { alg: string; kid: string; typ?: string; signer: string }): string {
  const payload: Record<string, unknown> = { ...claims }
  if (claims.consent) {
    const base = consentTokenClaims({ iss: ISSUER, now: NOW }) as unknown as Record<string, unknown>
    payload.authorization_details = base.authorization_details
  }
  delete payload.consent
  let text = JSON.stringify(payload, (_k, v) => (v === Infinity ? '__INF__' : v === -Infinity ? '__NINF__' : v))
  text = text.replaceAll('"__INF__"', '1e400').replaceAll('"__NINF__"', '-1e400')
  const h: Record<string, unknown> = { alg: header.alg, kid: header.kid }
  if (header.typ !== undefined) h.typ = header.typ
  const family = header.alg.trim()
  let key: SigningKey | undefined
  if (header.signer === 'rogue') key = keys.rogue
  else if (header.signer === 'rs512') key = keys.rs512
  else key = keys[header.kid] ?? keys.rs256
  if (family === 'none') return signCompact(h, text, null, 'none')
  if (family === 'HS256') return signCompact(h, text, Buffer.from('secret'), 'HS256')
  // Sign with the header's algorithm when the key type allows it, so RS384 etc. reach the verifier.
  const alg =
    (['RS256', 'RS384', 'RS512', 'PS256'].includes(family) && key!.alg.startsWith('ES')) ||
    (family === 'ES256') !== key!.alg.startsWith('ES')
      ? key!.alg
      : family
  return signCompact(h, text, key!.privateKey, alg as 'RS256')
}

const mutation = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('char' as const), at: fc.nat(), c: fc.nat({ max: ALPHABET.length - 1 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.constant({ kind: 'swap' as const }),
)

function mutate(token: string, m: { kind: string; at?: number; c?: number }): string {
  if (m.kind === 'char') {
    const i = (m.at as number) % token.length
    return token.slice(0, i) + ALPHABET[m.c as number] + token.slice(i + 1)
  }
  if (m.kind === 'cut') return token.slice(0, (m.at as number) % token.length)
  if (m.kind === 'swap') {
    const [h, p, s] = token.split('.')
    return `${p}.${h}.${s}`
  }
  return token
}

async function agree(token: string, rules: TokenRules, seen?: Map<string, number>): Promise<void> {
  const expected = await reference(token, rules)
  const label = typeof expected === 'string' ? expected : 'accepted'
  seen?.set(label, (seen.get(label) ?? 0) + 1)
  expect(await current(token, rules)).toEqual(expected)
  // A miss and then a hit of a cached verifier answer the same.
  const cached = { ...rules, cache: new VerifiedTokenCache<never>(10) as unknown as TokenRules['cache'] }
  expect(await current(token, cached)).toEqual(expected)
  expect(await current(token, cached)).toEqual(expected)
}

describe('node:crypto verification and core claim rules agree with jose jwtVerify', () => {
  it('on generated claim sets, headers and signers', async () => {
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(claimSet, headerOf, fc.boolean(), async (claims, header, audience) => {
        await agree(build(claims, header), rulesFor(audience ? { audience: ['api'] } : {}), seen)
      }),
      { numRuns: 400 },
    )
    // The generators reach the verifier's many outcomes, not one early rejection.
    for (const code of [
      'accepted',
      'token_expired',
      'token_not_yet_valid',
      'token_issuer_invalid',
      'token_claims_invalid',
      'token_signature_invalid',
      'token_key_unknown',
    ]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0)
    }
  }, 120_000)

  it('on valid tokens of every algorithm with one character changed, cut or segments swapped', async () => {
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('rs256', 'rs384', 'rs512', 'ps256', 'es256', 'any'),
        mutation,
        // The clock around every boundary of this token (iat NOW-5, exp NOW+115, tolerance 10, max age 3600).
        fc.oneof(fc.integer({ min: -200, max: 4000 }), fc.constantFrom(-16, -15, -14, 0, 124, 125, 126, 3605, 3606, 3607)),
        async (kid, m, shift) => {
          const alg = kid === 'any' ? 'RS512' : keys[kid]!.alg
          const claims = {
            iss: ISSUER,
            iat: NOW - 5,
            exp: NOW + 115,
            jti: 'j',
            client_id: 'c',
            consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${TEST_IDENTITIES.consumerOrgno}` },
            consent: true,
          }
          const token = mutate(build(claims, { alg, kid, signer: 'matching' }), m)
          await agree(token, rulesFor({ nowMs: () => (NOW + shift) * 1000 }), seen)
        },
      ),
      { numRuns: 300 },
    )
    expect(seen.get('accepted') ?? 0).toBeGreaterThan(0)
    expect(seen.get('token_signature_invalid') ?? 0).toBeGreaterThan(0)
  }, 120_000)

  it('accepts the valid token of each RSA algorithm and of the alg-less key with node:crypto, and refuses a 1024-bit key', async () => {
    const claims = {
      iss: ISSUER,
      iat: NOW - 5,
      exp: NOW + 115,
      jti: 'j',
      client_id: 'c',
      consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${TEST_IDENTITIES.consumerOrgno}` },
      consent: true,
    }
    for (const [alg, kid] of [
      ['RS256', 'rs256'],
      ['RS384', 'rs384'],
      ['RS512', 'rs512'],
      ['RS384', 'any'],
      ['PS256', 'ps256'],
      ['ES256', 'es256'],
    ] as const) {
      const token = build(claims, { alg, kid, signer: 'matching' })
      const out = await current(token, rulesFor())
      expect(out, `${alg} ${kid}`).toMatchObject({ issuer: ISSUER, jti: 'j', consumer: TEST_IDENTITIES.consumerOrgno })
      expect(out).toEqual(await reference(token, rulesFor()))
    }
    const weak = build(claims, { alg: 'RS256', kid: 'weak', signer: 'matching' })
    expect(await current(weak, rulesFor())).toBe('token_key_unknown')
    expect(await reference(weak, rulesFor())).toBe('token_key_unknown')
  })
})
