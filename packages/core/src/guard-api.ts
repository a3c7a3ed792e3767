import type { AuditLogger } from './audit.js'
import type { HeaderSource } from './credentials/headers.js'
import type { DisclosureRecorder } from './disclosure.js'
import type { KeySet } from './keys/key-set.js'
import type { GuardReadiness } from './observability/key-set-monitor.js'
import type { ResolvedOptions } from './options.js'
import type { CompiledRequirement } from './requirement/compile.js'
import type { ConsentRequirement } from './requirement/types.js'
import type { VerifiedConsent } from './result.js'

/*
 * The guard's public interface, apart from the pipeline in guard.ts that implements it.
 */

/** What an adapter hands the guard for one request. */
export interface GuardInput<Req> {
  /** Every header line of the request (see `headersFromNodeRequest`). */
  readonly headers: HeaderSource
  /** The framework's request, passed to the route's `subject`, `metadata` and `consumers` functions. */
  readonly request: Req
  /** Path and query, used only to refuse tokens in the query string. */
  readonly url?: string
  /** Per-request logger for the audit event (Fastify's `request.log`); else the guard's logger. */
  readonly logger?: AuditLogger
  /** The framework's request id, copied into the audit event. */
  readonly requestId?: string
  /** The call's correlation id (see `correlationIdFrom`), copied into the audit event. */
  readonly correlationId?: string
}

export type { GuardReadiness }

/** A configured guard: one key cache and one store, shared by every route. */
export interface ConsentGuard {
  /** Validates and compiles a route requirement. Call at start-up; throws on a bad requirement. */
  compile<Req>(requirement: ConsentRequirement<Req>, where?: string): CompiledRequirement<Req>
  /**
   * Checks one request against a compiled requirement. Resolves the verified consent, or rejects
   * with a `ConsentGuardError` (status, code, headers). Errors thrown by the route's own
   * functions (`subject`, metadata `check`) propagate unchanged.
   */
  check<Req>(input: GuardInput<Req>, requirement: CompiledRequirement<Req>): Promise<VerifiedConsent>
  /**
   * Releases a one-time consent's "used" mark, for a handler that failed before any data left.
   * Does nothing for consents from routes without `oneTime`. Bounded by `storeTimeoutMs`;
   * rejects with `ConsentGuardError` `store_unavailable` when the store fails.
   */
  release(consent: VerifiedConsent): Promise<void>
  /**
   * Records disclosures when `onDisclosure` is set (adapters call it for every answer of a guarded
   * route); `undefined` otherwise.
   */
  readonly disclosure: DisclosureRecorder | undefined
  /** The options in force (defaults filled in). */
  readonly options: ResolvedOptions
  /** The issuer's key set (state for health checks). */
  readonly keySet: KeySet
  /** Altinn 2's key set, when legacy tokens are accepted. */
  readonly altinn2KeySet: KeySet | undefined
  /**
   * Fetches every key set that has no usable keys yet (start-up, before `listen`). Resolves
   * when the guard can verify tokens; rejects with `ConsentGuardError` `jwks_unavailable` whose
   * `cause` is the failing key set's `KeySetHealth` (cause category, age).
   */
  ready(): Promise<void>
  /** Key-set health for a `/ready` endpoint: fresh, stale-serving or unavailable, with cause and age. */
  readiness(): GuardReadiness
}
