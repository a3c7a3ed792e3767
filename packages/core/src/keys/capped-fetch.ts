/** The subset of `fetch` jose calls. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** Thrown when a JWK Set response breaks a limit; jose passes it on, the key set maps it to 503. */
export class JwksResponseError extends Error {
  override readonly name = 'JwksResponseError'
  /** `status`: the endpoint answered other than 200; `invalid`: the body is not an acceptable key set. */
  readonly category: 'status' | 'invalid'
  /** The HTTP status, for `status`. */
  readonly status: number | undefined

  constructor(message: string, category: 'status' | 'invalid' = 'invalid', status?: number) {
    super(message)
    this.category = category
    this.status = status
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Wraps `fetch` for jose's `customFetch` hook: reads at most `maxBytes` of the body (jose itself
 * reads any size), refuses sets with more than `maxKeys` keys or with private or symmetric key
 * material (an issuer publishing those is misconfigured, and a `k` would be an HMAC secret).
 */
export function cappedJwksFetch(fetchImpl: FetchLike, limits: { maxBytes: number; maxKeys: number }): FetchLike {
  return async (url, init) => {
    const response = await fetchImpl(url, init)
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      // Thrown here rather than left to jose so the key set can report the cause (`state()`).
      throw new JwksResponseError(`JWK Set endpoint answered ${response.status}`, 'status', response.status)
    }
    const declared = Number(response.headers.get('content-length'))
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel().catch(() => undefined)
      throw new JwksResponseError('JWK Set response too large')
    }
    const text = await readCapped(response, limits.maxBytes)
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new JwksResponseError('JWK Set response is not JSON')
    }
    const keys = (parsed as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys)) throw new JwksResponseError('JWK Set response has no keys array')
    if (keys.length > limits.maxKeys) throw new JwksResponseError('JWK Set has too many keys')
    for (const key of keys) {
      if (typeof key !== 'object' || key === null) throw new JwksResponseError('JWK Set has an invalid key')
      for (const member of PRIVATE_MEMBERS) {
        if (Object.hasOwn(key, member)) throw new JwksResponseError('JWK Set contains private key material')
      }
    }
    return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new JwksResponseError('JWK Set response too large')
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
