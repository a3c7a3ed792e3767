import { ConsentGuardError, type ConsentGuardErrorCode } from '../errors.js'
import { RESOURCE_TYPE } from '../consent/schema.js'
import { ALTINN2_SERVICE_TYPE } from '../consent/altinn2.js'
import { isYearMonth } from '../consent/time.js'
import type { ParsedConsent, ParsedRight } from '../consent/parse.js'
import type { CompiledRequirement } from './compile.js'
import type { RequestFacts } from './request-facts.js'

/** The consent entry and the single right inside it that satisfy the requirement. */
export interface ConsentMatch {
  readonly consent: ParsedConsent
  readonly right: ParsedRight
}

/** Inputs of {@link matchConsent} besides the consents themselves. */
export interface MatchContext<Req> {
  readonly compiled: CompiledRequirement<Req>
  readonly facts: RequestFacts
  readonly request: Req
  /** Organisation number of the token's `consumer`. */
  readonly consumer: string
  /** Epoch ms. */
  readonly now: number
  /** Leeway for `consented`, in ms. `validTo` has none: it is an exclusive end. */
  readonly toleranceMs: number
  readonly realm?: string
}

// When no entry matches, the code reported is that of the entry that got furthest.
const STAGES: readonly ConsentGuardErrorCode[] = [
  'consent_not_for_consumer',
  'consent_subject_mismatch',
  'consent_expired',
  'consent_resource_mismatch',
  'consent_action_mismatch',
  'consent_metadata_mismatch',
]

/**
 * Finds one consent entry, and one right inside it, that on their own satisfy every condition:
 * given to the consumer, from the subject, valid now, for the resource and action, with metadata
 * matching the request (security.md CON-22/23: no mixing across entries or rights).
 */
export function matchConsent<Req>(consents: readonly ParsedConsent[], ctx: MatchContext<Req>): ConsentMatch {
  if (consents.length === 0) throw new ConsentGuardError('consent_missing', { realm: ctx.realm })
  let best: ConsentGuardErrorCode = STAGES[0] as ConsentGuardErrorCode
  let bestStage = -1
  for (const consent of consents) {
    const result = matchOne(consent, ctx)
    if (typeof result === 'object') return result
    const stage = STAGES.indexOf(result === 'consent_not_yet_valid' ? 'consent_expired' : result)
    if (stage > bestStage) {
      bestStage = stage
      best = result
    }
  }
  throw new ConsentGuardError(best, { realm: ctx.realm })
}

function matchOne<Req>(consent: ParsedConsent, ctx: MatchContext<Req>): ConsentMatch | ConsentGuardErrorCode {
  // With delegation the consent must be given to the consumer, never to the supplier (Digdir).
  if (consent.to !== ctx.consumer) return 'consent_not_for_consumer'
  if (consent.from.type !== ctx.facts.subject.type || consent.from.id !== ctx.facts.subject.id) return 'consent_subject_mismatch'
  if (consent.consented > ctx.now + ctx.toleranceMs) return 'consent_not_yet_valid'
  if (ctx.now >= consent.validTo || consent.validTo <= consent.consented) return 'consent_expired'
  let furthest: ConsentGuardErrorCode = 'consent_resource_mismatch'
  for (const right of consent.rights) {
    const code = rightMismatch(consent, right, ctx)
    if (code === undefined) return { consent, right }
    if (STAGES.indexOf(code) > STAGES.indexOf(furthest)) furthest = code
  }
  return furthest
}

function rightMismatch<Req>(consent: ParsedConsent, right: ParsedRight, ctx: MatchContext<Req>): ConsentGuardErrorCode | undefined {
  const { compiled } = ctx
  // Altinn 3 rights name resources; Altinn 2 rights name legacy services (only from Altinn-signed tokens).
  const covers =
    consent.kind === 'altinn3'
      ? right.resources.some((r) => r.type === RESOURCE_TYPE && compiled.resources.has(r.value))
      : compiled.altinn2Service !== undefined && right.resources.some((r) => r.type === ALTINN2_SERVICE_TYPE && r.value === compiled.altinn2Service)
  if (!covers) return 'consent_resource_mismatch'
  if (!right.actions.includes(compiled.action)) return 'consent_action_mismatch'
  return metadataMatches(right, ctx) ? undefined : 'consent_metadata_mismatch'
}

function metadataMatches<Req>(right: ParsedRight, ctx: MatchContext<Req>): boolean {
  if (right.metadata.status !== 'ok') return false
  const values = right.metadata.values
  // An unknown key is an unknown restriction: ignoring it would widen the consent (CON-15).
  for (const key of values.keys()) if (!ctx.compiled.knownKeys.has(key)) return false
  for (const [key, rule] of ctx.compiled.metadata) {
    const value = values.get(key)
    if ('any' in rule) continue
    if (value === undefined) return false
    if ('equals' in rule) {
      if (value !== ctx.facts.equals.get(key)) return false
    } else if (rule.check(value, ctx.request) !== true) {
      return false
    }
  }
  const period = ctx.compiled.period
  if (period !== undefined && ctx.facts.period !== undefined) {
    const start = values.get(period.startKey)
    const end = values.get(period.endKey)
    if (start === undefined || end === undefined || !isYearMonth(start) || !isYearMonth(end) || start > end) return false
    // Zero-padded YYYY-MM strings order like the months they name.
    if (ctx.facts.period.from < start || ctx.facts.period.to > end) return false
  }
  return true
}
