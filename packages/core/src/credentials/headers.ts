/**
 * A framework-neutral view of request headers that keeps duplicates visible. Node folds or drops
 * repeated headers in `req.headers` (a second `Authorization` line silently disappears), so the
 * guard must read every line to spot ambiguous credentials.
 */
export interface HeaderSource {
  /** Every value sent for `name` (lower-case), one entry per header line, in order. */
  getAll(name: string): readonly string[]
  /**
   * True when the transport may have dropped header lines, so `getAll` may not see every line (the
   * request reached Node's `maxHeadersCount`). The guard then refuses with 400 `headers_too_many`.
   */
  readonly truncated?: boolean
}

/** The parts of a Node `IncomingMessage` the guard reads. */
export interface NodeRequestLike {
  readonly rawHeaders?: readonly string[]
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>
  /** The connection; its `server.maxHeadersCount` tells how many header lines Node keeps. */
  readonly socket?: object | null
}

/**
 * Node's http parser keeps `maxHeadersCount` header lines (`2 × maxHeadersCount` raw entries; 2 000
 * entries when the server leaves it unset, 0 = no limit) and silently drops the rest, in batches, so a
 * `rawHeaders` list that reached the limit may be missing lines: a second `Authorization` among them.
 */
function nodeRawHeaderLimit(req: NodeRequestLike): number {
  const server = (req.socket as { server?: { maxHeadersCount?: unknown } | null } | null | undefined)?.server
  const count = server?.maxHeadersCount
  if (typeof count === 'number') return count > 0 ? count * 2 : Infinity
  return 2_000
}

const NONE: readonly string[] = Object.freeze([])

/**
 * Builds a {@link HeaderSource} from a Node request (`http.IncomingMessage`, Fastify's
 * `request.raw`, Express's `req`). Uses `rawHeaders`, which keeps every header line; falls back
 * to `headers` for request objects that lack it.
 */
export function headersFromNodeRequest(req: NodeRequestLike): HeaderSource {
  const raw = req.rawHeaders
  if (raw !== undefined && raw.length > 0) {
    return {
      truncated: raw.length >= nodeRawHeaderLimit(req),
      getAll(name) {
        let found: string[] | undefined
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const key = raw[i] as string
          if (key.length === name.length && key.toLowerCase() === name) (found ??= []).push(raw[i + 1] as string)
        }
        return found ?? NONE
      },
    }
  }
  const headers = req.headers ?? {}
  return {
    getAll(name) {
      const value = Object.hasOwn(headers, name) ? headers[name] : undefined
      if (value === undefined) return NONE
      return typeof value === 'string' ? [value] : value
    },
  }
}

/** Builds a {@link HeaderSource} from a plain record (tests, non-Node runtimes). */
export function headersFromRecord(record: Readonly<Record<string, string | readonly string[] | undefined>>): HeaderSource {
  const lower = new Map<string, string[]>()
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue
    const list = lower.get(key.toLowerCase()) ?? []
    list.push(...(typeof value === 'string' ? [value] : value))
    lower.set(key.toLowerCase(), list)
  }
  return { getAll: (name) => lower.get(name) ?? NONE }
}
