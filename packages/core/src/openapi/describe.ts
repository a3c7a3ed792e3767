import { DEFAULT_REALM, ERROR_CODES, PROBLEM_TYPE_BASE, type ConsentGuardErrorCode } from '../errors.js'
import type { CompiledRequirement } from '../requirement/compile.js'
import { bindingOf, type RequestBinding } from '../requirement/bindings.js'
import type { ResolvedOptions } from '../options.js'
import { possibleErrorCodes } from './codes.js'

/** A JSON object of an OpenAPI document. */
export type OpenApiObject = { [key: string]: unknown }

/** How the application renders a refusal, which decides the documented body. */
export type ErrorFormat = 'problem' | 'fastify'

/** Names of the components the fragments refer to; change them if they clash with your own. */
export interface OpenApiNames {
  /** HTTP bearer scheme for the Maskinporten token. Default `maskinporten`. */
  readonly bearer: string
  /** API-key-in-header scheme for the consent token (two-token mode). Default `altinnConsentToken`. */
  readonly consentToken: string
  /** Schema of an error body. Default `ConsentGuardProblem` (problem) or `ConsentGuardError` (fastify). */
  readonly error: string
}

/** Options of {@link describeConsentOperation}. */
export interface OpenApiDescribeOptions {
  /** The guard's options in force (`guard.options`): two-token mode, Altinn 2, delegation sources. */
  readonly guard?: Pick<ResolvedOptions, 'consentHeader' | 'altinn2JwksUri' | 'delegationSources' | 'realm'> &
    Partial<Pick<ResolvedOptions, 'overload' | 'disclosureMode'>>
  /**
   * `problem` (default): RFC 9457 `application/problem+json` from `toProblem()`, as
   * `consentErrorHandler()` (Express) or a problem error handler (Fastify) sends it. `fastify`:
   * the `application/json` body of Fastify's default error handler.
   */
  readonly errorFormat?: ErrorFormat
  readonly names?: Partial<OpenApiNames>
}

/** How a value the consent is checked against is taken from the request. */
export type BindingDescription = RequestBinding | { readonly in: 'request' } | { readonly value: string }

/** The vendor extension `x-altinn-consent`: what the route requires of the consent. */
export interface AltinnConsentExtension {
  /** Altinn Resource Registry id. */
  readonly resource: string
  /** Every resource id accepted: `resource` and, during the Altinn 2 migration, the migrated id. */
  readonly resources: readonly string[]
  /** Legacy Altinn 2 service `{serviceCode}_{serviceEdition}`, when declared. */
  readonly altinn2Service?: string
  readonly action: string
  readonly subject: { readonly type: 'person' | 'organization' | 'any'; readonly from: BindingDescription }
  /** Metadata keys (lower case) and how each is judged. */
  readonly metadata: Readonly<Record<string, { readonly rule: string; readonly from?: BindingDescription }>>
  readonly period?: { readonly start: string; readonly end: string; readonly from: readonly BindingDescription[] }
  readonly scope?: { readonly all: readonly string[] } | { readonly any: readonly string[] }
  /** The route admits only some consumers (the list itself is not published). */
  readonly consumersRestricted: boolean
  readonly delegation: 'allow' | 'deny'
  readonly oneTime: boolean
  /** Two-token mode: the header carrying the consent token. */
  readonly consentHeader?: string
}

/** What to merge into one operation object. */
export interface ConsentOperationFragment {
  readonly security: ReadonlyArray<Readonly<Record<string, readonly string[]>>>
  readonly responses: Readonly<Record<'400' | '401' | '403' | '503', OpenApiObject>>
  readonly 'x-altinn-consent': AltinnConsentExtension
}

/** What to merge into the document's `components`. */
export interface ConsentComponents {
  readonly securitySchemes: Readonly<Record<string, OpenApiObject>>
  readonly schemas: Readonly<Record<string, OpenApiObject>>
}

/** The description of one guarded operation and the components it refers to. */
export interface ConsentOperationDescription {
  readonly operation: ConsentOperationFragment
  readonly components: ConsentComponents
}

const DEFAULT_NAMES = { bearer: 'maskinporten', consentToken: 'altinnConsentToken' }
const STATUS_TEXT = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const

/**
 * Renders a compiled requirement as an OpenAPI 3.1 operation fragment: the security requirement
 * (bearer scheme for the Maskinporten token, with the route's scopes; plus the consent header in
 * two-token mode), the 400/401/403/503 responses listing the codes each can carry, and the vendor
 * extension `x-altinn-consent`. Merge `operation` into the operation object and `components`
 * into the document (see {@link addConsentToOperation} and {@link addConsentComponents}).
 *
 * @example
 * const { operation, components } = describeConsentOperation(guard.compile(requirement), { guard: guard.options })
 */
export function describeConsentOperation(
  compiled: CompiledRequirement<never>,
  options: OpenApiDescribeOptions = {},
): ConsentOperationDescription {
  const format = options.errorFormat ?? 'problem'
  const names: OpenApiNames = {
    ...DEFAULT_NAMES,
    error: format === 'problem' ? 'ConsentGuardProblem' : 'ConsentGuardError',
    ...options.names,
  }
  const consentHeader = options.guard?.consentHeader
  const codes = possibleErrorCodes(compiled, {
    consentHeader,
    altinn2: options.guard?.altinn2JwksUri !== undefined,
    delegationSources: options.guard?.delegationSources !== undefined,
    // Resolved options say `undefined` when load shedding is off; without guard options it is on (the default).
    overload: options.guard === undefined || !('overload' in options.guard) || options.guard.overload !== undefined,
    disclosureFailClosed: options.guard?.disclosureMode === 'fail-closed',
  })
  const realm = options.guard?.realm ?? DEFAULT_REALM
  const alternatives =
    compiled.scope === undefined ? [[]] : compiled.scope.mode === 'all' ? [compiled.scope.scopes] : compiled.scope.scopes.map((s) => [s])
  const security = alternatives.map((scopes) => ({
    [names.bearer]: [...scopes],
    ...(consentHeader !== undefined && { [names.consentToken]: [] }),
  }))
  const responses = {
    '400': response(400, codes, names.error, format, realm),
    '401': response(401, codes, names.error, format, realm),
    '403': response(403, codes, names.error, format, realm),
    '503': response(503, codes, names.error, format, realm),
  }
  return {
    operation: { security, responses, 'x-altinn-consent': extension(compiled, consentHeader) },
    components: components(names, format, consentHeader),
  }
}

function response(
  status: 400 | 401 | 403 | 503,
  codes: readonly ConsentGuardErrorCode[],
  schema: string,
  format: ErrorFormat,
  realm: string,
) {
  const own = codes.filter((code) => ERROR_CODES[code].status === status)
  const media = format === 'problem' ? 'application/problem+json' : 'application/json'
  const headers =
    status === 503
      ? { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } }
      : {
          'WWW-Authenticate': {
            description: `RFC 6750 Bearer challenge, e.g. \`Bearer realm="${realm}", error="..."\``,
            schema: { type: 'string' },
          },
        }
  return {
    description: `${STATUS_TEXT[status]}: the consent guard refused the request (${own.join(', ')})`,
    headers: { ...headers, 'Cache-Control': { description: 'Always `no-store`', schema: { type: 'string', const: 'no-store' } } },
    content: {
      [media]: {
        schema: {
          allOf: [
            { $ref: `#/components/schemas/${schema}` },
            { type: 'object', properties: { [format === 'problem' ? 'status' : 'statusCode']: { const: status }, code: { enum: own } } },
          ],
        },
      },
    },
  }
}

function extension(compiled: CompiledRequirement<never>, consentHeader: string | undefined): AltinnConsentExtension {
  const metadata: Record<string, { rule: string; from?: BindingDescription }> = {}
  for (const [key, rule] of compiled.metadata) {
    if ('equals' in rule) metadata[key] = { rule: 'equals', from: describeValue(rule.equals) }
    else metadata[key] = { rule: 'check' in rule ? 'check' : 'any' }
  }
  const period = compiled.period
  if (period !== undefined) {
    metadata[period.startKey] = { rule: 'period-start' }
    metadata[period.endKey] = { rule: 'period-end' }
  }
  const scope = compiled.scope
  return {
    resource: compiled.resource,
    resources: [...compiled.resources],
    ...(compiled.altinn2Service !== undefined && { altinn2Service: compiled.altinn2Service }),
    action: compiled.action,
    subject: { type: compiled.subjectType ?? 'any', from: describeValue(compiled.subject) },
    metadata,
    ...(period !== undefined && {
      period: { start: period.startKey, end: period.endKey, from: bindingOf(period.requested) ?? [{ in: 'request' as const }] },
    }),
    ...(scope !== undefined && { scope: scope.mode === 'all' ? { all: [...scope.scopes] } : { any: [...scope.scopes] } }),
    consumersRestricted: compiled.consumers !== undefined,
    delegation: compiled.delegation,
    oneTime: compiled.oneTime,
    ...(consentHeader !== undefined && { consentHeader }),
  }
}

/** A constant, a value read by a binding helper, or a function whose source is not known. */
function describeValue(value: unknown): BindingDescription {
  if (typeof value === 'string') return { value }
  const binding = bindingOf(value)
  return binding?.length === 1 ? (binding[0] as RequestBinding) : { in: 'request' }
}

function components(names: OpenApiNames, format: ErrorFormat, consentHeader: string | undefined): ConsentComponents {
  const codes = Object.keys(ERROR_CODES)
  const errorSchema =
    format === 'problem'
      ? {
          type: 'object',
          description: 'RFC 9457 problem details of a consent-guard refusal. Texts are fixed; no token or identity number is echoed.',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', description: `\`${PROBLEM_TYPE_BASE}\` followed by the code` },
            title: { type: 'string' },
            status: { type: 'integer', enum: [400, 401, 403, 503] },
            detail: { type: 'string' },
            code: { type: 'string', enum: codes, description: 'Stable machine-readable reason' },
            correlationId: { type: 'string', description: "The call's correlation id (echoed from the correlation header, or generated)" },
          },
        }
      : {
          type: 'object',
          description: "Fastify's default error body for a consent-guard refusal. Texts are fixed; no token or identity number is echoed.",
          required: ['statusCode', 'code', 'error', 'message'],
          properties: {
            statusCode: { type: 'integer', enum: [400, 401, 403, 503] },
            code: { type: 'string', enum: codes, description: 'Stable machine-readable reason' },
            error: { type: 'string' },
            message: { type: 'string' },
          },
        }
  return {
    securitySchemes: {
      [names.bearer]: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Maskinporten access token; the Altinn consent is in its `authorization_details` unless a consent header is used.',
      },
      ...(consentHeader !== undefined && {
        [names.consentToken]: {
          type: 'apiKey',
          in: 'header',
          name: consentHeader,
          description: 'The consent token (two-token mode), bound to the access token by consumer and supplier.',
        },
      }),
    },
    schemas: { [names.error]: errorSchema },
  }
}
