import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createJwksServer, deterministicSigningKey, type JwksServer, type SigningKey } from '@consent-guard/testkit'

let key: SigningKey
let other: SigningKey
let token: string
let server: JwksServer

beforeAll(async () => {
  key = await deterministicSigningKey('mp-1')
  other = await deterministicSigningKey('mp-2')
  token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid: 'mp-1' }).sign(key.privateKey)
  server = await createJwksServer({ keys: [key] })
})

afterEach(() => {
  server.setBehaviour('ok')
  server.setKeys([key])
})

afterAll(() => server.close())

/** Verifies `token` through jose's remote JWKS client with a fresh cache. */
function verifyRemotely(timeoutDuration = 2_000): Promise<unknown> {
  return jwtVerify(token, createRemoteJWKSet(new URL(server.url), { timeoutDuration }))
}

async function get(url = server.url, init: RequestInit = {}): Promise<{ res: Response; body: string }> {
  const res = await fetch(url, { redirect: 'manual', ...init })
  return { res, body: await res.text() }
}

describe('createJwksServer basics', () => {
  it('binds to 127.0.0.1 on a free port and exposes url, origin and issuer', () => {
    const url = new URL(server.url)
    expect(url.hostname).toBe('127.0.0.1')
    expect(Number(url.port)).toBeGreaterThan(0)
    expect(url.pathname).toBe('/jwk')
    expect(server.origin).toBe(`http://127.0.0.1:${url.port}`)
    expect(server.issuer).toBe(`${server.origin}/`)
  })

  it('is not reachable on a non-loopback interface', async (ctx) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal)
    if (external === undefined) return ctx.skip()
    const port = Number(new URL(server.url).port)
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: external.address, port })
      socket.once('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    })
    expect(outcome).toBe('ECONNREFUSED')
  })

  it('counts requests on the JWKS path only', async () => {
    const before = server.requests
    await get()
    await get()
    await get(`${server.origin}/nope`)
    expect(server.requests).toBe(before + 2)
  })

  it('serves an RFC 8414 metadata document naming itself', async () => {
    const { res, body } = await get(server.metadataUrl)
    expect(res.status).toBe(200)
    expect(JSON.parse(body)).toMatchObject({ issuer: server.issuer, jwks_uri: server.url })
    expect(server.metadataRequests).toBeGreaterThan(0)
  })

  it('honours custom path and a second server gets its own port', async () => {
    const second = await createJwksServer({ keys: [other], path: '/keys' })
    try {
      expect(second.url).toBe(`${second.origin}/keys`)
      expect(second.origin).not.toBe(server.origin)
      const { body } = await get(second.url)
      expect(JSON.parse(body).keys[0].kid).toBe('mp-2')
    } finally {
      await second.close()
    }
  })
})

describe('behaviours', () => {
  it("'ok' serves the public key set and jose verifies against it", async () => {
    const { res, body } = await get()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(JSON.parse(body)).toEqual({ keys: [key.publicJwk] })
    expect(body).not.toContain('"d"')
    await expect(verifyRemotely()).resolves.toMatchObject({ payload: { sub: 'x' } })
  })

  it('setKeys replaces the published keys and never publishes private members in ok mode', async () => {
    server.setKeys([other.privateJwk])
    const { body } = await get()
    expect(JSON.parse(body)).toEqual({ keys: [other.publicJwk] })
    expect(server.keys).toEqual([other.publicJwk])
    await expect(verifyRemotely()).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it("'status500' answers 500 and jose fails", async () => {
    server.setBehaviour('status500')
    const { res } = await get()
    expect(res.status).toBe(500)
    await expect(verifyRemotely()).rejects.toThrow(/Expected 200 OK/)
  })

  it("'down' drops the connection without a response, but counts the attempt", async () => {
    server.setBehaviour('down')
    const before = server.requests
    await expect(fetch(server.url)).rejects.toThrow(/fetch failed/)
    expect(server.requests).toBe(before + 1)
    await expect(verifyRemotely()).rejects.toThrow()
    server.setBehaviour('ok')
    await expect(verifyRemotely()).resolves.toBeTruthy()
  })

  it('{ delayMs } answers normally after the delay, and trips a client timeout', async () => {
    server.setBehaviour({ delayMs: 300 })
    const started = performance.now()
    const { res, body } = await get()
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(res.status).toBe(200)
    expect(JSON.parse(body)).toEqual({ keys: [key.publicJwk] })

    server.setBehaviour({ delayMs: 5_000 })
    await expect(verifyRemotely(100)).rejects.toMatchObject({ code: 'ERR_JWKS_TIMEOUT' })
  })

  it("'html' answers 200 text/html and jose cannot parse it", async () => {
    server.setBehaviour('html')
    const { res, body } = await get()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(body).toMatch(/^<!DOCTYPE html>/)
    await expect(verifyRemotely()).rejects.toThrow(/JSON/)
  })

  it("'invalid-json' answers 200 application/json that does not parse", async () => {
    for (const keys of [[key], []]) {
      server.setKeys(keys)
      server.setBehaviour('invalid-json')
      const { res, body } = await get()
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(() => JSON.parse(body)).toThrow(SyntaxError)
    }
    server.setKeys([key])
    await expect(verifyRemotely()).rejects.toThrow(/JSON/)
  })

  it('\'empty-keys\' answers {"keys":[]} and jose finds no key', async () => {
    server.setBehaviour('empty-keys')
    expect((await get()).body).toBe('{"keys":[]}')
    await expect(verifyRemotely()).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('\'not-a-set\' answers {"foo":1} and jose rejects the set', async () => {
    server.setBehaviour('not-a-set')
    expect((await get()).body).toBe('{"foo":1}')
    await expect(verifyRemotely()).rejects.toMatchObject({ code: 'ERR_JWKS_INVALID' })
  })

  it('{ hugeBytes } streams exactly that many bytes of valid JSON holding the keys', async () => {
    const size = 3 * 1024 * 1024 + 7
    server.setBehaviour({ hugeBytes: size })
    const { res, body } = await get()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(size))
    expect(Buffer.byteLength(body)).toBe(size)
    expect(JSON.parse(body).keys).toEqual([key.publicJwk])
    // Without a byte cap, jose happily reads it all and verifies.
    await expect(verifyRemotely()).resolves.toBeTruthy()
  })

  it('{ hugeBytes, chunked } omits Content-Length; tiny sizes are truncated to exactly n bytes', async () => {
    server.setBehaviour({ hugeBytes: 200_000, chunked: true })
    const chunked = await get()
    expect(chunked.res.headers.get('content-length')).toBeNull()
    expect(chunked.res.headers.get('transfer-encoding')).toBe('chunked')
    expect(Buffer.byteLength(chunked.body)).toBe(200_000)

    server.setBehaviour({ hugeBytes: 10 })
    const tiny = await get()
    expect(tiny.body).toBe('{"keys":[{')
  })

  it('{ redirectTo } answers a redirect that jose does not follow', async () => {
    const target = await createJwksServer({ keys: [key] })
    try {
      server.setBehaviour({ redirectTo: target.url })
      const { res } = await get()
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(target.url)
      server.setBehaviour({ redirectTo: target.url, status: 307 })
      expect((await get()).res.status).toBe(307)
      await expect(verifyRemotely()).rejects.toThrow(/Expected 200 OK/)
      expect(target.requests).toBe(0)
    } finally {
      await target.close()
    }
  })

  it("'private-members' publishes d, p, q, dp, dq, qi for keys whose private half it knows", async () => {
    server.setKeys([key, other.publicJwk])
    server.setBehaviour('private-members')
    const { body } = await get()
    const [withPrivate, publicOnly] = JSON.parse(body).keys
    expect(withPrivate).toMatchObject({ kid: 'mp-1', alg: 'RS256', use: 'sig', n: key.publicJwk.n })
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(typeof withPrivate[member]).toBe('string')
    expect(publicOnly).toEqual(other.publicJwk)
  })

  it('{ status, body, headers } answers verbatim', async () => {
    server.setBehaviour({ status: 429, body: 'slow down', headers: { 'retry-after': '1' } })
    const { res, body } = await get()
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(body).toBe('slow down')
  })

  it('rejects unknown or invalid behaviours and keeps the previous one', async () => {
    // @ts-expect-error: not a behaviour
    expect(() => server.setBehaviour('teapot')).toThrow(TypeError)
    expect(() => server.setBehaviour({ delayMs: -1 })).toThrow(RangeError)
    expect(() => server.setBehaviour({ hugeBytes: 1.5 })).toThrow(RangeError)
    expect(() => server.setBehaviour({ redirectTo: 'not a url' })).toThrow()
    expect((await get()).res.status).toBe(200)
  })
})

describe('close()', () => {
  it('finishes promptly with a delayed answer pending, is idempotent, and refuses afterwards', async () => {
    const temp = await createJwksServer({ keys: [key], behaviour: { delayMs: 60_000 } })
    const pending = fetch(temp.url)
    pending.catch(() => undefined)
    await vi.waitFor(() => expect(temp.requests).toBe(1))
    const started = performance.now()
    await temp.close()
    await temp.close()
    expect(performance.now() - started).toBeLessThan(1_000)
    await expect(pending).rejects.toThrow()
    await expect(fetch(temp.url)).rejects.toThrow()
  })

  it('finishes promptly while a huge body is still streaming', async () => {
    const temp = await createJwksServer({ keys: [key], behaviour: { hugeBytes: 500 * 1024 * 1024 } })
    const res = await fetch(temp.url)
    const reader = res.body?.getReader()
    await reader?.read()
    const started = performance.now()
    await temp.close()
    expect(performance.now() - started).toBeLessThan(1_000)
    await reader?.cancel().catch(() => undefined)
  })

  it('closes keep-alive connections left by jose/undici', async () => {
    const temp = await createJwksServer({ keys: [key] })
    await jwtVerify(token, createRemoteJWKSet(new URL(temp.url)))
    const started = performance.now()
    await temp.close()
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
