import type { IncomingMessage, ServerResponse } from 'node:http'

/** An OAuth 2.0 token-endpoint error (RFC 6749 §5.2, RFC 9396 §5 `invalid_authorization_details`). */
export class OAuthError extends Error {
  override readonly name = 'OAuthError'
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_scope'
      | 'invalid_authorization_details',
    readonly description: string,
    /** Emulator extension: why Altinn refused the consent lookup (e.g. `consent_revoked`). */
    readonly consentError?: ConsentRefusal,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description)
  }

  toJSON(): Record<string, string> {
    return {
      error: this.error,
      error_description: this.description,
      ...(this.consentError !== undefined ? { consent_error: this.consentError } : {}),
    }
  }
}

/**
 * Why a consent cannot be put into a token, in the order Altinn's consent service checks:
 * not found, given to another organisation, `from` differs, expired, not accepted.
 */
export type ConsentRefusal =
  | 'consent_not_found'
  | 'consent_not_for_consumer'
  | 'consent_from_mismatch'
  | 'consent_expired'
  | 'consent_not_accepted'
  | 'consent_rejected'
  | 'consent_revoked'
  | 'consent_deleted'

/** RFC 9457 problem details, the error shape of Altinn's APIs. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError'
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    /** Field → messages, as ASP.NET validation problems carry them. */
    readonly errors?: Record<string, string[]>,
    /** Emulator code, stable for tests (e.g. `validation_failed`, `invalid_transition`). */
    readonly code?: string,
  ) {
    super(detail ?? title)
  }

  toJSON(): Record<string, unknown> {
    return {
      type: `https://tools.ietf.org/html/rfc9110#section-15.${this.status >= 500 ? '6' : '5'}`,
      title: this.title,
      status: this.status,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...(this.errors !== undefined ? { errors: this.errors } : {}),
    }
  }
}

/** Largest request body the emulator reads. */
export const MAX_BODY_BYTES = 64 * 1024

/** Reads a request body up to {@link MAX_BODY_BYTES}; resolves undefined when it is larger. */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

export function sendProblem(res: ServerResponse, problem: ProblemError, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(problem)
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // No scripts at all; forms may post back and be redirected to any redirectUrl (app schemes too).
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  })
  res.end(html)
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0, 'cache-control': 'no-store' })
  res.end()
}

/** Parses a JSON object body; a ProblemError (400) otherwise. */
export function parseJsonBody(text: string | undefined): Record<string, unknown> {
  if (text === undefined) throw new ProblemError(413, 'Payload Too Large', `The body exceeds ${MAX_BODY_BYTES} bytes`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ProblemError(400, 'Bad Request', 'The body is not valid JSON', undefined, 'invalid_json')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProblemError(400, 'Bad Request', 'The body must be a JSON object', undefined, 'invalid_json')
  }
  return value as Record<string, unknown>
}
