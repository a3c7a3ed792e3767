import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { listen } from './listen.js'
import type { JWK } from 'jose'
import { toPublicJwk, type SigningKey } from './keys.js'

/**
 * How the JWKS endpoint answers. Behaviours apply to the JWKS path only; the metadata document
 * (`/.well-known/oauth-authorization-server`) is always served normally.
 *
 * - `'ok'`: `200`, `application/json`, `{"keys":[...public JWKs]}`.
 * - `'status500'`: `500` with a JSON error body.
 * - `'down'`: the request is read and counted, then the socket is destroyed without any response
 *   (the client sees a reset / "socket hang up" / `fetch failed`).
 * - `{ delayMs }`: the normal `'ok'` answer after `delayMs` milliseconds (for timeout tests).
 * - `'html'`: `200`, `text/html`, an HTML error page.
 * - `'invalid-json'`: `200`, `application/json`, a truncated JSON document.
 * - `'empty-keys'`: `200`, `{"keys":[]}`.
 * - `'not-a-set'`: `200`, `{"foo":1}`.
 * - `{ hugeBytes, chunked? }`: `200`, exactly `hugeBytes` bytes, streamed: the real key set plus a
 *   padding member (valid JSON whenever `hugeBytes` can hold the key set; otherwise its first
 *   `hugeBytes` bytes). Sends `Content-Length` unless `chunked` is true, so a size cap must count.
 * - `{ redirectTo, status? }`: a redirect (default `302`) to `redirectTo`, empty body.
 * - `'private-members'`: `200`, the key set with private members (`d`, `p`, `q`, ...) for every key
 *   whose private half the server knows (keys given as {@link SigningKey} or as private JWKs).
 * - `{ status, body?, headers? }`: any other answer, verbatim.
 */
export type JwksBehaviour =
  | 'ok'
  | 'status500'
  | 'down'
  | 'html'
  | 'invalid-json'
  | 'empty-keys'
  | 'not-a-set'
  | 'private-members'
  | { delayMs: number }
  | { hugeBytes: number; chunked?: boolean }
  | { redirectTo: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { status: number; body?: string; headers?: Record<string, string> }

/**
 * A key to publish: a {@link SigningKey} (its public JWK is published) or a JWK. Private members of
 * a JWK are never published except under the `'private-members'` behaviour.
 */
export type JwksKey = SigningKey | JWK

/** Options for {@link createJwksServer}. */
export interface JwksServerOptions {
  /** Keys to publish initially. Default none. */
  keys?: readonly JwksKey[]
  /** Interface to bind. Default `127.0.0.1` (loopback only). */
  host?: string
  /** Port. Default `0` (a free port). */
  port?: number
  /** Path of the JWKS endpoint. Default `/jwk`, like Maskinporten. */
  path?: string
  /** Initial behaviour. Default `'ok'`. */
  behaviour?: JwksBehaviour
}

/** A running local JWKS server. */
export interface JwksServer {
  /** Full JWKS URL, e.g. `http://127.0.0.1:49152/jwk`. */
  readonly url: string
  /** `http://host:port`. */
  readonly origin: string
  /** `origin + '/'`: a Maskinporten-style issuer for this server. */
  readonly issuer: string
  /** URL of the RFC 8414 metadata document (`issuer` + `.well-known/oauth-authorization-server`). */
  readonly metadataUrl: string
  /** Number of requests received on the JWKS path, whatever the behaviour (including `'down'`). */
  readonly requests: number
  /** Number of requests received for the metadata document. */
  readonly metadataRequests: number
  /** Copies of the public JWKs currently published. */
  readonly keys: JWK[]
  /** Replaces the published keys. */
  setKeys(keys: readonly JwksKey[]): void
  /** Changes how the JWKS endpoint answers from the next request on. */
  setBehaviour(behaviour: JwksBehaviour): void
  /** Stops listening, destroys open sockets and pending delayed answers. Safe to call twice. */
  close(): Promise<void>
}

interface Entry {
  readonly publicJwk: JWK
  readonly privateJwk: JWK | undefined
}

const METADATA_PATH = '/.well-known/oauth-authorization-server'

function isSigningKey(key: JwksKey): key is SigningKey {
  return typeof key === 'object' && key !== null && 'publicJwk' in key && 'privateKey' in key
}

function toEntry(key: JwksKey): Entry {
  if (isSigningKey(key)) return { publicJwk: { ...key.publicJwk }, privateJwk: { ...key.privateJwk } }
  const publicJwk = toPublicJwk(key)
  const hasPrivate = key.kty !== 'oct' && typeof key.d === 'string'
  return { publicJwk, privateJwk: hasPrivate ? { ...key } : undefined }
}

function validateBehaviour(behaviour: JwksBehaviour): void {
  if (typeof behaviour === 'string') {
    const known = ['ok', 'status500', 'down', 'html', 'invalid-json', 'empty-keys', 'not-a-set', 'private-members']
    if (!known.includes(behaviour)) throw new TypeError(`Unknown JWKS behaviour ${JSON.stringify(behaviour)}`)
    return
  }
  if ('delayMs' in behaviour) {
    if (!Number.isFinite(behaviour.delayMs) || behaviour.delayMs < 0) throw new RangeError('delayMs must be >= 0')
  } else if ('hugeBytes' in behaviour) {
    if (!Number.isSafeInteger(behaviour.hugeBytes) || behaviour.hugeBytes < 0) {
      throw new RangeError('hugeBytes must be a non-negative integer')
    }
  } else if ('redirectTo' in behaviour) {
    new URL(behaviour.redirectTo) // throws on an invalid URL
  } else if (!('status' in behaviour) || !Number.isInteger(behaviour.status)) {
    throw new TypeError(`Unknown JWKS behaviour ${JSON.stringify(behaviour)}`)
  }
}

/**
 * Starts a local HTTP server (node:http, bound to loopback by default) that publishes a JSON Web
 * Key Set and can be switched into failure modes for JWKS-fetching tests. It also serves an RFC 8414
 * metadata document naming itself as issuer.
 *
 * @example
 * ```ts
 * const server = await createJwksServer({ keys: [key] })
 * afterAll(() => server.close())
 * server.setBehaviour('status500')
 * ```
 */
export async function createJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/jwk'
  if (!path.startsWith('/')) throw new TypeError('path must start with "/"')
  let entries: Entry[] = (options.keys ?? []).map(toEntry)
  let behaviour: JwksBehaviour = options.behaviour ?? 'ok'
  validateBehaviour(behaviour)
  let requests = 0
  let metadataRequests = 0
  let origin = ''
  const timers = new Set<NodeJS.Timeout>()

  const publicSet = (): string => JSON.stringify({ keys: entries.map((entry) => entry.publicJwk) })

  function sendJson(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  async function sendHuge(res: ServerResponse, size: number, chunked: boolean): Promise<void> {
    const prefix = Buffer.from(`${publicSet().slice(0, -1)},"padding":"`)
    const suffix = Buffer.from('"}')
    const headers: Record<string, string | number> = { 'content-type': 'application/json' }
    if (!chunked) headers['content-length'] = size
    res.writeHead(200, headers)
    if (size <= prefix.length + suffix.length) {
      res.end(Buffer.concat([prefix, suffix]).subarray(0, size))
      return
    }
    res.write(prefix)
    let remaining = size - prefix.length - suffix.length
    const block = Buffer.alloc(64 * 1024, 'a')
    while (remaining > 0) {
      if (res.destroyed) return
      const chunk = remaining >= block.length ? block : block.subarray(0, remaining)
      remaining -= chunk.length
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
      }
    }
    if (!res.destroyed) res.end(suffix)
  }

  function answerJwks(req: IncomingMessage, res: ServerResponse): void {
    const current = behaviour
    if (typeof current === 'string') {
      switch (current) {
        case 'ok':
          return sendJson(res, 200, publicSet())
        case 'status500':
          return sendJson(res, 500, JSON.stringify({ error: 'internal_server_error' }))
        case 'down':
          req.socket.destroy()
          return
        case 'html': {
          const body = '<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body><h1>Maintenance</h1></body></html>\n'
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) })
          res.end(body)
          return
        }
        case 'invalid-json':
          return sendJson(res, 200, publicSet().slice(0, -2)) // drops the closing "]}"
        case 'empty-keys':
          return sendJson(res, 200, '{"keys":[]}')
        case 'not-a-set':
          return sendJson(res, 200, '{"foo":1}')
        case 'private-members':
          return sendJson(
            res,
            200,
            JSON.stringify({
              keys: entries.map((entry) =>
                entry.privateJwk === undefined ? entry.publicJwk : { ...entry.privateJwk, ...entry.publicJwk },
              ),
            }),
          )
      }
    }
    if ('delayMs' in current) {
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (!res.destroyed) sendJson(res, 200, publicSet())
      }, current.delayMs)
      timers.add(timer)
      res.on('close', () => {
        clearTimeout(timer)
        timers.delete(timer)
      })
      return
    }
    if ('hugeBytes' in current) {
      sendHuge(res, current.hugeBytes, current.chunked === true).catch(() => res.destroy())
      return
    }
    if ('redirectTo' in current) {
      res.writeHead(current.status ?? 302, { location: current.redirectTo, 'content-length': 0 })
      res.end()
      return
    }
    const body = current.body ?? ''
    res.writeHead(current.status, { 'content-length': Buffer.byteLength(body), ...current.headers })
    res.end(body)
  }

  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    if (pathname === path) {
      requests += 1
      answerJwks(req, res)
      return
    }
    if (pathname === METADATA_PATH) {
      metadataRequests += 1
      const issuer = `${origin}/`
      sendJson(
        res,
        200,
        JSON.stringify({
          issuer,
          token_endpoint: `${origin}/token`,
          jwks_uri: `${origin}${path}`,
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
          token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512'],
          authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
        }),
      )
      return
    }
    if (pathname === '/token') {
      sendJson(res, 501, JSON.stringify({ error: 'unsupported', error_description: 'the testkit issues tokens directly' }))
      return
    }
    sendJson(res, 404, JSON.stringify({ error: 'not_found' }))
  })
  const listening = await listen(server, host, options.port ?? 0)
  origin = listening.origin

  return {
    url: `${origin}${path}`,
    origin,
    issuer: `${origin}/`,
    metadataUrl: `${origin}${METADATA_PATH}`,
    get requests() {
      return requests
    },
    get metadataRequests() {
      return metadataRequests
    },
    get keys() {
      return entries.map((entry) => ({ ...entry.publicJwk }))
    },
    setKeys(keys) {
      entries = keys.map(toEntry)
    },
    setBehaviour(next) {
      validateBehaviour(next)
      behaviour = next
    },
    close() {
      return listening.close(() => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
      })
    },
  }
}
