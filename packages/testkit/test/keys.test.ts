import { base64url, calculateJwkThumbprint, compactVerify, importJWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { deterministicSigningKey, FIXED_KEY_NAMES, generateSigningKey, toPublicJwk } from '@consent-guard/testkit'

function modulusBits(n: string | undefined): number {
  return base64url.decode(n ?? '').length * 8
}

async function signsAndVerifies(key: Awaited<ReturnType<typeof generateSigningKey>>): Promise<void> {
  const jws = await new SignJWT({ hello: 'world' }).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey)
  const publicKey = await importJWK(key.publicJwk, key.alg)
  const { protectedHeader } = await compactVerify(jws, publicKey)
  expect(protectedHeader).toEqual({ alg: key.alg, kid: key.kid })
}

describe('generateSigningKey', () => {
  it('defaults to RS256, RSA-2048 and a thumbprint kid, and publishes only public members', async () => {
    const key = await generateSigningKey()
    expect(key.alg).toBe('RS256')
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'))
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Object.keys(key.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid })
    expect(modulusBits(key.publicJwk.n)).toBe(2048)
    expect(key.privateJwk).toMatchObject({ kty: 'RSA', kid: key.kid, n: key.publicJwk.n })
    expect(typeof key.privateJwk.d).toBe('string')
    expect(key.privateKey.type).toBe('private')
    expect(key.publicKey.type).toBe('public')
    await signsAndVerifies(key)
  })

  it('creates distinct keys each call', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()])
    expect(a.publicJwk.n).not.toBe(b.publicJwk.n)
    expect(a.kid).not.toBe(b.kid)
  })

  it('honours kid, alg and modulusLength', async () => {
    const rsa = await generateSigningKey({ kid: 'k-3072', alg: 'PS384', modulusLength: 3072 })
    expect(rsa.kid).toBe('k-3072')
    expect(rsa.publicJwk).toMatchObject({ alg: 'PS384', kid: 'k-3072' })
    expect(modulusBits(rsa.publicJwk.n)).toBe(3072)
    await signsAndVerifies(rsa)

    const ec = await generateSigningKey({ alg: 'ES256' })
    expect(ec.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(ec.publicJwk).not.toHaveProperty('d')
    await signsAndVerifies(ec)

    const ed = await generateSigningKey({ alg: 'EdDSA' })
    expect(ed.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })
    await signsAndVerifies(ed)
  })
})

describe('deterministicSigningKey', () => {
  it('returns the same RSA-2048 key material on every call', async () => {
    const a = await deterministicSigningKey('mp-1')
    const b = await deterministicSigningKey('mp-1')
    expect(a.publicJwk).toEqual(b.publicJwk)
    expect(a.kid).toBe('mp-1')
    expect(a.alg).toBe('RS256')
    expect(modulusBits(a.publicJwk.n)).toBe(2048)
    expect(Object.keys(a.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
    await signsAndVerifies(a)
  })

  it('has distinct keys per name', async () => {
    expect(FIXED_KEY_NAMES).toEqual(['mp-1', 'mp-2', 'attacker', 'client-1', 'client-2', 'altinn2'])
    const keys = await Promise.all(FIXED_KEY_NAMES.map((name) => deterministicSigningKey(name)))
    expect(new Set(keys.map((key) => key.publicJwk.n)).size).toBe(FIXED_KEY_NAMES.length)
  })

  it('can reuse a trusted kid on the attacker key and bind another RSA algorithm', async () => {
    const forged = await deterministicSigningKey('attacker', { kid: 'mp-1', alg: 'RS512' })
    expect(forged.kid).toBe('mp-1')
    expect(forged.publicJwk.alg).toBe('RS512')
    expect(forged.publicJwk.n).not.toBe((await deterministicSigningKey('mp-1')).publicJwk.n)
    await signsAndVerifies(forged)
  })

  it('rejects unknown names', async () => {
    // @ts-expect-error: not a fixed key name
    await expect(deterministicSigningKey('mp-9')).rejects.toThrow(/Unknown fixed test key/)
  })
})

describe('toPublicJwk', () => {
  it('strips private members of asymmetric keys and leaves oct keys alone', async () => {
    const key = await deterministicSigningKey('mp-2')
    expect(toPublicJwk(key.privateJwk)).toEqual(key.publicJwk)
    expect(toPublicJwk({ kty: 'oct', k: 'c2VjcmV0' })).toEqual({ kty: 'oct', k: 'c2VjcmV0' })
  })
})
