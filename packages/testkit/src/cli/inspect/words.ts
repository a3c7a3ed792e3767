import { ERROR_CODES, type CompiledRequirement, type ConsentGuardErrorCode, type Party } from '@consent-guard/core'
import {
  ALTINN2_SERVICE_TYPE,
  periodDay,
  RESOURCE_TYPE,
  type ConsentFinding,
  type MetadataFinding,
  type ParsedConsent,
  type ParsedRight,
  type RightFinding,
} from '@consent-guard/core/pipeline'
import { isoSeconds, relative } from '../common.js'
import type { InspectRequest, RouteConfig } from '../route-config.js'
import type { RuleLog } from './report.js'

/** A party in words. */
export const describeParty = (p: Party): string => `${p.type} ${p.id}`

/** Why one metadata finding of the core does not match, in words. */
export function metadataProblem(m: MetadataFinding, legacy: boolean): string {
  switch (m.rule) {
    case 'unreadable':
      return legacy
        ? 'metadata is ambiguous (the same key twice with different values)'
        : 'metadata is unreadable (both metadata and metaData, keys differing only in case, or non-string values)'
    case 'unknown':
      return `"${m.key}" is not known to the route (an unknown restriction never matches; declare it with { "any": true })`
    case 'equals':
      return m.consentValue === undefined
        ? `"${m.key}" is missing; the request asks ${m.requestValue}`
        : `${m.key} is ${m.consentValue}; the request asks ${m.requestValue}`
    case 'check':
      return m.consentValue === undefined ? `"${m.key}" is missing` : `${m.key} = ${m.consentValue} fails the route's check`
    case 'period': {
      const [start, end] = (m.consentValue ?? '').split('..')
      return start !== undefined && end !== undefined && periodDay(start, 'start') !== undefined && periodDay(end, 'end') !== undefined
        ? `the consent covers ${m.consentValue}; the request asks ${m.requestValue}`
        : `period ${m.key} is missing or not YYYY-MM / YYYY-MM-DD (${m.consentValue})`
    }
    default:
      return `${m.key}: ${m.rule}`
  }
}

/** A matching metadata finding, in words. */
export function metadataMatch(m: MetadataFinding): string {
  switch (m.rule) {
    case 'any':
      return `${m.key}: any`
    case 'period':
      return `period ${m.consentValue} contains ${m.requestValue}`
    case 'check':
      return `${m.key} = ${m.consentValue} passes the check`
    default:
      return `${m.key} = ${m.consentValue}`
  }
}

export function requestProblem(code: ConsentGuardErrorCode, cfg: RouteConfig): string {
  switch (code) {
    case 'subject_missing':
      return 'the route config names no "subject" (the person id or orgno the request asks about)'
    case 'subject_invalid':
      return `subject must be an 11-digit person id or a 9-digit orgno${cfg.subjectType !== undefined ? `, and the route accepts only a ${cfg.subjectType}` : ''}`
    case 'request_parameter_missing':
      return "the request lacks a value the route reads (a metadata value, or the period's from/to)"
    case 'request_parameter_invalid':
      return 'a value from the request is invalid (the period must be YYYY-MM or YYYY-MM-DD, from not after to)'
    default:
      return ERROR_CODES[code].description
  }
}

/** Where consent findings are written, and what they are judged against. */
export interface FindingContext {
  readonly log: RuleLog
  readonly compiled: CompiledRequirement<InspectRequest>
  /** The subject the request asks about. */
  readonly requested: Party
  readonly nowMs: number
}

/** One consent entry's findings from the core's `explainConsents`, in words. */
export function renderFinding(ctx: FindingContext, f: ConsentFinding, label: string): void {
  const { log, requested, nowMs } = ctx
  const c = f.consent
  const a2 = c.kind === 'altinn2'
  if (f.to.ok) log.push(`${label} to`, 'pass', a2 ? `CoveredBy ${c.to} = the access token's consumer` : `given to ${c.to} = the consumer`)
  else
    log.fail(
      `${label} to`,
      'consent_not_for_consumer',
      a2
        ? `CoveredBy ${c.to}, but the access token's consumer is ${f.to.consumer}`
        : `given to ${c.to}, but the token's consumer is ${f.to.consumer}`,
    )
  if (f.from.ok) log.push(`${label} from`, 'pass', `${a2 ? 'OfferedBy' : 'from'} ${describeParty(c.from)} = the requested subject`)
  else
    log.fail(
      `${label} from`,
      'consent_subject_mismatch',
      `consent is from ${describeParty(c.from)}; the request asks about ${describeParty(requested)}`,
    )
  if (f.time === undefined)
    log.push(
      `${label} time`,
      'pass',
      `consented ${isoSeconds(c.consented)}, valid until ${isoSeconds(c.validTo)} (${relative(c.validTo, nowMs)})`,
    )
  else if (f.time === 'consent_not_yet_valid') log.fail(`${label} time`, f.time, `consented ${isoSeconds(c.consented)} is in the future`)
  else log.fail(`${label} time`, f.time, `${a2 ? 'ValidToDate' : 'validTo'} ${isoSeconds(c.validTo)} (${relative(c.validTo, nowMs)})`)
  f.rights.forEach((right, j) => renderRight(ctx, right, c.rights[j] as ParsedRight, c, `${label} right ${j + 1}`))
}

function renderRight(ctx: FindingContext, f: RightFinding, parsed: ParsedRight, c: ParsedConsent, label: string): void {
  const { log, compiled } = ctx
  const a2 = c.kind === 'altinn2'
  const targets = a2 ? (compiled.altinn2Service !== undefined ? [compiled.altinn2Service] : []) : [...compiled.resources]
  const covered = f.resources.find((r) => targets.includes(r))
  const name = a2 ? `service ${covered ?? f.resources.join(', ')}` : (covered ?? compiled.resource)
  if (f.code === 'consent_resource_mismatch') {
    const held = parsed.resources.map((r) =>
      r.type === RESOURCE_TYPE || r.type === ALTINN2_SERVICE_TYPE ? r.value : `${r.value} (type ${JSON.stringify(r.type)})`,
    )
    const needs = a2
      ? targets.length > 0
        ? `service ${targets[0]}`
        : 'an Altinn 2 service, but it names none (add "altinn2": {"serviceCode", "serviceEdition"})'
      : targets.join(' or ')
    return log.fail(label, f.code, `covers ${held.join(', ') || '(nothing)'}; the route needs ${needs}`)
  }
  if (f.code === 'consent_action_mismatch')
    return log.fail(label, f.code, `actions ${f.actions.join(', ')}; the route needs ${compiled.action}`)
  if (f.code !== undefined) {
    const problems = f.metadata.filter((m) => !m.ok).map((m) => metadataProblem(m, a2))
    return log.fail(label, f.code, `${name}: ${problems.join('; ') || ERROR_CODES[f.code].description}`)
  }
  const matched = f.metadata.map(metadataMatch)
  log.push(label, 'pass', `${name}, action ${compiled.action}${matched.length > 0 ? `, ${matched.join(', ')}` : ''}`)
}
