/**
 * Raw HTTP for adversarial requests. Every request goes through node:http with a raw header list,
 * so repeated headers and their case reach the server exactly as written; requests that Node's
 * own client refuses to build (a NUL, an obs-fold, a space before the colon, a bare LF) go through
 * a plain TCP socket. Every request has a deadline: a hang is a test failure, never a hung suite.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { SENT_VALUES } from './privacy.js'

export type HeaderLine = readonly [name: string, value: string]
export type Method = 'GET' | 'HEAD' | 'POST' | 'OPTIONS'

export interface Spec {
  readonly method?: Method
  readonly path: string
  readonly headers: readonly HeaderLine[]
  readonly body?: string
}

export interface Seen {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  /** Parsed JSON body, or undefined. */
  readonly body: unknown
  /** Wall time of the exchange in ms. */
  readonly ms: number
}

/** Default deadline of one request. Generous: loopback answers take milliseconds. */
export const DEADLINE_MS = 5_000

export function send(baseUrl: string, spec: Spec, deadlineMs = DEADLINE_MS): Promise<Seen> {
  // Host and port from the base only: a path such as `//x/y` must stay a path.
  const url = new URL(baseUrl)
  const raw: string[] = ['Host', url.host]
  for (const [name, value] of spec.headers) raw.push(name, value)
  SENT_VALUES.push(...spec.headers.map(([, value]) => value), spec.path, spec.body ?? '')
  if (spec.body !== undefined) raw.push('Content-Length', String(Buffer.byteLength(spec.body)))
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      // `path` is sent as given (no normalisation of `//`, `%2F` or `;`).
      {
        host: url.hostname,
        port: url.port,
        path: spec.path,
        method: spec.method ?? 'GET',
        headers: raw,
        timeout: deadlineMs,
        agent: false,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseJson(text), ms: performance.now() - started }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${deadlineMs} ms: ${spec.method ?? 'GET'} ${spec.path}`)))
    req.on('error', reject)
    req.end(spec.body)
  })
}

/** `Seen.status` of an exchange the server ended by resetting the connection, without an answer. */
export const CONNECTION_RESET = 0

/**
 * {@link send} for requests the server may refuse at the transport level: Node answers headers over
 * its limit with 431 on Node 20/22, and may reset the connection instead on Node 24 (the answer is
 * lost when the socket is torn down while the client still writes). A reset is returned as a
 * `Seen` with status {@link CONNECTION_RESET}; any other failure (a hang, a refused connection) stays
 * an error.
 */
export async function sendOrReset(baseUrl: string, spec: Spec, deadlineMs = DEADLINE_MS): Promise<Seen> {
  const started = performance.now()
  try {
    return await send(baseUrl, spec, deadlineMs)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err
    return { status: CONNECTION_RESET, headers: {}, text: '', body: undefined, ms: performance.now() - started }
  }
}

/**
 * Writes `head` (request line and headers, CRLFs included, without the final empty line) to a
 * socket and reads the status line of the answer. For requests Node's client cannot produce.
 */
export function sendRawHead(baseUrl: string, head: string, deadlineMs = DEADLINE_MS): Promise<{ status: number; text: string }> {
  const url = new URL(baseUrl)
  SENT_VALUES.push(head)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) })
    let text = ''
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs)
    socket.setEncoding('latin1')
    socket.on('connect', () => socket.write(`${head}\r\n\r\n`, 'latin1'))
    socket.on('data', (chunk: string) => {
      text += chunk
      if (/\r\n\r\n/.test(text)) socket.end()
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      if (match === null) reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 80))}`))
      else resolve({ status: Number(match[1]), text })
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      // A server may reset the connection right after its error answer; keep what arrived.
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      if (match !== null) resolve({ status: Number(match[1]), text })
      else reject(err)
    })
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const bearer = (token: string): HeaderLine => ['Authorization', `Bearer ${token}`]
