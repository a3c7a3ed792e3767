import { ConsentGuardConfigError } from '../errors.js'
import { isOrganizationNumber } from '../consent/identifiers.js'
import { foldKey } from '../consent/fold.js'
import { isBrokenNorwegian, organizationText, parseOrganizationIdentifier, type OrganizationIdentifier } from '../consent/organization.js'
import type { ConsentRequirement, ConsumerAllowList, MetadataRule, PeriodRule } from './types.js'

/** A requirement validated and normalised at start-up. Create with `guard.compile()`. */
export interface CompiledRequirement<Req = unknown> {
  readonly resource: string
  /** Altinn 3 resource ids that satisfy the route: `resource`, and the migrated id if declared. */
  readonly resources: ReadonlySet<string>
  /** `{serviceCode}_{serviceEdition}` an Altinn 2 token must name, if declared. */
  readonly altinn2Service: string | undefined
  readonly action: string
  readonly scope: { readonly mode: 'all' | 'any'; readonly scopes: readonly string[] } | undefined
  readonly subject: (request: Req) => string | undefined
  readonly subjectType: 'person' | 'organization' | undefined
  /** Lower-case metadata key → rule. */
  readonly metadata: ReadonlyMap<string, MetadataRule<Req>>
  readonly period: (PeriodRule<Req> & { readonly startKey: string; readonly endKey: string }) | undefined
  /** Lower-case keys the route knows (rules, period keys, `any`). */
  readonly knownKeys: ReadonlySet<string>
  /** Allowed consumers in string form (see `organizationText`: orgno, or `<authority>:<id>`), or the function. */
  readonly consumers:
    ReadonlySet<string> | ((consumer: string, request: Req, identifier: OrganizationIdentifier) => boolean | Promise<boolean>) | undefined
  readonly delegation: 'allow' | 'deny'
  readonly oneTime: boolean
  readonly [COMPILED]: true
}

/** Brand of compiled requirements. */
export const COMPILED: unique symbol = Symbol('consent-guard.compiled')

// Every field of ConsentRequirement (the type keeps the list complete); anything else is a typo.
const KNOWN_FIELDS = {
  altinn2: true,
  scope: true,
  resource: true,
  action: true,
  subject: true,
  subjectType: true,
  metadata: true,
  period: true,
  consumers: true,
  delegation: true,
  oneTime: true,
} as const satisfies Record<keyof ConsentRequirement, true>
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/
const RESOURCE_ID = /^[A-Za-z0-9._:-]{1,256}$/
const METADATA_KEY = /^[A-Za-z0-9._-]{1,256}$/

/** True for a requirement produced by {@link compileRequirement}. */
export function isCompiledRequirement(value: unknown): value is CompiledRequirement<never> {
  return typeof value === 'object' && value !== null && (value as { [COMPILED]?: unknown })[COMPILED] === true
}

/**
 * Validates a route requirement and turns it into the form the evaluator uses. Every mistake
 * (a typo in a field name, an empty scope list, a metadata key declared twice) throws here, at
 * start-up, with a message naming the field.
 */
export function compileRequirement<Req>(requirement: ConsentRequirement<Req>, where = 'consent requirement'): CompiledRequirement<Req> {
  const fail = (msg: string): never => {
    throw new ConsentGuardConfigError('requirement_invalid', `${where}: ${msg}`)
  }
  const unknown = (field: string): never => {
    throw new ConsentGuardConfigError('requirement_field_unknown', `${where}: unknown field "${field}"`)
  }
  if (typeof requirement !== 'object' || requirement === null) fail('must be an object')
  for (const key of Object.keys(requirement)) if (!Object.hasOwn(KNOWN_FIELDS, key)) unknown(key)

  if (typeof requirement.resource !== 'string' || !RESOURCE_ID.test(requirement.resource)) {
    fail('"resource" must be an Altinn resource id (letters, digits, . _ : -)')
  }
  const resources = new Set([requirement.resource])
  let altinn2Service: string | undefined
  if (requirement.altinn2 !== undefined) {
    const a2 = requirement.altinn2
    if (typeof a2 !== 'object' || a2 === null) fail('"altinn2" must be { serviceCode, serviceEdition, migratedResource? }')
    for (const key of Object.keys(a2)) if (!['serviceCode', 'serviceEdition', 'migratedResource'].includes(key)) unknown(`altinn2.${key}`)
    if (typeof a2.serviceCode !== 'string' || !/^[0-9]{1,10}$/.test(a2.serviceCode))
      fail('"altinn2.serviceCode" must be a string of digits')
    if (typeof a2.serviceEdition !== 'string' || !/^[0-9]{1,10}$/.test(a2.serviceEdition))
      fail('"altinn2.serviceEdition" must be a string of digits')
    altinn2Service = `${a2.serviceCode}_${a2.serviceEdition}`
    if (a2.migratedResource !== undefined) {
      if (typeof a2.migratedResource !== 'string' || !RESOURCE_ID.test(a2.migratedResource))
        fail('"altinn2.migratedResource" must be an Altinn resource id')
      resources.add(a2.migratedResource)
    }
  }
  const action = requirement.action ?? 'consent'
  if (typeof action !== 'string' || action === '' || action.length > 256) fail('"action" must be a non-empty string')
  if (typeof requirement.subject !== 'function') fail('"subject" must be a function returning the person id or organisation number')
  const subjectType = requirement.subjectType
  if (subjectType !== undefined && subjectType !== 'person' && subjectType !== 'organization') {
    fail('"subjectType" must be "person" or "organization"')
  }

  const metadata = new Map<string, MetadataRule<Req>>()
  const knownKeys = new Set<string>()
  if (requirement.metadata !== undefined) {
    if (typeof requirement.metadata !== 'object' || requirement.metadata === null) fail('"metadata" must be an object')
    for (const [key, rule] of Object.entries(requirement.metadata)) {
      if (!METADATA_KEY.test(key)) fail(`metadata key "${key}" is not a valid key`)
      const lower = foldKey(key)
      if (metadata.has(lower)) fail(`metadata key "${key}" is declared twice (keys are case-insensitive)`)
      metadata.set(lower, validateRule(rule, key, fail, unknown))
      knownKeys.add(lower)
    }
  }
  let period: CompiledRequirement<Req>['period']
  if (requirement.period !== undefined) {
    const p = requirement.period
    if (typeof p !== 'object' || p === null) fail('"period" must be an object')
    for (const key of Object.keys(p)) if (!['start', 'end', 'requested'].includes(key)) unknown(`period.${key}`)
    if (typeof p.start !== 'string' || !METADATA_KEY.test(p.start)) fail('"period.start" must be a metadata key')
    if (typeof p.end !== 'string' || !METADATA_KEY.test(p.end)) fail('"period.end" must be a metadata key')
    if (typeof p.requested !== 'function') fail('"period.requested" must be a function of the request')
    const startKey = foldKey(p.start)
    const endKey = foldKey(p.end)
    if (startKey === endKey) fail('"period.start" and "period.end" must differ')
    for (const k of [startKey, endKey]) if (metadata.has(k)) fail(`metadata key "${k}" has both a rule and a period`)
    period = Object.freeze({ ...p, startKey, endKey })
    knownKeys.add(startKey).add(endKey)
  }

  return Object.freeze({
    resource: requirement.resource,
    resources,
    altinn2Service,
    action,
    scope: compileScope(requirement.scope, fail, unknown),
    subject: requirement.subject,
    subjectType,
    metadata,
    period,
    knownKeys,
    consumers: compileConsumers(requirement.consumers, fail),
    delegation: compileDelegation(requirement.delegation, fail),
    oneTime: compileOneTime(requirement.oneTime, fail),
    [COMPILED]: true as const,
  })
}

function validateRule<Req>(
  rule: MetadataRule<Req>,
  key: string,
  fail: (m: string) => never,
  unknown: (field: string) => never,
): MetadataRule<Req> {
  if (typeof rule !== 'object' || rule === null) return fail(`metadata rule for "${key}" must be an object`)
  for (const name of Object.keys(rule)) if (!['equals', 'check', 'any'].includes(name)) unknown(`metadata.${key}.${name}`)
  const kinds = ['equals', 'check', 'any'].filter((k) => Object.hasOwn(rule, k))
  if (kinds.length !== 1) return fail(`metadata rule for "${key}" needs exactly one of equals, check, any`)
  if ('equals' in rule && typeof rule.equals !== 'string' && typeof rule.equals !== 'function') {
    return fail(`metadata rule "${key}.equals" must be a string or a function of the request`)
  }
  if ('check' in rule && typeof rule.check !== 'function') return fail(`metadata rule "${key}.check" must be a function`)
  if ('any' in rule && rule.any !== true) return fail(`metadata rule "${key}.any" must be true`)
  return Object.freeze({ ...rule })
}

function compileScope(
  scope: ConsentRequirement['scope'],
  fail: (m: string) => never,
  unknown: (field: string) => never,
): CompiledRequirement['scope'] {
  if (scope === undefined) return undefined
  if (typeof scope === 'object' && scope !== null && !Array.isArray(scope)) {
    for (const key of Object.keys(scope)) if (key !== 'all' && key !== 'any') unknown(`scope.${key}`)
  }
  let mode: 'all' | 'any'
  let scopes: unknown
  if (typeof scope === 'string') {
    mode = 'all'
    scopes = [scope]
  } else if (typeof scope === 'object' && scope !== null && 'all' in scope && !('any' in scope)) {
    mode = 'all'
    scopes = scope.all
  } else if (typeof scope === 'object' && scope !== null && 'any' in scope && !('all' in scope)) {
    mode = 'any'
    scopes = scope.any
  } else {
    return fail('"scope" must be a string, { all: [...] } or { any: [...] }')
  }
  if (!Array.isArray(scopes) || scopes.length === 0) return fail('"scope" needs at least one scope')
  for (const s of scopes) if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) fail(`"scope" has an invalid scope ${JSON.stringify(s)}`)
  return Object.freeze({ mode, scopes: Object.freeze([...(scopes as string[])]) })
}

function compileConsumers<Req>(
  consumers: ConsumerAllowList<Req> | undefined,
  fail: (m: string) => never,
): CompiledRequirement<Req>['consumers'] {
  if (consumers === undefined || typeof consumers === 'function') return consumers
  if (!Array.isArray(consumers)) return fail('"consumers" must be an array of organisation numbers or { authority, id }, or a function')
  const allowed = new Set<string>()
  for (const c of consumers) {
    if (typeof c === 'string') {
      if (!isOrganizationNumber(c)) fail(`"consumers" has ${JSON.stringify(c)}, not a 9-digit organisation number`)
      allowed.add(c)
      continue
    }
    const keys = typeof c === 'object' && c !== null ? Object.keys(c).sort().join(',') : ''
    // Same rules as the token's identifiers; `{ authority, ID }` as in the token is accepted too.
    const identifier =
      keys === 'authority,id'
        ? parseOrganizationIdentifier({ authority: c.authority, ID: c.id })
        : keys === 'ID,authority'
          ? parseOrganizationIdentifier(c)
          : undefined
    if (identifier === undefined || isBrokenNorwegian(identifier) || identifier.authority.includes(':'))
      fail(`"consumers" has ${JSON.stringify(c)}, not { authority, id } (printable ASCII without spaces)`)
    allowed.add(organizationText(identifier as OrganizationIdentifier))
  }
  return allowed
}

function compileDelegation(value: unknown, fail: (m: string) => never): 'allow' | 'deny' {
  if (value === undefined) return 'allow'
  if (value !== 'allow' && value !== 'deny') return fail('"delegation" must be "allow" or "deny"')
  return value
}

function compileOneTime(value: unknown, fail: (m: string) => never): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') return fail('"oneTime" must be a boolean')
  return value
}
