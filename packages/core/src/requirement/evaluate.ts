import { ConsentGuardError, type ConsentGuardErrorCode } from '../errors.js'
import { RESOURCE_TYPE } from '../consent/schema.js'
import { ALTINN2_SERVICE_TYPE } from '../consent/altinn2.js'
import { periodDay } from '../consent/time.js'
import type { ParsedConsent, ParsedRight } from '../consent/parse.js'
import { sameOrganization, type OrganizationIdentifier } from '../consent/organization.js'
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
  /** The token's `consumer` in string form (organisation number for the Norwegian form). */
  readonly consumer: string
  /**
   * The token's `consumer`, authority and ID. When given, a consent's `to` must equal it exactly;
   * otherwise the string forms are compared.
   */
  readonly consumerIdentifier?: OrganizationIdentifier
  /** Epoch ms. */
  readonly now: number
  /** Leeway for `consented`, in ms. `validTo` has none: it is an exclusive end. */
  readonly toleranceMs: number
  /**
   * Epoch ms at which the token carrying the consents was issued (`iat`), when it has one.
   * Maskinporten looks the consent up before issuing, so a consent given later is inconsistent.
   */
  readonly issuedAt?: number
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
 * matching the request (docs/security.md CON-22/23: no mixing across entries or rights).
 */
export function matchConsent<Req>(consents: readonly ParsedConsent[], ctx: MatchContext<Req>): ConsentMatch {
  if (consents.length === 0) throw new ConsentGuardError('consent_missing')
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
  throw new ConsentGuardError(best)
}

function matchOne<Req>(consent: ParsedConsent, ctx: MatchContext<Req>): ConsentMatch | ConsentGuardErrorCode {
  const code = entryMismatch(consent, ctx)
  if (code !== undefined) return code
  let furthest: ConsentGuardErrorCode = 'consent_resource_mismatch'
  for (const right of consent.rights) {
    const rightCode = rightMismatch(consent, right, ctx)
    if (rightCode === undefined) return { consent, right }
    if (STAGES.indexOf(rightCode) > STAGES.indexOf(furthest)) furthest = rightCode
  }
  return furthest
}

/** Who, to whom and when: the conditions on the consent entry itself. */
function entryMismatch<Req>(consent: ParsedConsent, ctx: MatchContext<Req>): ConsentGuardErrorCode | undefined {
  // With delegation the consent must be given to the consumer, never to the supplier (Digdir).
  if (!givenToConsumer(consent, ctx)) return 'consent_not_for_consumer'
  if (consent.from.type !== ctx.facts.subject.type || consent.from.id !== ctx.facts.subject.id) return 'consent_subject_mismatch'
  return timeMismatch(consent, ctx)
}

function givenToConsumer<Req>(consent: ParsedConsent, ctx: MatchContext<Req>): boolean {
  if (ctx.consumerIdentifier === undefined) return consent.to === ctx.consumer
  return consent.toIdentifier !== undefined && sameOrganization(consent.toIdentifier, ctx.consumerIdentifier)
}

function timeMismatch<Req>(consent: ParsedConsent, ctx: MatchContext<Req>): ConsentGuardErrorCode | undefined {
  if (consent.consented > ctx.now + ctx.toleranceMs) return 'consent_not_yet_valid'
  if (ctx.issuedAt !== undefined && consent.consented > ctx.issuedAt + ctx.toleranceMs) return 'consent_not_yet_valid'
  if (ctx.now >= consent.validTo || consent.validTo <= consent.consented) return 'consent_expired'
  return undefined
}

function rightMismatch<Req>(consent: ParsedConsent, right: ParsedRight, ctx: MatchContext<Req>): ConsentGuardErrorCode | undefined {
  const { compiled } = ctx
  // Altinn 3 rights name resources; Altinn 2 rights name legacy services (only from Altinn-signed tokens).
  const covers =
    consent.kind === 'altinn3'
      ? right.resources.some((r) => r.type === RESOURCE_TYPE && compiled.resources.has(r.value))
      : compiled.altinn2Service !== undefined &&
        right.resources.some((r) => r.type === ALTINN2_SERVICE_TYPE && r.value === compiled.altinn2Service)
  if (!covers) return 'consent_resource_mismatch'
  if (!right.actions.includes(compiled.action)) return 'consent_action_mismatch'
  return metadataFindings(right, ctx).every((f) => f.ok) ? undefined : 'consent_metadata_mismatch'
}

/** The verdict on one metadata key (or the period) of a right. */
export interface MetadataFinding {
  /** Lower-case key; for the period rule, `start..end`. */
  readonly key: string
  /** The route's rule for the key; `unknown` for a key the route does not know; `unreadable` when the right's metadata cannot be read. */
  readonly rule: 'equals' | 'check' | 'any' | 'period' | 'unknown' | 'unreadable'
  readonly ok: boolean
  /** What the consent holds (for the period: `start..end`). */
  readonly consentValue?: string
  /** What the request asks for (`equals` and period rules). */
  readonly requestValue?: string
}

/**
 * Judges a right's metadata, key by key. A right matches on metadata when every finding is ok:
 * readable metadata, no key the route does not know (an unknown restriction must not widen the
 * consent, CON-15), and every rule satisfied.
 */
function metadataFindings<Req>(right: ParsedRight, ctx: MatchContext<Req>): MetadataFinding[] {
  if (right.metadata.status !== 'ok') return [{ key: '*', rule: 'unreadable', ok: false }]
  const values = right.metadata.values
  const findings: MetadataFinding[] = []
  for (const [key, value] of values)
    if (!ctx.compiled.knownKeys.has(key)) findings.push({ key, rule: 'unknown', ok: false, consentValue: value })
  for (const [key, rule] of ctx.compiled.metadata) {
    const value = values.get(key)
    const held = value === undefined ? {} : { consentValue: value }
    if ('any' in rule) findings.push({ key, rule: 'any', ok: true, ...held })
    else if ('equals' in rule) {
      const wanted = ctx.facts.equals.get(key)
      findings.push({
        key,
        rule: 'equals',
        ok: value !== undefined && value === wanted,
        ...held,
        ...(wanted !== undefined && { requestValue: wanted }),
      })
    } else findings.push({ key, rule: 'check', ok: value !== undefined && rule.check(value, ctx.request) === true, ...held })
  }
  const period = ctx.compiled.period
  if (period !== undefined && ctx.facts.period !== undefined) {
    const start = values.get(period.startKey)
    const end = values.get(period.endKey)
    const asked = ctx.facts.period
    // Both sides as inclusive days (a month bound covers the whole month): the consent's days must
    // contain the requested days. `YYYY-MM-DD` strings order like the days they name.
    const first = start === undefined ? undefined : periodDay(start, 'start')
    const last = end === undefined ? undefined : periodDay(end, 'end')
    const from = periodDay(asked.from, 'start')
    const to = periodDay(asked.to, 'end')
    const ok =
      first !== undefined && last !== undefined && from !== undefined && to !== undefined && first <= last && from >= first && to <= last
    findings.push({
      key: `${period.startKey}..${period.endKey}`,
      rule: 'period',
      ok,
      consentValue: `${start ?? '?'}..${end ?? '?'}`,
      requestValue: `${asked.from}..${asked.to}`,
    })
  }
  return findings
}

/** How one right fares against a requirement. */
export interface RightFinding {
  /** Undefined when the right satisfies the requirement. */
  readonly code: ConsentGuardErrorCode | undefined
  readonly resources: readonly string[]
  readonly actions: readonly string[]
  /** Empty unless the resource and action match (metadata is judged only then). */
  readonly metadata: readonly MetadataFinding[]
}

/** How one consent entry fares against a requirement, condition by condition. */
export interface ConsentFinding {
  readonly consent: ParsedConsent
  /** Undefined when this entry (with one of its rights) satisfies the requirement. */
  readonly code: ConsentGuardErrorCode | undefined
  readonly to: { readonly ok: boolean; readonly consent: string; readonly consumer: string }
  readonly from: { readonly ok: boolean }
  /** `undefined` when valid now, else `consent_expired` or `consent_not_yet_valid`. */
  readonly time: ConsentGuardErrorCode | undefined
  readonly rights: readonly RightFinding[]
}

/**
 * Explains, condition by condition, why each consent entry does or does not satisfy a requirement,
 * with the same rules {@link matchConsent} applies (for debugging tools such as `consent-guard
 * inspect`). Every right is judged, also where the entry already fails.
 */
export function explainConsents<Req>(consents: readonly ParsedConsent[], ctx: MatchContext<Req>): ConsentFinding[] {
  return consents.map((consent) => {
    const rights = consent.rights.map((right): RightFinding => {
      const code = rightMismatch(consent, right, ctx)
      const reachedMetadata = code === undefined || code === 'consent_metadata_mismatch'
      return {
        code,
        resources: right.resources.map((r) => r.value),
        actions: right.actions,
        metadata: reachedMetadata ? metadataFindings(right, ctx) : [],
      }
    })
    const match = matchOne(consent, ctx)
    return {
      consent,
      code: typeof match === 'object' ? undefined : match,
      to: { ok: givenToConsumer(consent, ctx), consent: consent.to, consumer: ctx.consumer },
      from: { ok: consent.from.type === ctx.facts.subject.type && consent.from.id === ctx.facts.subject.id },
      time: timeMismatch(consent, ctx),
      rights,
    }
  })
}
