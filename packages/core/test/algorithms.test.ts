import { afterAll, describe, expect, it } from 'vitest'
import { createTestIssuer, deterministicSigningKey, signCompact, type TestIssuer } from '@consent-guard/testkit'
import { ConsentGuardConfigError, createConsentGuard, DEFAULT_ALGORITHMS } from '@consent-guard/core'
import { createHarness, NOW } from './support.js'

// Maskinporten's token documentation lists RS256, RS384 and RS512 as its signing algorithms
// (observed tokens are RS256). All three verify by default; the allow-list stays asymmetric.
const ALGS = ['RS256', 'RS384', 'RS512'] as const

describe('signing algorithms', () => {
  const issuers: TestIssuer[] = []
  afterAll(() => Promise.all(issuers.map((i) => i.close())))

  it('defaults to RS256, RS384 and RS512', () => {
    expect(DEFAULT_ALGORITHMS).toEqual(['RS256', 'RS384', 'RS512'])
    const guard = createConsentGuard({ maskinporten: 'test' })
    expect(guard.options.algorithms).toEqual(['RS256', 'RS384', 'RS512'])
  })

  it.each(ALGS)('accepts a %s token signed by a key Maskinporten publishes for it', async (alg) => {
    const key = await deterministicSigningKey('mp-2', { alg, kid: `mp-${alg.toLowerCase()}` })
    const issuer = await createTestIssuer({ now: NOW, keys: [key] })
    issuers.push(issuer)
    const h = await createHarness({}, issuer)
    const token = await h.token()
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toMatchObject({ alg })
    const consent = await h.run(h.bearer(token))
    expect(consent.subject.id).toBe('25922947409')
    expect(consent.token.issuer).toBe(issuer.issuer)
  })

  it.each(ALGS)('refuses a %s token when the allow-list leaves it out, before fetching any key', async (alg) => {
    const key = await deterministicSigningKey('mp-2', { alg, kid: 'only' })
    const issuer = await createTestIssuer({ now: NOW, keys: [key] })
    issuers.push(issuer)
    const others = ALGS.filter((a) => a !== alg)
    const h = await createHarness({ algorithms: others }, issuer)
    const before = issuer.server.requests
    expect(await h.outcome(h.bearer(await h.token()))).toBe('token_algorithm_not_allowed')
    expect(issuer.server.requests).toBe(before)
  })

  it('a key whose JWK names RS256 does not verify an RS384 or RS512 signature made with it', async () => {
    const key = await deterministicSigningKey('mp-2', { alg: 'RS256', kid: 'rs256-only' })
    const issuer = await createTestIssuer({ now: NOW, keys: [key] })
    issuers.push(issuer)
    const h = await createHarness({}, issuer)
    const claims = JSON.parse(Buffer.from((await h.token()).split('.')[1] as string, 'base64url').toString())
    for (const alg of ['RS384', 'RS512'] as const) {
      expect(await h.outcome(h.bearer(signCompact({ alg, kid: 'rs256-only' }, claims, key.privateKey, alg)))).toBe('token_key_unknown')
    }
    expect(await h.outcome(h.bearer(signCompact({ alg: 'RS256', kid: 'rs256-only' }, claims, key.privateKey)))).toBe('accepted')
  })

  it.each([[['HS256']], [['none']], [['RS256', 'HS512']], [[]], [['rs256']]])('refuses algorithms %j at start-up', (algorithms) => {
    expect(() => createConsentGuard({ maskinporten: 'test', algorithms })).toThrow(ConsentGuardConfigError)
  })
})
