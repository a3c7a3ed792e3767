import type { IncomingMessage, ServerResponse } from 'node:http'
import { ProblemError } from './http.js'

/** Handles one request; `params` are the route pattern's groups, URI-decoded. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: readonly string[]) => Promise<void> | void

/** One path of the emulator and its handlers by method (`ANY`: every method). */
export interface Route {
  /** The exact path, or a pattern whose groups become the handler's `params`. */
  readonly path: string | RegExp
  readonly methods: Partial<Record<'GET' | 'POST' | 'ANY', Handler>>
  /** Answer other methods with 404 (as if the path did not exist) instead of 405. */
  readonly otherMethods?: 'not_found'
}

/** A pattern matching `prefix/<rest>`; `<rest>` (possibly empty) is the one parameter. */
export function under(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(.*)$`)
}

/** Runs the first route whose path matches: 405 for a method it does not handle, 404 when none matches. */
export async function dispatch(routes: readonly Route[], req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const url = new URL(req.url ?? '/', origin)
  const path = url.pathname
  const method = req.method ?? 'GET'
  for (const route of routes) {
    const match = typeof route.path === 'string' ? (path === route.path ? [path] : null) : route.path.exec(path)
    if (match === null) continue
    const handler = route.methods[method as 'GET' | 'POST'] ?? route.methods.ANY
    if (handler === undefined) {
      if (route.otherMethods === 'not_found') break
      throw new ProblemError(405, 'Method Not Allowed', undefined, undefined, 'method_not_allowed')
    }
    return handler(
      req,
      res,
      url,
      match.slice(1).map((p) => decodeURIComponent(p)),
    )
  }
  throw new ProblemError(404, 'Not Found', `No route ${method} ${path}`, undefined, 'not_found')
}
