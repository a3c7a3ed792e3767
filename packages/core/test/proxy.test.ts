import { createServer, request as httpRequest, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FetchLike } from '@consent-guard/core'
import { createHarness } from './support.js'

/** A forward proxy on loopback: CONNECT tunnels and absolute-form requests, counted. */
function startProxy(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const target = new URL(req.url as string)
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, port] = (req.url as string).split(':')
    const upstream = connect(Number(port), host as string, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }))
  })
}

describe('key-set fetches through an outbound proxy (undici EnvHttpProxyAgent via keys.fetch)', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>
  beforeAll(async () => {
    proxy = await startProxy()
  })
  afterAll(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())))

  it('fetches the key set through the proxy and verifies tokens', async () => {
    // In production: `new EnvHttpProxyAgent()` reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
    const dispatcher = new EnvHttpProxyAgent({ httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: '' })
    const proxiedFetch = ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as FetchLike
    const h = await createHarness({ keys: { fetch: proxiedFetch } })
    try {
      await h.guard.ready()
      expect(h.guard.readiness().status).toBe('fresh')
      const jwks = new URL(h.issuer.jwksUri)
      expect(proxy.seen.some((line) => line.includes(`${jwks.host}`))).toBe(true)
      expect(h.issuer.server.requests).toBe(1)
      expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    } finally {
      await h.close()
      await dispatcher.close()
    }
  })

  it('without the dispatcher, Node fetch ignores HTTPS_PROXY: the proxy sees nothing', async () => {
    const before = proxy.seen.length
    const h = await createHarness()
    try {
      process.env.HTTP_PROXY = proxy.url
      await h.guard.ready()
      expect(proxy.seen.length).toBe(before)
    } finally {
      delete process.env.HTTP_PROXY
      await h.close()
    }
  })
})
