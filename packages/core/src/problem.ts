import { STATUS_CODES } from 'node:http'
import { isConsentGuardError } from './errors.js'

/** An HTTP answer in RFC 9457 `application/problem+json`. */
export interface ProblemResponse {
  readonly status: number
  /** Headers to set, `Content-Type` included. */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body. */
  readonly body: {
    readonly type: string
    readonly title: string
    readonly status: number
    readonly detail?: string
    readonly code?: string
    readonly correlationId?: string
  }
}

/** `Content-Type` of problem answers. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/**
 * Renders an error as RFC 9457 problem details for any adapter. A `ConsentGuardError` keeps its
 * status, headers (`WWW-Authenticate`, `Retry-After`, `no-store`), code and fixed description,
 * and `type` points at the code's section in docs/errors.md. Any other error (a framework's bad
 * URL, a handler's fault) becomes its 4xx status, or 500, with the status text only: messages
 * of such errors often quote the URL, which may hold a fødselsnummer or a token. Nothing from
 * the token is ever in the body; the correlation id is, when given.
 */
export function problemFor(err: unknown, correlationId?: string): ProblemResponse {
  const id = correlationId === undefined ? {} : { correlationId }
  if (isConsentGuardError(err)) {
    return {
      status: err.statusCode,
      headers: { ...err.headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
      body: err.toProblem(correlationId),
    }
  }
  const declared = (err as { statusCode?: unknown; status?: unknown } | null)?.statusCode ?? (err as { status?: unknown } | null)?.status
  const status = typeof declared === 'number' && declared >= 400 && declared < 500 ? declared : 500
  const title = STATUS_CODES[status] ?? 'Error'
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' },
    body: { type: 'about:blank', title, status, ...id },
  }
}
