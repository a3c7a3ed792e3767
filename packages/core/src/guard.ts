import { createDecisionAudit, type AuditLogger, type DecisionTrail } from './audit.js'
import { extractCredentials } from './credentials/extract.js'
import type { HeaderSource } from './credentials/headers.js'
import { inRealm, isConsentGuardError } from './errors.js'
import { warnAltinn2Deprecated } from './deprecations.js'
import type { KeySet } from './keys/key-set.js'
import { createObservedKeySet, keySetReadiness, type GuardReadiness } from './observability/key-set-monitor.js'
import { instrumentStore } from './observability/instrument-store.js'
import { traceCheck } from './observability/trace-check.js'
import { createOneTimeBook } from './one-time/bookkeeping.js'
import { MemoryConsentUseStore } from './one-time/store.js'
import { resolveOptions, type ConsentGuardOptions, type ResolvedOptions } from './options.js'
import { checkAccess } from './requirement/access.js'
import { compileRequirement, isCompiledRequirement, type CompiledRequirement } from './requirement/compile.js'
import { matchConsent } from './requirement/evaluate.js'
import { readRequestFacts } from './requirement/request-facts.js'
import type { ConsentRequirement } from './requirement/types.js'
import { buildVerifiedConsent, type VerifiedConsent } from './result.js'
import { carriedConsents, verifyConsentToken, type ConsentTokenRules } from './tokens/binding.js'
import { verifyMaskinportenToken, type TokenRules } from './tokens/verify-token.js'

export { oneTimeRecordKey, tokenRecordKey } from './one-time/record-keys.js'

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

/**
 * Creates a guard. Validates every option now: a bad issuer URL or an http key-set URL on a
 * non-loopback host throws `ConsentGuardConfigError` at start-up.
 *
 * @example
 * const guard = createConsentGuard({ maskinporten: 'prod' })
 * const route = guard.compile({ scope: 'skatteetaten:inntekt', resource: 'ske-samtykke-sbl-inntekt',
 *   subject: (req) => req.params.fnr, metadata: { inntektsaar: { equals: (req) => req.params.year } } })
 * const consent = await guard.check({ headers: headersFromNodeRequest(req), request: req }, route)
 */
export function createConsentGuard(options: ConsentGuardOptions): ConsentGuard {
  const resolved = resolveOptions(options)
  const main = createObservedKeySet('maskinporten', { ...options.keys, jwksUri: resolved.jwksUri }, resolved.realm, options.logger)
  const altinn2 =
    resolved.altinn2JwksUri === undefined
      ? undefined
      : createObservedKeySet('altinn2', { ...options.altinn2Keys, jwksUri: resolved.altinn2JwksUri }, resolved.realm, options.logger)
  const { keySet } = main
  const altinn2KeySet = altinn2?.keySet
  if (altinn2KeySet !== undefined) warnAltinn2Deprecated()
  const audit = createDecisionAudit(options)
  const oneTime = createOneTimeBook(instrumentStore(options.store ?? new MemoryConsentUseStore()), resolved)
  const { clock: now, clockTolerance, maxTokenAge } = resolved
  const { issuer, algorithms, audience, requireAudience } = resolved
  const { consumerAuthorities } = resolved
  const tokenRules: TokenRules = {
    issuer,
    getKey: keySet.getKey,
    algorithms,
    clockTolerance,
    maxTokenAge,
    audience,
    requireAudience,
    consumerAuthorities,
    now,
  }
  const consentTokenRules: ConsentTokenRules = {
    tokens: tokenRules,
    altinn2: altinn2KeySet && { getKey: altinn2KeySet.getKey, clockTolerance, maxTokenAge: resolved.altinn2MaxTokenAge, now },
  }

  /** The pipeline. Each step throws a realm-less `ConsentGuardError` (or the route's own error). */
  async function decide<Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>, trail: DecisionTrail): Promise<VerifiedConsent> {
    const credentials = extractCredentials(input.headers, { consentHeader: resolved.consentHeader, url: input.url })
    const accessToken = (trail.token = await verifyMaskinportenToken(credentials.accessToken, tokenRules))
    const consentToken =
      resolved.consentHeader === undefined ? undefined : await verifyConsentToken(credentials.consentToken, accessToken, consentTokenRules)
    await checkAccess(accessToken, compiled, input.request, resolved)
    const facts = (trail.facts = readRequestFacts(compiled, input.request))
    const nowMs = now().getTime()
    // The token that carried the consents: the consent token in two-token mode, else the access token.
    const carrier = consentToken ?? accessToken
    const match = matchConsent(carriedConsents(carrier), {
      compiled,
      facts,
      request: input.request,
      consumer: accessToken.consumer,
      consumerIdentifier: accessToken.consumerIdentifier,
      now: nowMs,
      toleranceMs: clockTolerance * 1000,
      // Altinn 2 tokens have no iat (and no jti for the token record).
      issuedAt: carrier.kind === 'maskinporten' ? carrier.issuedAt * 1000 : undefined,
    })
    trail.consentId = match.consent.id
    const jtiCarrier = carrier.kind === 'maskinporten' ? carrier : undefined
    const records = compiled.oneTime ? await oneTime.record(match.consent, compiled.resource, jtiCarrier, nowMs, trail) : undefined
    return buildVerifiedConsent({
      match,
      accessToken,
      consentToken,
      resource: compiled.resource,
      oneTimeKey: records?.key,
      tokenKey: records?.tokenKey,
    })
  }

  const mode = resolved.consentHeader === undefined ? 'single-token' : 'two-token'
  return {
    compile: (requirement, where) => compileRequirement(requirement, where),
    check: traceCheck(async (input, compiled) => {
      if (!isCompiledRequirement(compiled)) throw new TypeError('consent-guard: check() needs a requirement from guard.compile()')
      const trail: DecisionTrail = {
        resource: compiled.resource,
        issuer: resolved.issuer,
        startedAt: performance.now(),
        requestId: input.requestId,
        correlationId: input.correlationId,
      }
      const audited = audit.listening(input.logger)
      try {
        const consent = await decide(input, compiled, trail)
        if (audited) audit.accepted(input.logger, trail, consent)
        return consent
      } catch (err) {
        if (!isConsentGuardError(err)) throw err
        if (audited) audit.rejected(input.logger, trail, err.code)
        // The realm is an HTTP concern: the rules throw realm-less errors, the challenge gets it here.
        throw inRealm(err, resolved.realm)
      }
    }, mode),
    async release(consent) {
      if (consent.oneTime !== undefined) await oneTime.release(consent.oneTime)
    },
    options: resolved,
    keySet,
    altinn2KeySet,
    ...keySetReadiness(altinn2 === undefined ? [main] : [main, altinn2], resolved.realm),
  }
}
