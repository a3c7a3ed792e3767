import { createDecisionAudit, type DecisionTrail } from './audit.js'
import { extractCredentials } from './credentials/extract.js'
import { inRealm, isConsentGuardError } from './errors.js'
import type { ConsentGuard, GuardInput } from './guard-api.js'
import { createObservedKeySet, keySetReadiness } from './observability/key-set-monitor.js'
import { warnAltinn2Deprecated } from './deprecations.js'
import { instrumentStore } from './observability/instrument-store.js'
import { traceCheck } from './observability/trace-check.js'
import { createOneTimeBook } from './one-time/bookkeeping.js'
import { MemoryConsentUseStore } from './one-time/store.js'
import { resolveOptions, type ConsentGuardOptions } from './options.js'
import { checkAccess } from './requirement/access.js'
import { compileRequirement, isCompiledRequirement, type CompiledRequirement } from './requirement/compile.js'
import { matchConsent } from './requirement/evaluate.js'
import { readRequestFacts } from './requirement/request-facts.js'
import { buildVerifiedConsent, type VerifiedConsent } from './result.js'
import { carriedConsents, verifyConsentToken, type ConsentTokenRules } from './tokens/binding.js'
import { verifyMaskinportenToken, type TokenRules } from './tokens/verify-token.js'
import { cachedFor } from './tokens/verified-cache.js'
import { VerificationGate } from './tokens/verification-gate.js'
export { oneTimeRecordKey, tokenRecordKey } from './one-time/record-keys.js'
export type { ConsentGuard, GuardInput, GuardReadiness } from './guard-api.js'
import { disclosureRecorderFor } from './disclosure.js'

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
  const main = createObservedKeySet('maskinporten', { ...options.keys, jwksUri: resolved.jwksUri }, options.logger)
  const altinn2 =
    resolved.altinn2JwksUri === undefined
      ? undefined
      : createObservedKeySet('altinn2', { ...options.altinn2Keys, jwksUri: resolved.altinn2JwksUri }, options.logger)
  const { keySet } = main
  const altinn2KeySet = altinn2?.keySet
  if (altinn2KeySet !== undefined) warnAltinn2Deprecated()
  const audit = createDecisionAudit(options)
  const oneTime = createOneTimeBook(instrumentStore(options.store ?? new MemoryConsentUseStore()), resolved)
  const { clockTolerance, maxTokenAge, issuer, algorithms, audience, requireAudience, consumerAuthorities } = resolved
  // Epoch ms without a Date per call when the clock is the default one.
  const now = options.clock === undefined ? Date.now : () => resolved.clock().getTime()
  const gate = resolved.overload && new VerificationGate(resolved.overload)
  const rules = {
    issuer,
    getKey: keySet.getKey,
    algorithms,
    clockTolerance,
    maxTokenAge,
    audience,
    requireAudience,
    consumerAuthorities,
    nowMs: now,
    gate,
  }
  const tokenRules: TokenRules = { ...rules, cache: cachedFor(keySet, resolved.tokenCache) }
  const consentTokenRules: ConsentTokenRules = {
    tokens: { ...rules, cache: cachedFor(keySet, resolved.tokenCache) },
    altinn2: altinn2KeySet && {
      getKey: altinn2KeySet.getKey,
      clockTolerance,
      maxTokenAge: resolved.altinn2MaxTokenAge,
      nowMs: now,
      cache: cachedFor(altinn2KeySet, resolved.tokenCache),
      gate,
    },
  }

  /** The pipeline. Each step throws a realm-less `ConsentGuardError` (or the route's own error). */
  async function decide<Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>, trail: DecisionTrail): Promise<VerifiedConsent> {
    const credentials = extractCredentials(input.headers, { consentHeader: resolved.consentHeader, url: input.url })
    const verifying = verifyMaskinportenToken(credentials.accessToken, tokenRules) // a promise only when not cached
    const accessToken = (trail.token = verifying instanceof Promise ? await verifying : verifying)
    const consentToken =
      resolved.consentHeader === undefined ? undefined : await verifyConsentToken(credentials.consentToken, accessToken, consentTokenRules)
    await checkAccess(accessToken, compiled, input.request, resolved) // a promise only with an allow-list function
    const facts = (trail.facts = readRequestFacts(compiled, input.request))
    const nowMs = now()
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
      action: compiled.action,
      oneTimeKey: records?.key,
      tokenKey: records?.tokenKey,
    })
  }

  /** Frees a one-time consent's marks (a handler failed, or a fail-closed disclosure was not recorded). */
  async function release(consent: VerifiedConsent): Promise<void> {
    if (consent.oneTime !== undefined) await oneTime.release(consent.oneTime)
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
    release,
    disclosure: disclosureRecorderFor(options, resolved, release),
    options: resolved,
    keySet,
    altinn2KeySet,
    ...keySetReadiness(altinn2 === undefined ? [main] : [main, altinn2], resolved.realm),
  }
}
