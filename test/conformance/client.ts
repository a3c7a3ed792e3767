/**
 * Sends conformance requests. Ordinary requests go through supertest; requests that repeat a
 * header (two `Authorization` lines, possibly in different case) go through node:http with a raw
 * header list, because supertest's `.set` keeps one value per name.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import supertest from 'supertest'

export type HeaderLine = readonly [name: string, value: string]

export interface RequestSpec {
  /** Default GET. */
  readonly method?: 'GET' | 'HEAD'
  readonly path: string
  readonly headers: readonly HeaderLine[]
}

export interface ResponseSeen {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  /** The parsed JSON body, or undefined when the body is not JSON. */
  readonly body: unknown
}

export async function send(baseUrl: string, spec: RequestSpec): Promise<ResponseSeen> {
  const names = spec.headers.map(([name]) => name.toLowerCase())
  const repeated = new Set(names).size !== names.length
  return repeated ? sendRaw(baseUrl, spec) : sendSupertest(baseUrl, spec)
}

async function sendSupertest(baseUrl: string, spec: RequestSpec): Promise<ResponseSeen> {
  let req = spec.method === 'HEAD' ? supertest(baseUrl).head(spec.path) : supertest(baseUrl).get(spec.path)
  for (const [name, value] of spec.headers) req = req.set(name, value)
  const res = await req.buffer(true).parse((response, callback) => {
    let text = ''
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => (text += chunk))
    response.on('end', () => callback(null, text))
  })
  const text = res.body as string
  return { status: res.status, headers: res.headers, text, body: parseJson(text) }
}

function sendRaw(baseUrl: string, spec: RequestSpec): Promise<ResponseSeen> {
  const url = new URL(spec.path, baseUrl)
  // Node's raw header format: [name, value, name, value, ...], sent as written (case kept).
  const raw = ['Host', url.host, ...spec.headers.flatMap(([name, value]) => [name, value])]
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method ?? 'GET', headers: raw },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseJson(text) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
