import { ConsentGuardError } from '../errors.js'
import { partyFromIdentifier, type Party } from '../consent/identifiers.js'
import { periodDay } from '../consent/time.js'
import type { CompiledRequirement } from './compile.js'
import type { RequestedPeriod } from './types.js'

/** What the request asks for, read once per request from the route's functions. */
export interface RequestFacts {
  readonly subject: Party
  /** Lower-case metadata key → the value the request requires (for `equals` rules). */
  readonly equals: ReadonlyMap<string, string>
  readonly period: RequestedPeriod | undefined
}

/**
 * Reads subject, `equals` values and the period from the request. A missing value is a 400
 * (the request is incomplete), never "no restriction" (docs/security.md CON-03, CON-10).
 */
export function readRequestFacts<Req>(compiled: CompiledRequirement<Req>, request: Req): RequestFacts {
  const raw = compiled.subject(request)
  if (raw === undefined || raw === null || raw === '') throw new ConsentGuardError('subject_missing')
  const subject = typeof raw === 'string' ? partyFromIdentifier(raw) : undefined
  if (subject === undefined || (compiled.subjectType !== undefined && subject.type !== compiled.subjectType)) {
    throw new ConsentGuardError('subject_invalid')
  }
  const equals = new Map<string, string>()
  for (const [key, rule] of compiled.metadata) {
    if (!('equals' in rule)) continue
    const value = typeof rule.equals === 'function' ? rule.equals(request) : rule.equals
    if (value === undefined || value === null || value === '') throw new ConsentGuardError('request_parameter_missing')
    if (typeof value !== 'string') throw new ConsentGuardError('request_parameter_invalid')
    equals.set(key, value)
  }
  let period: RequestedPeriod | undefined
  if (compiled.period !== undefined) {
    const requested = compiled.period.requested(request)
    if (requested === undefined || requested === null) throw new ConsentGuardError('request_parameter_missing')
    period = typeof requested === 'string' ? { from: requested, to: requested } : requested
    if (period.from === undefined || period.to === undefined || (period.from as unknown) === '' || (period.to as unknown) === '') {
      throw new ConsentGuardError('request_parameter_missing')
    }
    if (typeof period.from !== 'string' || typeof period.to !== 'string' || !isPeriod(period.from, period.to)) {
      throw new ConsentGuardError('request_parameter_invalid')
    }
  }
  return { subject, equals, period }
}

/** `YYYY-MM` or `YYYY-MM-DD` bounds (mixed granularity allowed), the first not after the second. */
function isPeriod(from: string, to: string): boolean {
  const first = periodDay(from, 'start')
  const last = periodDay(to, 'end')
  return first !== undefined && last !== undefined && first <= last
}
