import { maskIdentityNumbers, type AuditLogger } from './audit.js'
import type { Party } from './consent/identifiers.js'
import { ConsentGuardError } from './errors.js'
import type { ConsentGuardOptions, ResolvedOptions } from './options.js'
import type { VerifiedConsent } from './result.js'

/**
 * One consent-based disclosure: a guarded request whose answer released data (a 2xx status). It
 * exists to tell the person which recipients received their data (GDPR art. 15(1)(c), CJEU
 * C-154/21), so it holds the subject's identifier in clear: store it only in the disclosure log,
 * never in a log line.
 */
export interface DisclosureRecord {
  /** When the answer was released (after the handler). */
  readonly time: Date
  /** The consent the data was released under (Altinn 3: the consent request id). */
  readonly consentId: string
  /** `altinn3`, or `altinn2` for a legacy consent token. */
  readonly consentKind: VerifiedConsent['kind']
  /** Whose data was released, in clear. */
  readonly subject: Party
  /** Organisation number of the recipient the consent was given to. */
  readonly consumer: string
  /** Organisation number of the supplier that fetched the data for the consumer, if delegated. */
  readonly supplier: string | undefined
  /** Where the consumer → supplier delegation was registered, if delegated. */
  readonly delegationSource: string | undefined
  /** The route's consent resource. */
  readonly resource: string
  /** The route's consent action (`consent` unless the route says otherwise). */
  readonly action: string
  /** The metadata of the right the data was released under, e.g. `{ inntektsaar: '2024' }`. */
  readonly metadata: Readonly<Record<string, string>>
  /** HTTP method of the request. */
  readonly method: string
  /** The route pattern (`/income/:year/:personId`), never the URL with its identity numbers. */
  readonly route: string
  /** Status of the answer (2xx). */
  readonly status: number
  /** The request's correlation id (the adapter's request id), when there is one. */
  readonly correlationId: string | undefined
  /** Issuer of the access token. */
  readonly issuer: string
  /** `jti` of the access token. */
  readonly jti: string
  /** `jti` of the consent token, in two-token mode with a Maskinporten consent token. */
  readonly consentTokenJti: string | undefined
  /** Legal basis of the disclosure: always the person's consent (GDPR art. 6(1)(a)). */
  readonly legalBasis: 'consent'
  /** Whether the consent was a one-time consent (engangssamtykke), used up by this request. */
  readonly oneTime: boolean
}

/** Receives disclosure records (a database sink such as `@consent-guard/disclosure-log`). */
export type DisclosureSink = (record: DisclosureRecord) => void | Promise<void>

/**
 * `fail-closed`: the record is written before the answer's body is sent; a failed or slow write
 * turns the answer into 503 `disclosure_log_unavailable` with no data. `fire-and-forget`: the
 * record is written after the answer was sent; a failure is logged and the data has left anyway.
 */
export type DisclosureMode = 'fail-closed' | 'fire-and-forget'

/** What an adapter knows about the answer, beside the verified consent. */
export interface DisclosureFacts {
  readonly method: string
  /** The route pattern, not the URL. */
  readonly route: string
  readonly status: number
  readonly correlationId?: string | undefined
  /** Per-request logger for failures; else the guard's logger. */
  readonly logger?: AuditLogger | undefined
  /**
   * The answer has already left (an adapter catching one that bypassed its fail-closed hook):
   * a failure is logged, never thrown, and a one-time consent stays used.
   */
  readonly sent?: boolean
}

/** The guard's disclosure recorder (present when `onDisclosure` is set). */
export interface DisclosureRecorder {
  readonly mode: DisclosureMode
  /**
   * Records the disclosure of `consent` when the answer carried data (a 2xx status to any method
   * but HEAD), bounded by `disclosureTimeoutMs`. In `fail-closed` mode a failure or timeout
   * rejects with `ConsentGuardError` `disclosure_log_unavailable` (after releasing a one-time
   * consent's mark, since no data left); in `fire-and-forget` mode it is
   * logged (without the subject) and the promise resolves. Resolves `false` when nothing was due.
   */
  record(consent: VerifiedConsent, facts: DisclosureFacts): Promise<boolean>
}

/** Whether an answer released data: a 2xx status, and a body (HEAD answers have none). */
export function carriesData(method: string, status: number): boolean {
  return status >= 200 && status < 300 && method.toUpperCase() !== 'HEAD'
}

/** Builds the record of one disclosure. */
export function buildDisclosureRecord(consent: VerifiedConsent, facts: DisclosureFacts, time: Date): DisclosureRecord {
  const consentToken = consent.consentToken
  return Object.freeze({
    time,
    consentId: consent.id,
    consentKind: consent.kind,
    subject: Object.freeze({ type: consent.subject.type, id: consent.subject.id }),
    consumer: consent.consumer,
    supplier: consent.supplier,
    delegationSource: consent.delegationSource,
    resource: consent.resource,
    action: consent.action,
    metadata: Object.freeze({ ...consent.right.metadata }),
    method: facts.method.toUpperCase(),
    // A route taken from a matched URL (Express mounts) may hold the subject: the pattern never needs it.
    route: maskIdentityNumbers(facts.route.split(consent.subject.id).join(':subject')),
    status: facts.status,
    correlationId: facts.correlationId,
    issuer: consent.token.issuer,
    jti: consent.token.jti,
    consentTokenJti: consentToken !== undefined && consentToken.kind === 'maskinporten' ? consentToken.jti : undefined,
    legalBasis: 'consent' as const,
    oneTime: consent.oneTime !== undefined,
  })
}

/** Creates the recorder behind `guard.disclosure`. */
export function createDisclosureRecorder(settings: {
  readonly sink: DisclosureSink
  readonly mode: DisclosureMode
  readonly timeoutMs: number
  readonly clock: () => Date
  readonly logger: AuditLogger | undefined
  /** Frees a one-time consent's mark (the guard's `release`). */
  readonly release: (consent: VerifiedConsent) => Promise<void>
}): DisclosureRecorder {
  const { sink, mode, timeoutMs } = settings
  return {
    mode,
    async record(consent, facts) {
      if (!carriesData(facts.method, facts.status)) return false
      const record = buildDisclosureRecord(consent, facts, settings.clock())
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      })
      try {
        // A sink that throws synchronously fails like one that rejects.
        await Promise.race([Promise.resolve().then(() => sink(record)), timeout])
        return true
      } catch (err) {
        // The subject stays out of the log line: the consent id finds the record's context.
        const logger = facts.logger ?? settings.logger
        const line = {
          event: 'consent_guard.disclosure_failed',
          mode,
          consentId: consent.id,
          resource: consent.resource,
          route: facts.route,
          error:
            err instanceof Error ? maskIdentityNumbers(err.message.slice(0, 200).split(consent.subject.id).join('*')) : 'unknown error',
        }
        if (logger?.warn) logger.warn(line, 'disclosure not recorded')
        else logger?.info(line, 'disclosure not recorded')
        if (mode === 'fail-closed' && facts.sent !== true) {
          // No data left: a one-time consent stays usable for the consumer's retry, as after any 503.
          await settings.release(consent).catch(() => undefined)
          throw new ConsentGuardError('disclosure_log_unavailable')
        }
        return false
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/** The guard's recorder: `undefined` unless `onDisclosure` is set. */
export function disclosureRecorderFor(
  options: ConsentGuardOptions,
  resolved: ResolvedOptions,
  release: (consent: VerifiedConsent) => Promise<void>,
): DisclosureRecorder | undefined {
  if (options.onDisclosure === undefined || resolved.disclosureMode === undefined) return undefined
  const { disclosureMode: mode, disclosureTimeoutMs: timeoutMs, clock } = resolved
  return createDisclosureRecorder({ sink: options.onDisclosure, mode, timeoutMs, clock, logger: options.logger, release })
}
