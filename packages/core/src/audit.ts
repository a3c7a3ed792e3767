import { createHmac, randomBytes } from 'node:crypto'
import type { ConsentGuardErrorCode } from './errors.js'
import type { Party } from './consent/identifiers.js'

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
  readonly consumer?: string
  readonly supplier?: string
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
