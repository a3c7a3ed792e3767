import { maskIdentityNumbers, SubjectHasher, type AuditEvent, type AuditLogger } from './audit.js'
import { extractCredentials } from './credentials/extract.js'
import type { HeaderSource } from './credentials/headers.js'
import { ConsentGuardError, isConsentGuardError } from './errors.js'
import { createKeySet, type KeySet } from './keys/key-set.js'
import { createObserverIsolation } from './observer-isolation.js'
import { MemoryConsentUseStore, type ConsentUseStore } from './one-time/store.js'
import { resolveOptions, type ConsentGuardOptions, type ResolvedOptions } from './options.js'
import { compileRequirement, isCompiledRequirement, type CompiledRequirement } from './requirement/compile.js'
import { matchConsent } from './requirement/evaluate.js'
import { readRequestFacts, type RequestFacts } from './requirement/request-facts.js'
import type { ConsentRequirement } from './requirement/types.js'
import { buildVerifiedConsent, type VerifiedConsent } from './result.js'
import { verifyMaskinportenToken, type MaskinportenToken, type TokenRules } from './tokens/verify-token.js'
import { claimsAltinn2Issuer, verifyAltinn2Token, type Altinn2Rules, type Altinn2Token } from './tokens/verify-altinn2.js'
import type { ParsedConsent } from './consent/parse.js'

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
}

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
  const keySet = createKeySet({ ...options.keys, jwksUri: resolved.jwksUri }, resolved.realm)
  const altinn2KeySet =
    resolved.altinn2JwksUri === undefined
      ? undefined
      : createKeySet({ ...options.altinn2Keys, jwksUri: resolved.altinn2JwksUri }, resolved.realm)
  const store: ConsentUseStore = options.store ?? new MemoryConsentUseStore()
  const hasher = new SubjectHasher(options.auditKey)
  const realm = resolved.realm
  const tokenRules: TokenRules = {
    issuer: resolved.issuer,
    getKey: keySet.getKey,
    algorithms: resolved.algorithms,
    clockTolerance: resolved.clockTolerance,
    maxTokenAge: resolved.maxTokenAge,
    audience: resolved.audience,
    requireAudience: resolved.requireAudience,
    now: resolved.clock,
    realm,
  }

  const altinn2Rules: Altinn2Rules | undefined = altinn2KeySet && {
    getKey: altinn2KeySet.getKey,
    clockTolerance: resolved.clockTolerance,
    maxTokenAge: resolved.altinn2MaxTokenAge,
    now: resolved.clock,
    realm,
  }

  const observers = createObserverIsolation()
  const emit = (logger: AuditLogger | undefined, event: AuditEvent): void => {
    const target = logger ?? options.logger
    if (target !== undefined) {
      observers.run('logger', () => {
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

  async function check<Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>): Promise<VerifiedConsent> {
    if (!isCompiledRequirement(compiled)) throw new TypeError('consent-guard: check() needs a requirement from guard.compile()')
    const ctx: DecisionContext = { resource: compiled.resource, issuer: resolved.issuer }
    // Build events only when someone listens: the keyed hash is the costliest part.
    const audited = input.logger !== undefined || options.logger !== undefined || options.onDecision !== undefined
    try {
      const consent = await decide(input, compiled, ctx)
      if (audited) {
        const metadata = Object.fromEntries(Object.entries(consent.right.metadata).map(([k, v]) => [k, maskIdentityNumbers(v)]))
        emit(input.logger, { ...auditBase(ctx), decision: 'accepted', ...(ctx.oneTime ? { oneTime: ctx.oneTime } : {}), metadata })
      }
      return consent
    } catch (err) {
      if (audited && isConsentGuardError(err)) {
        emit(input.logger, { ...auditBase(ctx), decision: 'rejected', code: err.code, ...(ctx.oneTime ? { oneTime: ctx.oneTime } : {}) })
      }
      throw err
    }
  }

  function auditBase(ctx: DecisionContext): Omit<AuditEvent, 'decision'> {
    const t = ctx.token
    return {
      event: 'consent_guard.decision',
      resource: ctx.resource,
      issuer: ctx.issuer,
      ...(ctx.consentId !== undefined && { consentId: ctx.consentId }),
      ...(t !== undefined && { jti: t.jti, clientId: t.clientId, consumer: t.consumer }),
      ...(t?.supplier !== undefined && { supplier: t.supplier }),
      ...(t?.delegationSource !== undefined && { delegationSource: t.delegationSource }),
      ...(ctx.facts !== undefined && { subjectType: ctx.facts.subject.type, subjectRef: hasher.ref(ctx.facts.subject) }),
    }
  }

  async function decide<Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>, ctx: DecisionContext): Promise<VerifiedConsent> {
    const credentials = extractCredentials(input.headers, { consentHeader: resolved.consentHeader, url: input.url, realm })
    const accessToken = await verifyMaskinportenToken(credentials.accessToken, tokenRules)
    ctx.token = accessToken

    let consentToken: MaskinportenToken | Altinn2Token | undefined
    let consents: readonly ParsedConsent[] = accessToken.consents
    if (resolved.consentHeader !== undefined) {
      if (credentials.consentToken === undefined) throw new ConsentGuardError('consent_missing', { realm })
      if (claimsAltinn2Issuer(credentials.consentToken)) {
        if (altinn2Rules === undefined) throw new ConsentGuardError('legacy_token_not_accepted', { realm })
        const legacy = await verifyAltinn2Token(credentials.consentToken, altinn2Rules)
        // A third party named in HandledBy must be the Maskinporten token's supplier (LEG-05).
        if (legacy.consent.handledBy !== undefined && legacy.consent.handledBy !== accessToken.supplier) {
          throw new ConsentGuardError('token_binding_mismatch', { realm })
        }
        consentToken = legacy
        consents = [legacy.consent]
      } else {
        const mp = await verifyMaskinportenToken(credentials.consentToken, tokenRules)
        // Each token alone is valid; together they must describe the same consumer (BND-01, BND-05).
        if (mp.consumer !== accessToken.consumer || mp.supplier !== accessToken.supplier) {
          throw new ConsentGuardError('token_binding_mismatch', { realm })
        }
        consentToken = mp
        consents = mp.consents
      }
    }

    checkScope(accessToken, compiled)
    checkDelegation(accessToken, compiled)
    await checkConsumer(accessToken.consumer, compiled, input.request)

    const facts = readRequestFacts(compiled, input.request, realm)
    ctx.facts = facts
    const nowMs = resolved.clock().getTime()
    const match = matchConsent(consents, {
      compiled,
      facts,
      request: input.request,
      consumer: accessToken.consumer,
      now: nowMs,
      toleranceMs: resolved.clockTolerance * 1000,
      ...(consentToken === undefined
        ? { issuedAt: accessToken.issuedAt * 1000 }
        : 'issuedAt' in consentToken
          ? { issuedAt: consentToken.issuedAt * 1000 }
          : {}),
      realm,
    })
    ctx.consentId = match.consent.id

    // The token that carried the consent (none for Altinn 2 tokens, which have no jti).
    const carrier = consentToken === undefined ? accessToken : 'jti' in consentToken ? consentToken : undefined
    const records = compiled.oneTime ? await recordOneTimeUse(match.consent, compiled.resource, carrier, nowMs, ctx) : undefined
    return buildVerifiedConsent({
      match,
      accessToken,
      consentToken,
      resource: compiled.resource,
      oneTimeKey: records?.key,
      tokenKey: records?.tokenKey,
    })
  }

  /**
   * Marks a one-time consent as used (issuer + consent id + resource) and its token (issuer + jti +
   * resource): a second token with the same jti but another consent was forged or altered (RPL-07).
   * Either mark already present → 403; the store failing → 503; a refused request leaves no mark.
   */
  async function recordOneTimeUse(
    consent: ParsedConsent,
    resource: string,
    carrier: MaskinportenToken | undefined,
    nowMs: number,
    ctx: DecisionContext,
  ): Promise<{ key: string; tokenKey: string | undefined }> {
    const key = oneTimeRecordKey(consent.kind === 'altinn2' ? 'altinn.no' : resolved.issuer, consent.id, resource)
    const ttlMs = Math.min(consent.validTo - nowMs + resolved.clockTolerance * 1000, resolved.oneTimeMaxTtl * 1000)
    if (!(await markUsed(key, Math.max(ttlMs, 1000)))) {
      ctx.oneTime = 'refused_reuse'
      throw new ConsentGuardError('consent_already_used', { realm })
    }
    let tokenKey: string | undefined
    if (carrier !== undefined) {
      tokenKey = tokenRecordKey(resolved.issuer, carrier.jti, resource)
      const tokenTtlMs = Math.max((carrier.expiresAt + resolved.clockTolerance) * 1000 - nowMs, 1000)
      let fresh: boolean
      try {
        fresh = await markUsed(tokenKey, tokenTtlMs)
      } catch (err) {
        await releaseQuietly(key)
        throw err
      }
      if (!fresh) {
        await releaseQuietly(key)
        ctx.oneTime = 'refused_reuse'
        throw new ConsentGuardError('consent_already_used', { realm })
      }
    }
    ctx.oneTime = 'first_use'
    return { key, tokenKey }
  }

  function checkScope<Req>(token: MaskinportenToken, compiled: CompiledRequirement<Req>): void {
    const scope = compiled.scope
    if (scope === undefined) return
    const ok =
      scope.mode === 'all' ? scope.scopes.every((s) => token.scopes.includes(s)) : scope.scopes.some((s) => token.scopes.includes(s))
    if (!ok) throw new ConsentGuardError('scope_missing', { realm, scope: scope.scopes })
  }

  function checkDelegation<Req>(token: MaskinportenToken, compiled: CompiledRequirement<Req>): void {
    if (token.supplier === undefined) return
    if (compiled.delegation === 'deny') throw new ConsentGuardError('supplier_not_allowed', { realm })
    const sources = resolved.delegationSources
    if (sources !== undefined && (token.delegationSource === undefined || !sources.has(token.delegationSource))) {
      throw new ConsentGuardError('supplier_not_allowed', { realm })
    }
  }

  async function checkConsumer<Req>(consumer: string, compiled: CompiledRequirement<Req>, request: Req): Promise<void> {
    const allow = compiled.consumers
    if (allow === undefined) return
    let ok: boolean
    if (typeof allow === 'function') {
      // An access-list lookup that throws, rejects or hangs is a dependency failure: 503, bounded.
      ok =
        (await withTimeout(
          Promise.resolve().then(() => allow(consumer, request)),
          resolved.consumerCheckTimeoutMs,
          'consumer_check_unavailable',
        )) === true
    } else {
      ok = allow.has(consumer)
    }
    if (!ok) throw new ConsentGuardError('consumer_not_allowed', { realm })
  }

  async function markUsed(key: string, ttlMs: number): Promise<boolean> {
    let timedOut = false
    // A store that throws synchronously is as unavailable as one that rejects.
    const pending = Promise.resolve().then(() => store.markUsed(key, ttlMs))
    try {
      return (await withStoreTimeout(pending, () => (timedOut = true))) === true
    } finally {
      // The client got a 503; a mark that lands afterwards must not use the consent up, or the
      // client's retry would be refused. A late first use means nobody else holds the mark.
      if (timedOut) {
        pending.then((first) => (first === true ? store.release(key) : undefined)).catch(() => undefined)
      }
    }
  }

  /** Bounds a store call by `storeTimeoutMs`; any failure becomes 503 `store_unavailable`. */
  function withStoreTimeout<T>(call: Promise<T>, onTimeout?: () => void): Promise<T> {
    return withTimeout(call, resolved.storeTimeoutMs, 'store_unavailable', onTimeout)
  }

  async function releaseQuietly(key: string): Promise<void> {
    await withStoreTimeout(Promise.resolve().then(() => store.release(key))).catch(() => undefined)
  }

  /** Bounds a dependency call; a failure or a timeout becomes the given 503. */
  async function withTimeout<T>(
    call: Promise<T>,
    ms: number,
    code: 'store_unavailable' | 'consumer_check_unavailable',
    onTimeout?: () => void,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.()
        reject(new Error('timeout'))
      }, ms)
    })
    try {
      return await Promise.race([call, timeout])
    } catch {
      throw new ConsentGuardError(code, { realm })
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    compile: (requirement, where) => compileRequirement(requirement, where),
    check,
    async release(consent) {
      const records = consent.oneTime
      if (records === undefined) return
      // The token record too: the consumer's retry may reuse the token that got the data-less failure.
      await withStoreTimeout(
        Promise.all(
          [records.key, ...(records.tokenKey === undefined ? [] : [records.tokenKey])].map((key) =>
            Promise.resolve().then(() => store.release(key)),
          ),
        ),
      )
    },
    options: resolved,
    keySet,
    altinn2KeySet,
  }
}

interface DecisionContext {
  readonly resource: string
  readonly issuer: string
  token?: MaskinportenToken
  facts?: RequestFacts
  consentId?: string
  oneTime?: 'first_use' | 'refused_reuse'
}

/** Key of the record that makes a token single-use on a one-time route: issuer + jti + resource. */
export function tokenRecordKey(issuer: string, jti: string, resource: string): string {
  return `consent-guard:jti:v1:${encodeURIComponent(issuer)}:${encodeURIComponent(jti)}:${resource}`
}

/**
 * Key of a one-time record: issuer + consent id + resource. Not the token string (a fresh token
 * for the same consent must be refused too, RPL-02), and per resource because one consent can
 * hold rights for several resources.
 */
export function oneTimeRecordKey(issuer: string, consentId: string, resource: string): string {
  return `consent-guard:used:v1:${encodeURIComponent(issuer)}:${consentId.toLowerCase()}:${resource}`
}
