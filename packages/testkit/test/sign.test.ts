import { createPublicKey, verify } from 'node:crypto'
import { base64url, compactVerify, decodeProtectedHeader, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { deterministicSigningKey, encodeSegment, generateSigningKey, signCompact } from '@consent-guard/testkit'

const decoder = new TextDecoder()

function segments(jws: string): [Uint8Array, Uint8Array, Uint8Array] {
  const parts = jws.split('.')
  expect(parts).toHaveLength(3)
  return parts.map((part) => base64url.decode(part)) as [Uint8Array, Uint8Array, Uint8Array]
}

describe('signCompact', () => {
  it('keeps a string header byte-for-byte, including duplicate members', async () => {
    const key = await deterministicSigningKey('mp-1')
    const header = '{"alg":"RS256","kid":"mp-1","kid":"other"}'
    const jws = signCompact(header, { a: 1 }, key.privateKey)
    const [headerBytes, payloadBytes] = segments(jws)
    expect(decoder.decode(headerBytes)).toBe(header)
    expect(decoder.decode(payloadBytes)).toBe('{"a":1}')
    // A JSON parser keeps the last duplicate; the bytes still carry both.
    expect(decodeProtectedHeader(jws).kid).toBe('other')
  })

  it('keeps a string payload byte-for-byte, including a BOM and non-object JSON', async () => {
    const key = await deterministicSigningKey('mp-1')
    for (const payload of ['\uFEFF{"iss":"x"}', '[1,2]', '123', '"just a string"', '{"exp":1,"exp":2}']) {
      const [, payloadBytes] = segments(signCompact({ alg: 'RS256' }, payload, key.privateKey))
      expect(Buffer.from(payloadBytes)).toEqual(Buffer.from(payload, 'utf8'))
    }
    const [, bom] = segments(signCompact({ alg: 'RS256' }, '\uFEFF{}', key.privateKey))
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })

  it('keeps a Uint8Array payload byte-for-byte, even if it is not UTF-8', async () => {
    const key = await deterministicSigningKey('mp-1')
    const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x7b, 0x80])
    const [, payloadBytes] = segments(signCompact({ alg: 'RS256' }, bytes, key.privateKey))
    expect([...payloadBytes]).toEqual([...bytes])
  })

  it('serialises object headers and payloads with JSON.stringify, adding nothing', async () => {
    const key = await deterministicSigningKey('mp-1')
    const [headerBytes, payloadBytes] = segments(signCompact({ kid: 'x' }, { b: [true] }, key.privateKey))
    expect(decoder.decode(headerBytes)).toBe('{"kid":"x"}')
    expect(decoder.decode(payloadBytes)).toBe('{"b":[true]}')
  })

  it('produces an RS256 signature that verifies over the exact signing input', async () => {
    const key = await deterministicSigningKey('mp-1')
    const jws = signCompact('{"alg":"RS256","kid":"mp-1"}', '\uFEFF{"x":1}', key.privateKey)
    const [h, p, s] = jws.split('.') as [string, string, string]
    const publicKey = createPublicKey({ key: key.publicJwk as never, format: 'jwk' })
    expect(verify('sha256', Buffer.from(`${h}.${p}`), publicKey, base64url.decode(s))).toBe(true)
    expect(verify('sha256', Buffer.from(`${h}.${p}x`), publicKey, base64url.decode(s))).toBe(false)
  })

  it('verifies with jose for RS512 (with an RS256-bound key), PS256, ES256 and EdDSA', async () => {
    const rsa = await deterministicSigningKey('mp-1') // bound to RS256
    const rs512 = signCompact({ alg: 'RS512', kid: 'mp-1' }, { ok: true }, rsa.privateKey, 'RS512')
    await expect(compactVerify(rs512, await importJWK(rsa.publicJwk, 'RS512'))).resolves.toBeTruthy()
    await expect(compactVerify(rs512, await importJWK(rsa.publicJwk, 'RS256'))).rejects.toThrow()

    const ps = await deterministicSigningKey('mp-2', { alg: 'PS256' })
    const ps256 = signCompact({ alg: 'PS256' }, { ok: true }, ps.privateKey, 'PS256')
    await expect(compactVerify(ps256, await importJWK(ps.publicJwk, 'PS256'))).resolves.toBeTruthy()

    for (const alg of ['ES256', 'EdDSA'] as const) {
      const key = await generateSigningKey({ alg })
      const jws = signCompact({ alg }, { ok: true }, key.privateKey, alg)
      await expect(compactVerify(jws, await importJWK(key.publicJwk, alg))).resolves.toBeTruthy()
    }
  })

  it('signs HS256 with raw bytes (algorithm confusion) and produces an empty signature for none', async () => {
    const secret = new TextEncoder().encode('-----BEGIN PUBLIC KEY-----\nnot really\n-----END PUBLIC KEY-----\n')
    const hs = signCompact({ alg: 'HS256', kid: 'mp-1' }, { iss: 'x' }, secret, 'HS256')
    await expect(compactVerify(hs, secret)).resolves.toBeTruthy()

    const none = signCompact({ alg: 'none' }, { iss: 'x' }, null, 'none')
    expect(none.endsWith('.')).toBe(true)
    expect(none.split('.')).toHaveLength(3)
    expect(none.split('.')[2]).toBe('')
  })

  it('uses the alg argument, not the header, to choose the signature algorithm', async () => {
    const key = await deterministicSigningKey('mp-1')
    const lying = signCompact({ alg: 'PS256' }, { a: 1 }, key.privateKey) // signed RS256
    const [h, p, s] = lying.split('.') as [string, string, string]
    const publicKey = createPublicKey({ key: key.publicJwk as never, format: 'jwk' })
    expect(verify('sha256', Buffer.from(`${h}.${p}`), publicKey, base64url.decode(s))).toBe(true)
  })

  it('rejects missing or unsuitable keys', async () => {
    expect(() => signCompact({}, {}, null, 'RS256')).toThrow(TypeError)
    expect(() => signCompact({}, {}, null, 'HS256')).toThrow(TypeError)
    const key = await deterministicSigningKey('mp-1')
    // @ts-expect-error: unknown algorithm
    expect(() => signCompact({}, {}, key.privateKey, 'XX256')).toThrow(TypeError)
  })
})

describe('encodeSegment', () => {
  it('encodes exactly like the segments of signCompact', async () => {
    const key = await deterministicSigningKey('mp-1')
    const jws = signCompact('{"alg":"RS256"}', '\uFEFF[]', key.privateKey)
    expect(jws.split('.').slice(0, 2)).toEqual([encodeSegment('{"alg":"RS256"}'), encodeSegment('\uFEFF[]')])
    expect(encodeSegment({ a: 1 })).toBe(base64url.encode('{"a":1}'))
    expect(encodeSegment(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
  })
})
