import type { ConsentRequirement, MetadataRule, RequestedPeriod, ScopeRequirement } from '@consent-guard/core'
import { UsageError } from './common.js'

/**
 * A route requirement plus the concrete request to check, as JSON (`inspect --route-config`).
 *
 * ```json
 * {
 *   "issuer": "http://127.0.0.1:5080/",
 *   "scope": "example:income",
 *   "resource": "example-income",
 *   "subject": "25922947409",
 *   "metadata": { "inntektsaar": "2024" },
 *   "period": { "start": "fraogmed", "end": "tilogmed", "from": "2024-01", "to": "2024-06" },
 *   "consumers": ["991825827"],
 *   "oneTime": false
 * }
 * ```
 *
 * `metadata` values: a string (the value the request requires, an `equals` rule),
 * `{ "equals": "2024" }`, or `{ "any": true }`. `subject` is the person id or organisation number
 * the request names. Everything except `resource` is optional. For Altinn 2 tokens, `altinn2` names
 * the legacy service and `accessToken` describes the Maskinporten token that travels beside it.
 */
export interface RouteConfig {
  /** Expected `iss`. Without it the issuer is not checked. */
  readonly issuer?: string
  readonly scope?: ScopeRequirement
  readonly resource: string
  /** The route's legacy service (and migrated resource id), as in the core requirement. */
  readonly altinn2?: { readonly serviceCode: string; readonly serviceEdition: string; readonly migratedResource?: string }
  /**
   * Altinn 2 tokens only: the Maskinporten token beside it (inspect reads one token). Default:
   * consumer = `CoveredBy`, supplier = `HandledBy`, the route's scopes.
   */
  readonly accessToken?: { readonly consumer?: string; readonly supplier?: string; readonly scope?: string }
  readonly action?: string
  readonly subjectType?: 'person' | 'organization'
  /** The subject the request names (the route's `subject(req)` result). */
  readonly subject?: string
  readonly metadata?: Readonly<Record<string, string | { readonly equals: string } | { readonly any: true }>>
  readonly period?: { readonly start: string; readonly end: string; readonly from: string; readonly to: string }
  readonly consumers?: readonly string[]
  readonly delegation?: 'allow' | 'deny'
  readonly oneTime?: boolean
  /** Guard options that change verdicts. */
  readonly algorithms?: readonly string[]
  /** Authorities accepted in consumer/supplier beside the Norwegian form (e.g. `["etsi-en-319-412"]`). */
  readonly consumerAuthorities?: readonly string[]
  readonly clockTolerance?: number
  readonly maxTokenAge?: number
  readonly audience?: string | readonly string[]
  readonly requireAudience?: boolean
  readonly altinn2MaxTokenAge?: number
}

const KNOWN = new Set([
  'issuer',
  'scope',
  'resource',
  'altinn2',
  'accessToken',
  'action',
  'subjectType',
  'subject',
  'metadata',
  'period',
  'consumers',
  'delegation',
  'oneTime',
  'algorithms',
  'consumerAuthorities',
  'clockTolerance',
  'maxTokenAge',
  'audience',
  'requireAudience',
  'altinn2MaxTokenAge',
  '$schema',
  'description',
])

/** Reads and checks a route config object (the JSON file's content). */
export function parseRouteConfig(value: unknown, where = 'route config'): RouteConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${where} must be a JSON object`)
  const cfg = value as Record<string, unknown>
  for (const key of Object.keys(cfg))
    if (!KNOWN.has(key))
      throw new UsageError(`${where}: unknown field "${key}" (known: ${[...KNOWN].filter((k) => !k.startsWith('$')).join(', ')})`)
  if (typeof cfg.resource !== 'string') throw new UsageError(`${where}: "resource" (the consent resource id) is required`)
  if (cfg.subject !== undefined && typeof cfg.subject !== 'string') throw new UsageError(`${where}: "subject" must be a string`)
  if (cfg.issuer !== undefined && typeof cfg.issuer !== 'string') throw new UsageError(`${where}: "issuer" must be a string`)
  const period = cfg.period as Record<string, unknown> | undefined
  if (period !== undefined) {
    if (typeof period !== 'object' || period === null || !['start', 'end', 'from', 'to'].every((k) => typeof period[k] === 'string')) {
      throw new UsageError(
        `${where}: "period" needs string start, end (metadata keys) and from, to (YYYY-MM or YYYY-MM-DD the request asks for)`,
      )
    }
  }
  const access = cfg.accessToken as Record<string, unknown> | undefined
  if (access !== undefined) {
    const orgno = (v: unknown): boolean => v === undefined || (typeof v === 'string' && /^[0-9]{9}$/.test(v))
    const ok =
      typeof access === 'object' &&
      access !== null &&
      !Array.isArray(access) &&
      Object.keys(access).every((k) => ['consumer', 'supplier', 'scope'].includes(k))
    if (!ok || !orgno(access.consumer) || !orgno(access.supplier) || (access.scope !== undefined && typeof access.scope !== 'string')) {
      throw new UsageError(
        `${where}: "accessToken" must be { "consumer"?: "<orgno>", "supplier"?: "<orgno>", "scope"?: "<space-separated scopes>" }`,
      )
    }
  }
  const metadata = cfg.metadata as Record<string, unknown> | undefined
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw new UsageError(`${where}: "metadata" must be an object`)
    for (const [k, v] of Object.entries(metadata)) {
      const ok =
        typeof v === 'string' ||
        (typeof v === 'object' &&
          v !== null &&
          (typeof (v as { equals?: unknown }).equals === 'string' || (v as { any?: unknown }).any === true))
      if (!ok) throw new UsageError(`${where}: metadata "${k}" must be a string, { "equals": "..." } or { "any": true }`)
    }
  }
  return cfg as unknown as RouteConfig
}

/** The request object the inspect requirement reads from. */
export interface InspectRequest {
  readonly subject: string | undefined
  readonly period: RequestedPeriod | undefined
}

/** Turns a route config into a core requirement over {@link InspectRequest}. */
export function toRequirement(cfg: RouteConfig): ConsentRequirement<InspectRequest> {
  const metadata: Record<string, MetadataRule<InspectRequest>> = {}
  for (const [key, rule] of Object.entries(cfg.metadata ?? {})) {
    metadata[key] = typeof rule === 'string' ? { equals: rule } : 'any' in rule ? { any: true } : { equals: rule.equals }
  }
  return {
    ...(cfg.scope !== undefined ? { scope: cfg.scope } : {}),
    resource: cfg.resource,
    ...(cfg.altinn2 !== undefined ? { altinn2: cfg.altinn2 } : {}),
    ...(cfg.action !== undefined ? { action: cfg.action } : {}),
    subject: (req) => req.subject,
    ...(cfg.subjectType !== undefined ? { subjectType: cfg.subjectType } : {}),
    ...(cfg.metadata !== undefined ? { metadata } : {}),
    ...(cfg.period !== undefined ? { period: { start: cfg.period.start, end: cfg.period.end, requested: (req) => req.period } } : {}),
    ...(cfg.consumers !== undefined ? { consumers: cfg.consumers } : {}),
    ...(cfg.delegation !== undefined ? { delegation: cfg.delegation } : {}),
    ...(cfg.oneTime !== undefined ? { oneTime: cfg.oneTime } : {}),
  }
}
