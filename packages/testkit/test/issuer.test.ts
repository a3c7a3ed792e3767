import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, deterministicSigningKey, generateSigningKey, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { shape, TT02_CONSENT_PAYLOAD, TT02_HEADER } from './fixtures/tt02.js'

const NOW = 1_770_113_647

/** Verifies like a data source would: remote JWKS (fresh cache), pinned issuer and algorithm. */
function verify(issuer: TestIssuer, token: string, now?: number) {
  return jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    algorithms: ['RS256'],
    ...(now !== undefined ? { currentDate: new Date(now * 1000) } : {}),
  })
}

describe('createTestIssuer', () => {
  let issuer: TestIssuer

  beforeAll(async () => {
    issuer = await createTestIssuer()
  })
  afterAll(() => issuer.close())

  it('publishes the fixed mp-1 key and uses its own origin as issuer', async () => {
    expect(issuer.issuer).toBe(issuer.server.issuer)
    expect(issuer.jwksUri).toBe(issuer.server.url)
    expect(issuer.signer.kid).toBe('mp-1')
    expect(issuer.signer.publicJwk).toEqual((await deterministicSigningKey('mp-1')).publicJwk)
    expect(issuer.server.keys).toEqual([issuer.signer.publicJwk])
  })

  it('issues consent tokens that verify with jose against the JWKS server and look like TT02', async () => {
    const token = await issuer.consentToken({
      scope: 'skatteetaten:inntekt',
      consent: {
        from: { person: TEST_IDENTITIES.personB },
        rights: [
          { resource: 'ske-samtykke-sbl-inntekt', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
          { resource: 'ske-samtykke-sbl-summert-skattegrunnlag', metadata: { inntektsaar: '2024' } },
        ],
      },
    })
    const before = issuer.server.requests
    const { payload, protectedHeader } = await verify(issuer, token)
    expect(issuer.server.requests).toBe(before + 1)
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: 'mp-1' })
    expect(Object.keys(protectedHeader).sort()).toEqual(Object.keys(TT02_HEADER).sort())
    expect(shape(payload)).toEqual(shape({ ...TT02_CONSENT_PAYLOAD, iss: issuer.issuer }))
    expect(payload).toMatchObject({
      iss: issuer.issuer,
      scope: 'skatteetaten:inntekt',
      authorization_details: [{ from: 'urn:altinn:person:identifier-no:14888510096', to: payload.consumer }],
    })
    expect(payload.exp! - payload.iat!).toBe(120)
  })

  it('issues plain access tokens without authorization_details, sub or aud', async () => {
    const { payload } = await verify(issuer, await issuer.accessToken({ scope: 'a:b' }))
    expect(payload).not.toHaveProperty('authorization_details')
    expect(payload).not.toHaveProperty('sub')
    expect(payload).not.toHaveProperty('aud')
    expect(payload.scope).toBe('a:b')
  })

  it('signs arbitrary claims with extra header members', async () => {
    const token = await issuer.sign({ iss: issuer.issuer, exp: NOW + 60 }, { header: { typ: 'at+jwt' } })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'mp-1', typ: 'at+jwt' })
    await expect(verify(issuer, token, NOW)).resolves.toBeTruthy()
  })

  it('lets a test forge a token with an unpublished key that claims a trusted kid', async () => {
    const attacker = await deterministicSigningKey('attacker', { kid: 'mp-1' })
    const forged = await issuer.consentToken({}, { key: attacker })
    expect(decodeProtectedHeader(forged).kid).toBe('mp-1')
    await expect(verify(issuer, forged)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })
})

describe('createTestIssuer clock', () => {
  it('stamps tokens with a fixed now, which jose accepts only at that time', async () => {
    const issuer = await createTestIssuer({ now: NOW })
    try {
      const token = await issuer.consentToken()
      const claims = decodeJwt(token)
      expect(claims.iat).toBe(NOW)
      expect(claims.exp).toBe(NOW + 120)
      await expect(verify(issuer, token, NOW + 60)).resolves.toBeTruthy()
      await expect(verify(issuer, token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
    } finally {
      await issuer.close()
    }
  })

  it('reads a clock function per token; a per-token now overrides it', async () => {
    let t = NOW
    const issuer = await createTestIssuer({ now: () => t })
    try {
      expect(decodeJwt(await issuer.accessToken()).iat).toBe(NOW)
      t += 500
      expect(decodeJwt(await issuer.accessToken()).iat).toBe(NOW + 500)
      expect(decodeJwt(await issuer.accessToken({ now: 1_000_000_000 })).iat).toBe(1_000_000_000)
    } finally {
      await issuer.close()
    }
  })

  it('can write a Maskinporten iss while serving keys locally', async () => {
    const issuer = await createTestIssuer({ iss: 'https://test.maskinporten.no/' })
    try {
      expect(issuer.issuer).toBe('https://test.maskinporten.no/')
      const { payload } = await verify(issuer, await issuer.accessToken())
      expect(payload.iss).toBe('https://test.maskinporten.no/')
    } finally {
      await issuer.close()
    }
  })
})

describe('key rotation', () => {
  it('rotate() publishes mp-2 (fixed), then fresh keys, and signs with the newest', async () => {
    const issuer = await createTestIssuer()
    try {
      const oldToken = await issuer.accessToken()
      const second = await issuer.rotate()
      expect(second.kid).toBe('mp-2')
      expect(second.publicJwk).toEqual((await deterministicSigningKey('mp-2')).publicJwk)
      expect(issuer.signer).toBe(second)
      expect(issuer.server.keys.map((k) => k.kid)).toEqual(['mp-1', 'mp-2'])

      const newToken = await issuer.accessToken()
      expect(decodeProtectedHeader(newToken).kid).toBe('mp-2')
      await expect(verify(issuer, oldToken)).resolves.toBeTruthy()
      await expect(verify(issuer, newToken)).resolves.toBeTruthy()

      const third = await issuer.rotate({ retirePrevious: true })
      expect(third.kid).toBe('mp-3')
      expect(issuer.server.keys.map((k) => k.kid)).toEqual(['mp-3'])
      await expect(verify(issuer, newToken)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
      await expect(verify(issuer, await issuer.accessToken())).resolves.toBeTruthy()
    } finally {
      await issuer.close()
    }
  })

  it('rotate({ key }) uses the given key; removeKey unpublishes', async () => {
    const given = await generateSigningKey({ kid: 'next' })
    const issuer = await createTestIssuer({ keys: [await deterministicSigningKey('mp-2', { kid: 'a' })] })
    try {
      const oldToken = await issuer.accessToken()
      await issuer.rotate({ key: given })
      expect(issuer.keys.map((k) => k.kid)).toEqual(['a', 'next'])
      issuer.removeKey('a')
      expect(issuer.server.keys.map((k) => k.kid)).toEqual(['next'])
      await expect(verify(issuer, oldToken)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
      await expect(verify(issuer, await issuer.accessToken())).resolves.toBeTruthy()
    } finally {
      await issuer.close()
    }
  })

  it('rejects an empty key list', async () => {
    await expect(createTestIssuer({ keys: [] })).rejects.toThrow(TypeError)
  })
})
