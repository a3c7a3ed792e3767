import { afterAll, describe, expect, it } from 'vitest'
import { decodeProtectedHeader, jwtVerify, createRemoteJWKSet } from 'jose'
import {
  consentTokenClaims,
  createTestIssuer,
  deterministicSigningKey,
  ESEAL_AUTHORITY,
  esealConsumer,
  startEmulator,
  type TestIssuer,
} from '../src/index.js'

describe('esealConsumer', () => {
  it("builds the consumer Digdir's eSeal pilot page prints", () => {
    expect(esealConsumer('NTRNO-555555555', { organizationalUnitName: "Your company's unit" })).toEqual({
      commonName: 'Your company AS',
      organizationName: 'Your company AS',
      organizationalUnitName: "Your company's unit",
      authority: 'etsi-en-319-412',
      ID: 'NTRNO-555555555',
      countryName: 'NO',
    })
    expect(ESEAL_AUTHORITY).toBe('etsi-en-319-412')
    expect(esealConsumer('VATBE-0123456789', { commonName: 'Exemple SA' })).toMatchObject({ commonName: 'Exemple SA', countryName: 'BE' })
    expect(() => esealConsumer('')).toThrow(TypeError)
  })
  it("gives the consent's `to` the authority and ID only", () => {
    const claims = consentTokenClaims({ consumer: esealConsumer('NTRNO-555555555'), now: 1_784_361_435 })
    expect(claims.consumer).toMatchObject({ authority: ESEAL_AUTHORITY, ID: 'NTRNO-555555555', commonName: 'Your company AS' })
    expect((claims.authorization_details?.[0] as { to: unknown }).to).toEqual({ authority: ESEAL_AUTHORITY, ID: 'NTRNO-555555555' })
  })
  it('leaves a plain identifier object as it is', () => {
    const claims = consentTokenClaims({ consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' }, now: 1_784_361_435 })
    expect((claims.authorization_details?.[0] as { to: unknown }).to).toEqual({ authority: 'iso6523-actorid-upis', ID: '0192:991825827' })
  })
})

describe('createTestIssuer({ alg })', () => {
  const issuers: TestIssuer[] = []
  afterAll(() => Promise.all(issuers.map((i) => i.close())))
  it.each(['RS256', 'RS384', 'RS512'] as const)('signs with %s and publishes the key for it', async (alg) => {
    const issuer = await createTestIssuer({ alg })
    issuers.push(issuer)
    const token = await issuer.consentToken()
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: 'mp-1' })
    expect(issuer.keys[0]?.publicJwk.alg).toBe(alg)
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), { algorithms: [alg] })
    expect(payload.iss).toBe(issuer.issuer)
  })
})

describe('the emulator with an RS512 key', () => {
  it('issues RS512 tokens that verify against its key set', async () => {
    const emu = await startEmulator({ keys: [await deterministicSigningKey('mp-1', { alg: 'RS512' })] })
    try {
      const token = await emu.consentToken({ scope: 'example:income', consumer: esealConsumer('NTRNO-555555555') })
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS512', kid: 'mp-1' })
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(emu.jwksUri)), { algorithms: ['RS512'], issuer: emu.issuer })
      expect(payload.consumer).toMatchObject({ authority: ESEAL_AUTHORITY, ID: 'NTRNO-555555555' })
    } finally {
      await emu.close()
    }
  })
})
