/**
 * The error taxonomy. Every rejection the guard makes is a {@link ConsentGuardError} with a
 * stable `code`. The code decides the HTTP status, the RFC 6750 `WWW-Authenticate` challenge and a
 * fixed, human-readable description. Messages never contain token content, claim values or
 * identity numbers, so an error can be logged or sent to the client as it is.
 */

/** RFC 6750 §3.1 error attribute, or `null` when the challenge carries none. */
export type BearerErrorAttribute = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | null

/**
 * The check a code comes from, finer than docs/core.md's pipeline steps: `credentials`, `syntax`,
 * `signature` (key set and signature), `issuer`, `lifetime`, `claims`, `audience`, `consent_shape`,
 * `binding`, `scope`, `delegation`, `consumers`, `request`, `consent` (none carried), `match`,
 * `one_time`, `disclosure` (the answer's disclosure record). Tools that explain a decision (the testkit's inspect) file a code under its stage.
 */
export type ErrorStage =
  | 'credentials'
  | 'syntax'
  | 'signature'
  | 'issuer'
  | 'lifetime'
  | 'claims'
  | 'audience'
  | 'consent_shape'
  | 'binding'
  | 'scope'
  | 'delegation'
  | 'consumers'
  | 'request'
  | 'consent'
  | 'match'
  | 'one_time'
  | 'disclosure'

interface CodeSpec {
  readonly status: 400 | 401 | 403 | 503
  readonly bearerError: BearerErrorAttribute
  readonly description: string
  readonly stage: ErrorStage
}

const CONSENT_DOES_NOT_COVER = 'The consent does not cover this request'

/**
 * Every code the guard can produce, with its status and fixed description. The table is the
 * single source of truth: docs/core.md lists the same rows.
 */
export const ERROR_CODES = {
  // 401 without an error attribute (RFC 6750 §3: the client sent no usable credentials).
  credentials_missing: { status: 401, bearerError: null, description: 'Bearer credentials are required', stage: 'credentials' },
  // 400 invalid_request: the request itself is ambiguous or incomplete.
  credentials_duplicated: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'More than one set of credentials was sent',
    stage: 'credentials',
  },
  headers_too_many: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'The request has more header lines than can be checked',
    stage: 'credentials',
  },
  consent_token_duplicated: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'More than one consent token was sent',
    stage: 'credentials',
  },
  credentials_in_url: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'Tokens are not accepted in the URL',
    stage: 'credentials',
  },
  subject_missing: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'The request does not name whose data is asked for',
    stage: 'request',
  },
  subject_invalid: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'The request names an invalid identifier',
    stage: 'request',
  },
  request_parameter_missing: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'The request lacks a parameter the consent is checked against',
    stage: 'request',
  },
  request_parameter_invalid: {
    status: 400,
    bearerError: 'invalid_request',
    description: 'The request has a parameter in an invalid format',
    stage: 'request',
  },
  // 401 invalid_token: a token is unusable.
  token_too_large: { status: 401, bearerError: 'invalid_token', description: 'The token is too large', stage: 'syntax' },
  token_malformed: { status: 401, bearerError: 'invalid_token', description: 'The token is malformed', stage: 'syntax' },
  token_header_invalid: { status: 401, bearerError: 'invalid_token', description: 'The token header is not acceptable', stage: 'syntax' },
  token_algorithm_not_allowed: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The token algorithm is not allowed',
    stage: 'syntax',
  },
  token_key_unknown: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The token was not signed by a known key',
    stage: 'signature',
  },
  token_signature_invalid: { status: 401, bearerError: 'invalid_token', description: 'The token signature is invalid', stage: 'signature' },
  token_issuer_invalid: { status: 401, bearerError: 'invalid_token', description: 'The token issuer is not accepted', stage: 'issuer' },
  token_audience_invalid: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The token audience is not accepted',
    stage: 'audience',
  },
  token_expired: { status: 401, bearerError: 'invalid_token', description: 'The token has expired', stage: 'lifetime' },
  token_not_yet_valid: { status: 401, bearerError: 'invalid_token', description: 'The token is not yet valid', stage: 'lifetime' },
  token_lifetime_exceeded: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The token lifetime exceeds the allowed maximum',
    stage: 'lifetime',
  },
  token_claims_invalid: { status: 401, bearerError: 'invalid_token', description: 'The token claims are invalid', stage: 'claims' },
  // A well-formed consumer/supplier of a form this API does not accept (another authority, ICD or sub-unit).
  consumer_identifier_unsupported: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The consumer or supplier identifier is not supported',
    stage: 'claims',
  },
  consent_malformed: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'The consent in the token is malformed',
    stage: 'consent_shape',
  },
  legacy_token_not_accepted: {
    status: 401,
    bearerError: 'invalid_token',
    description: 'Legacy consent tokens are not accepted',
    stage: 'binding',
  },
  // 403 insufficient_scope: the tokens are valid but do not authorise this request.
  scope_missing: { status: 403, bearerError: 'insufficient_scope', description: 'The token lacks a required scope', stage: 'scope' },
  consumer_not_allowed: {
    status: 403,
    bearerError: 'insufficient_scope',
    description: 'The consumer is not allowed to use this API',
    stage: 'consumers',
  },
  supplier_not_allowed: {
    status: 403,
    bearerError: 'insufficient_scope',
    description: 'Delegated (supplier) access is not allowed here',
    stage: 'delegation',
  },
  token_binding_mismatch: {
    status: 403,
    bearerError: 'insufficient_scope',
    description: 'The access token and the consent token do not belong together',
    stage: 'binding',
  },
  consent_missing: { status: 403, bearerError: 'insufficient_scope', description: 'A consent is required', stage: 'consent' },
  // All consent mismatches share one description so the response is no oracle (HTTP-13).
  consent_not_for_consumer: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_subject_mismatch: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_resource_mismatch: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_action_mismatch: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_metadata_mismatch: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_expired: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_not_yet_valid: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'match' },
  consent_already_used: { status: 403, bearerError: 'insufficient_scope', description: CONSENT_DOES_NOT_COVER, stage: 'one_time' },
  // 503: a dependency failed; the client's token is not at fault.
  jwks_unavailable: { status: 503, bearerError: null, description: 'The signing keys could not be fetched', stage: 'signature' },
  store_unavailable: { status: 503, bearerError: null, description: 'The consent-use store is unavailable', stage: 'one_time' },
  consumer_check_unavailable: {
    status: 503,
    bearerError: null,
    description: 'The consumer allow-list could not be checked',
    stage: 'consumers',
  },
  overloaded: {
    status: 503,
    bearerError: null,
    description: 'Too many token verifications are waiting; retry later',
    stage: 'signature',
  },
  // Fail-closed disclosure logging: no data leaves unless its disclosure was recorded.
  disclosure_log_unavailable: { status: 503, bearerError: null, description: 'The disclosure could not be recorded', stage: 'disclosure' },
} as const satisfies Record<string, CodeSpec>

/** A stable, machine-readable reason code. */
export type ConsentGuardErrorCode = keyof typeof ERROR_CODES

/** Options shared by every error. */
export interface ConsentGuardErrorOptions {
  /** `realm` for the `WWW-Authenticate` challenge. */
  readonly realm?: string
  /** Scopes to name in a `scope_missing` challenge (RFC 6750 §3). */
  readonly scope?: readonly string[]
  /** Seconds for `Retry-After` on 503 answers. */
  readonly retryAfter?: number
}

/** RFC 9457 problem details as rendered by {@link ConsentGuardError.toProblem}. */
export interface ProblemDetails {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: ConsentGuardErrorCode
  /** The call's correlation id, when the adapter knows it. */
  readonly correlationId?: string
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
}

/**
 * Base URI of the problem `type`; the code is appended. It resolves to the code's section in
 * docs/errors.md, which says what the code means and what the client should do.
 */
export const PROBLEM_TYPE_BASE = 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#'

/**
 * A rejection by the guard. Carries `statusCode`/`status` and `headers`, so Fastify's and
 * Express's default error handlers answer with the right status, `WWW-Authenticate`,
 * `Cache-Control: no-store` (and `Retry-After` on 503) without any custom handler.
 */
export class ConsentGuardError extends Error {
  override readonly name = 'ConsentGuardError'
  /** Stable machine code, e.g. `consent_subject_mismatch`. */
  readonly code: ConsentGuardErrorCode
  /** HTTP status (400, 401, 403 or 503). */
  readonly statusCode: number
  /** Alias of `statusCode` for Express/http-errors conventions. */
  readonly status: number
  /** Headers the response must carry. */
  readonly headers: Readonly<Record<string, string>>
  /** RFC 6750 error attribute, if any. */
  readonly bearerError: BearerErrorAttribute
  /** The message is fixed text and safe to show the client (http-errors convention). */
  readonly expose = true
  readonly #options: ConsentGuardErrorOptions

  constructor(code: ConsentGuardErrorCode, options: ConsentGuardErrorOptions = {}) {
    const spec: CodeSpec = ERROR_CODES[code]
    // A rejection is an expected answer, not a bug: no stack trace, which is most of an error's
    // cost and would make a flood of junk tokens dearer than it needs to be.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(spec.description)
    Error.stackTraceLimit = limit
    this.code = code
    this.statusCode = spec.status
    this.status = spec.status
    this.bearerError = spec.bearerError
    this.headers = headersFor(code, spec, options)
    this.#options = options
  }

  /** The same rejection with the challenge in `realm` (this error when the realm is already that). */
  withRealm(realm: string): ConsentGuardError {
    if ((this.#options.realm ?? DEFAULT_REALM) === realm) return this
    return new ConsentGuardError(this.code, { ...this.#options, realm })
  }

  /** RFC 9457 problem details (serve as `application/problem+json`). */
  toProblem(correlationId?: string): ProblemDetails {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: TITLES[this.statusCode] ?? 'Error',
      status: this.statusCode,
      detail: this.message,
      code: this.code,
      ...(correlationId !== undefined && { correlationId }),
    }
  }

  /** Keeps `JSON.stringify(err)` and loggers to the safe fields. */
  toJSON(): { name: string; code: ConsentGuardErrorCode; statusCode: number; message: string } {
    return { name: this.name, code: this.code, statusCode: this.statusCode, message: this.message }
  }
}

// The common case (no scope, default Retry-After) has one frozen header set per code and realm.
const sharedHeaders = new Map<string, Readonly<Record<string, string>>>()
const defaultRealmHeaders: Partial<Record<ConsentGuardErrorCode, Readonly<Record<string, string>>>> = Object.create(null) as object

function headersFor(code: ConsentGuardErrorCode, spec: CodeSpec, options: ConsentGuardErrorOptions): Readonly<Record<string, string>> {
  if (options.scope !== undefined || options.retryAfter !== undefined) return Object.freeze(buildHeaders(spec, options))
  // The rules throw realm-less errors (the default realm): one lookup by code, no key to build.
  if (options.realm === undefined) return (defaultRealmHeaders[code] ??= Object.freeze(buildHeaders(spec, options)))
  const key = `${code}\u0000${options.realm}`
  let headers = sharedHeaders.get(key)
  if (headers === undefined) {
    headers = Object.freeze(buildHeaders(spec, options))
    // Realms come from configuration, so the map stays small; the cap guards against misuse.
    if (sharedHeaders.size < 1000) sharedHeaders.set(key, headers)
  }
  return headers
}

function buildHeaders(spec: CodeSpec, options: ConsentGuardErrorOptions): Record<string, string> {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' }
  if (spec.status === 503) {
    headers['Retry-After'] = String(options.retryAfter ?? 5)
    return headers
  }
  const parts = [`realm="${options.realm ?? DEFAULT_REALM}"`]
  if (spec.bearerError !== null) {
    parts.push(`error="${spec.bearerError}"`, `error_description="${spec.description}"`)
    if (options.scope !== undefined && options.scope.length > 0) parts.push(`scope="${options.scope.join(' ')}"`)
  }
  headers['WWW-Authenticate'] = `Bearer ${parts.join(', ')}`
  return headers
}

/** Realm used in challenges when none is configured. */
export const DEFAULT_REALM = 'consent-guard'

/** Type guard usable across package copies (checks the shape, not only `instanceof`). */
export function isConsentGuardError(value: unknown): value is ConsentGuardError {
  return (
    value instanceof ConsentGuardError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'ConsentGuardError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      Object.hasOwn(ERROR_CODES, (value as { code: string }).code))
  )
}

/**
 * Puts a rejection into the configured realm. The rules throw errors without one; the guard
 * applies the realm once, where a failed check leaves it. Errors from another copy of this
 * package (no `withRealm`) pass unchanged.
 */
export function inRealm(err: ConsentGuardError, realm: string): ConsentGuardError {
  return typeof err.withRealm === 'function' ? err.withRealm(realm) : err
}

/**
 * Stable codes of {@link ConsentGuardConfigError}: an unknown option name, a bad option value, an
 * unknown field in a route requirement, a bad requirement value.
 */
export const CONFIG_ERROR_CODES = ['option_unknown', 'option_invalid', 'requirement_field_unknown', 'requirement_invalid'] as const

/** A stable, machine-readable code of a start-up mistake. */
export type ConsentGuardConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number]

/** Thrown at start-up for an invalid guard option or route requirement. Never per request. */
export class ConsentGuardConfigError extends Error {
  override readonly name = 'ConsentGuardConfigError'
  /** Stable code (see {@link CONFIG_ERROR_CODES}); the message names the option or field. */
  readonly code: ConsentGuardConfigErrorCode

  constructor(code: ConsentGuardConfigErrorCode, message: string) {
    super(message)
    this.code = code
  }
}
