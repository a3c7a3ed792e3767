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
   * '2024' }`), so the record says what was released (security.md LOG-03). Identity numbers masked.
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
  /** Whether anyone listens: events, and the keyed hash in them, are built only then. */
  listening(logger: AuditLogger | undefined): boolean
  accepted(logger: AuditLogger | undefined, trail: DecisionTrail, consent: VerifiedConsent): void
  rejected(logger: AuditLogger | undefined, trail: DecisionTrail, code: ConsentGuardErrorCode): void
}

export function createDecisionAudit(options: DecisionAuditOptions): DecisionAudit {
  const hasher = new SubjectHasher(options.auditKey)
  // A throwing logger or hook must never change the decision (observer-isolation.ts).
  const observers = createObserverIsolation()

  const emit = (logger: AuditLogger | undefined, event: AuditEvent): void => {
    const target = logger ?? options.logger
    if (target !== undefined) {
      observers.run('logger', () => {
        // A dependency outage is an operational warning, when the logger has warn.
        if (event.decision === 'rejected' && event.code !== undefined && event.code.endsWith('unavailable') && target.warn) {
          target.warn(event, 'consent rejected')
        } else {
          target.info(event, event.decision === 'accepted' ? 'consent accepted' : 'consent rejected')
        }
      })
    }
    const hook = options.onDecision
    if (hook !== undefined) observers.run('onDecision', () => hook(event))
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
    listening: (logger) => logger !== undefined || options.logger !== undefined || options.onDecision !== undefined,
    accepted(logger, trail, consent) {
      const metadata = Object.fromEntries(Object.entries(consent.right.metadata).map(([k, v]) => [k, maskIdentityNumbers(v)]))
      emit(logger, { ...base(trail), decision: 'accepted', ...(trail.oneTime ? { oneTime: trail.oneTime } : {}), metadata })
    },
    rejected(logger, trail, code) {
      emit(logger, { ...base(trail), decision: 'rejected', code, ...(trail.oneTime ? { oneTime: trail.oneTime } : {}) })
    },
  }
}
