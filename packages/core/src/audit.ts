import { createHmac, randomBytes } from 'node:crypto'
import type { ConsentGuardErrorCode } from './errors.js'
import type { Party } from './consent/identifiers.js'
import type { OrganizationIdentifier } from './consent/organization.js'
import { maskIdentityNumbers } from './logging/redact.js'
import { createObserverIsolation } from './observer-isolation.js'
import type { RequestFacts } from './requirement/request-facts.js'
import type { VerifiedConsent } from './result.js'
import type { MaskinportenToken } from './tokens/verify-token.js'

/** A pino-compatible logger (pino, Fastify's `request.log`, or anything with `info`). */
export interface AuditLogger {
  info(obj: object, msg?: string): void
  warn?(obj: object, msg?: string): void
  /** pino's level check; when present, the guard builds an event only if the level is enabled. */
  isLevelEnabled?(level: string): boolean
  /** pino's level name; `silent` means nothing is logged. */
  level?: string
}

/** The level an event is logged at: `warn` for a dependency failure (503), else `info`. */
export function auditLevel(decision: 'accepted' | 'rejected', code: string | undefined): 'info' | 'warn' {
  return decision === 'rejected' && code !== undefined && (code.endsWith('unavailable') || code === 'overloaded') ? 'warn' : 'info'
}

const emptyFunction = new WeakMap<object, boolean>()
const EMPTY_BODY = /^(?:function\s*[\w$]*\s*\(\s*\)\s*\{\s*\}|\(\s*\)\s*=>\s*(?:\{\s*\}|undefined|void 0))$/

/**
 * Whether `logger` would record an event at `level`. No event is built for a logger that would
 * drop it: pino below its level or `silent`, or a logger whose method has an empty body (Fastify's
 * `request.log` with `logger: false` is such a no-op). Any other logger is assumed to listen.
 */
export function loggerListens(logger: AuditLogger, level: 'info' | 'warn'): boolean {
  if (typeof logger.isLevelEnabled === 'function') return logger.isLevelEnabled(level)
  if (logger.level === 'silent') return false
  const method = level === 'warn' && typeof logger.warn === 'function' ? logger.warn : logger.info
  if (typeof method !== 'function') return false
  let empty = emptyFunction.get(method)
  if (empty === undefined) {
    empty = EMPTY_BODY.test(Function.prototype.toString.call(method))
    emptyFunction.set(method, empty)
  }
  return !empty
}

/**
 * One event per decision. Holds no token, no claim payload and no identity number in clear: the
 * subject is a keyed hash (`subjectRef`), so events about one person can be correlated by whoever
 * holds the key, and by no one else.
 */
export interface AuditEvent {
  readonly event: 'consent_guard.decision'
  readonly decision: 'accepted' | 'rejected'
  /** Reason code when rejected. */
  readonly code?: ConsentGuardErrorCode
  readonly resource: string
  readonly issuer: string
  /** Ms the check took, from the adapter's call to the decision. */
  readonly durationMs?: number
  /** The framework's request id (Fastify `request.id`, pino-http `req.id`). */
  readonly requestId?: string
  /** The call's correlation id (incoming correlation header, or a generated one). */
  readonly correlationId?: string
  readonly consentId?: string
  readonly jti?: string
  readonly clientId?: string
  /** The consumer in string form: organisation number, or `<authority>:<id>` for another authority. */
  readonly consumer?: string
  /** The consumer as the token names it, authority and ID. */
  readonly consumerIdentifier?: OrganizationIdentifier
  readonly supplier?: string
  /** The supplier as the token names it, authority and ID. */
  readonly supplierIdentifier?: OrganizationIdentifier
  readonly delegationSource?: string
  readonly subjectType?: Party['type']
  /** HMAC-SHA256 of the subject under the audit key, truncated. */
  readonly subjectRef?: string
  /** One-time bookkeeping: `first_use` when recorded, `refused_reuse` for a second use. */
  readonly oneTime?: 'first_use' | 'refused_reuse'
  /**
   * On acceptance: the metadata of the right the data was released under (e.g. `{ inntektsaar:
   * '2024' }`), so the record says what was released (docs/security.md LOG-03). Identity numbers masked.
   */
  readonly metadata?: Readonly<Record<string, string>>
}

/** Produces subject references for audit events. */
export class SubjectHasher {
  readonly #key: Uint8Array

  /** `key`: a stable secret to correlate across restarts and instances; random per process otherwise. */
  constructor(key?: string | Uint8Array) {
    this.#key = key === undefined ? randomBytes(32) : typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  }

  ref(party: Party): string {
    return 'hmac:' + createHmac('sha256', this.#key).update(`${party.type}:${party.id}`).digest('base64url').slice(0, 22)
  }
}

// Redaction lives in logging/redact.ts; re-exported here for existing imports.
export { maskIdentityNumbers, redactUrlForLog } from './logging/redact.js'

/** What the pipeline learnt about a decision so far: the audit event is built from it. */
export interface DecisionTrail {
  readonly resource: string
  readonly issuer: string
  /** performance.now() when the check began. */
  readonly startedAt?: number
  readonly requestId?: string | undefined
  readonly correlationId?: string | undefined
  token?: MaskinportenToken
  facts?: RequestFacts
  consentId?: string
  oneTime?: 'first_use' | 'refused_reuse'
}

/** Where decision events go (the guard's options). */
export interface DecisionAuditOptions {
  readonly logger?: AuditLogger | undefined
  readonly onDecision?: ((event: AuditEvent) => void) | undefined
  readonly auditKey?: string | Uint8Array | undefined
}

/** Builds and emits the one audit event of each decision. */
export interface DecisionAudit {
  /**
   * Whether anyone may listen (a logger or `onDecision`). `accepted`/`rejected` then build the
   * event, with its keyed hash, only if `onDecision` is set or the logger records that level.
   */
  listening(logger: AuditLogger | undefined): boolean
  accepted(logger: AuditLogger | undefined, trail: DecisionTrail, consent: VerifiedConsent): void
  rejected(logger: AuditLogger | undefined, trail: DecisionTrail, code: ConsentGuardErrorCode): void
}

export function createDecisionAudit(options: DecisionAuditOptions): DecisionAudit {
  const hasher = new SubjectHasher(options.auditKey)
  // A throwing logger or hook must never change the decision (observer-isolation.ts).
  const observers = createObserverIsolation()

  const onDecision = options.onDecision
  /** The logger that records `level`, if any: an event nobody records is never built. */
  const recorder = (logger: AuditLogger | undefined, level: 'info' | 'warn'): AuditLogger | undefined => {
    const target = logger ?? options.logger
    return target !== undefined && loggerListens(target, level) ? target : undefined
  }
  const emit = (target: AuditLogger | undefined, level: 'info' | 'warn', event: AuditEvent): void => {
    if (target !== undefined) {
      observers.run('logger', () => {
        // A dependency outage or overload is an operational warning, when the logger has warn.
        if (level === 'warn' && target.warn) target.warn(event, 'consent rejected')
        else target.info(event, event.decision === 'accepted' ? 'consent accepted' : 'consent rejected')
      })
    }
    if (onDecision !== undefined) observers.run('onDecision', () => onDecision(event))
  }

  const base = (trail: DecisionTrail): Omit<AuditEvent, 'decision'> => {
    const t = trail.token
    return {
      event: 'consent_guard.decision',
      resource: trail.resource,
      issuer: trail.issuer,
      ...(trail.startedAt !== undefined && { durationMs: Math.round((performance.now() - trail.startedAt) * 1000) / 1000 }),
      ...(trail.requestId !== undefined && { requestId: trail.requestId }),
      ...(trail.correlationId !== undefined && { correlationId: trail.correlationId }),
      ...(trail.consentId !== undefined && { consentId: trail.consentId }),
      ...(t !== undefined && { jti: t.jti, clientId: t.clientId, consumer: t.consumer, consumerIdentifier: t.consumerIdentifier }),
      ...(t?.supplierIdentifier !== undefined && { supplier: t.supplier, supplierIdentifier: t.supplierIdentifier }),
      ...(t?.delegationSource !== undefined && { delegationSource: t.delegationSource }),
      ...(trail.facts !== undefined && { subjectType: trail.facts.subject.type, subjectRef: hasher.ref(trail.facts.subject) }),
    }
  }

  return {
    listening: (logger) => logger !== undefined || options.logger !== undefined || onDecision !== undefined,
    accepted(logger, trail, consent) {
      const target = recorder(logger, 'info')
      if (target === undefined && onDecision === undefined) return
      const metadata = Object.fromEntries(Object.entries(consent.right.metadata).map(([k, v]) => [k, maskIdentityNumbers(v)]))
      emit(target, 'info', { ...base(trail), decision: 'accepted', ...(trail.oneTime ? { oneTime: trail.oneTime } : {}), metadata })
    },
    rejected(logger, trail, code) {
      const level = auditLevel('rejected', code)
      const target = recorder(logger, level)
      if (target === undefined && onDecision === undefined) return
      emit(target, level, { ...base(trail), decision: 'rejected', code, ...(trail.oneTime ? { oneTime: trail.oneTime } : {}) })
    },
  }
}
