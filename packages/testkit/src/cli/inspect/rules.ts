import { DEFAULT_ALGORITHMS, ERROR_CODES, isConsentGuardError, type ConsentGuardErrorCode } from '@consent-guard/core'
import {
  checkConsumer,
  checkDelegation,
  checkScope,
  claimsAltinn2Issuer,
  explainConsents,
  parseCompactJws,
  readRequestFacts,
  type ParsedConsent,
  type RequestFacts,
} from '@consent-guard/core/pipeline'
import { isSignatureCode, RuleLog, type InspectOptions, type InspectReport } from './report.js'
import { prepare } from './setup.js'
import { decodeSegment } from './token.js'
import { altinn2TokenRules, maskinportenTokenRules } from './token-rules.js'
import { coreVerdict } from './verdict.js'
import { describeParty, renderFinding, requestProblem } from './words.js'

/** Runs one of the core's checks: undefined when it passes, else the code it fails with. */
async function codeOf(check: () => unknown): Promise<ConsentGuardErrorCode | undefined> {
  try {
    await check()
    return undefined
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    return err.code
  }
}

/**
 * Decodes a token and explains, rule by rule, whether it would pass a route requirement, then asks
 * the core guard for the verdict. Every consent condition (to, from, time, resource, action,
 * metadata, period) is judged by the core's own `explainConsents`, on the requirement compiled by
 * the core and the request read by the core; inspect only renders the findings. Without `jwksUri`
 * nothing about the signature is known: the verdict is computed on a copy re-signed with a
 * throwaway key (so every other check is the real core code), and the report is marked unverified.
 *
 * Legacy Altinn 2 tokens (iss `altinn.no`) are judged as the core judges them in two-token mode,
 * beside a stand-in Maskinporten token whose consumer is `CoveredBy` unless the route config's
 * `accessToken` says otherwise.
 */
export async function inspectToken(token: string, options: InspectOptions = {}): Promise<InspectReport> {
  const cfg = options.config
  const now = options.at ?? new Date()
  const nowMs = now.getTime()
  const legacy = claimsAltinn2Issuer(token)
  const parts = token.split('.')
  const headerSeg = decodeSegment(parts[0])
  const payloadSeg = decodeSegment(parts[1])
  const header = headerSeg.value
  const claims = payloadSeg.value
  const log = new RuleLog()

  let syntaxOk = false
  const algorithms = legacy ? ['RS256'] : (cfg?.algorithms ?? DEFAULT_ALGORITHMS)
  const keyName = header?.kid !== undefined ? `kid "${String(header.kid)}"` : `x5t "${String(header?.x5t)}"`
  try {
    parseCompactJws(token, { algorithms, keyId: legacy ? 'kid-or-x5t' : 'kid' })
    syntaxOk = true
    log.push(
      'syntax',
      'pass',
      `compact JWS; alg ${String(header?.alg)} is allowed (${legacy ? 'Altinn 2 tokens: RS256 only' : algorithms.join(', ')}); ${keyName}`,
    )
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    const extra =
      err.code === 'token_algorithm_not_allowed'
        ? ` (alg ${JSON.stringify(header?.alg)}; allowed ${algorithms.join(', ')})`
        : err.code === 'token_header_invalid' && headerSeg.duplicates
          ? ' (the header repeats a member: JSON parsers disagree on which value counts)'
          : ''
    log.fail('syntax', err.code, `${err.message}${extra}`)
  }

  const setup = await prepare(token, {
    cfg,
    now,
    header,
    claims,
    syntaxOk,
    legacy,
    jwksUri: options.jwksUri,
  })
  const o = setup.guard.options
  const verdict = await coreVerdict(setup)

  if (options.jwksUri === undefined) {
    log.push('signature', 'skip', `NOT CHECKED: decoded only (pass --jwks-uri <${legacy ? 'Altinn 2' : 'issuer'} JWKS> to verify)`)
  } else if (verdict.code !== undefined && isSignatureCode(verdict.code)) {
    log.fail('signature', verdict.code, `${ERROR_CODES[verdict.code].description} (${options.jwksUri})`)
  } else if (syntaxOk) {
    // jose verifies the signature before any claim, so every later failure had a good signature.
    log.push(
      'signature',
      'pass',
      `verified with key ${header?.kid !== undefined ? `"${String(header.kid)}"` : keyName} from ${options.jwksUri}`,
    )
  } else {
    log.push('signature', 'skip', 'not reached')
  }

  if (claims === undefined) {
    log.fail('claims', 'token_malformed', 'the payload is not a JSON object')
    return finish()
  }
  const own = (name: string): unknown => (Object.hasOwn(claims, name) ? claims[name] : undefined)

  const tokenContext = { log, setup, cfg, claims, payloadSeg, now }
  let consents: readonly ParsedConsent[] | undefined
  /** Who the consent must be given to (the Maskinporten consumer) and who acts for them. */
  let consumer: string | undefined
  let supplier: string | undefined
  let scopes: readonly string[] = []
  if (legacy) {
    consents = await altinn2TokenRules(tokenContext)
    if (setup.standIn !== undefined) ({ consumer, supplier, scopes } = setup.standIn)
  } else {
    ;({ consents, consumer, supplier, scopes } = await maskinportenTokenRules(tokenContext))
  }

  const compiled = setup.compiled
  if (cfg === undefined || compiled === undefined) {
    log.push('requirement', 'skip', 'no route requirement given (--route-config <file> or --resource ...): only the token was checked')
    return finish()
  }

  if (setup.standIn !== undefined) {
    log.push('access token', 'info', setup.standIn.description)
    const handledBy = consents?.[0]?.handledBy
    if (handledBy !== undefined) {
      if (handledBy === supplier) log.push('binding', 'pass', `HandledBy ${handledBy} = the access token's supplier`)
      else
        log.fail(
          'binding',
          'token_binding_mismatch',
          `HandledBy ${handledBy}, but the access token's supplier is ${supplier ?? '(none)'}: a third party must fetch both tokens`,
        )
    }
  }

  // Scope, delegation and the consumer allow-list: the core's own checks on the compiled requirement.
  const tokenName = legacy ? 'access token' : 'token'
  if (compiled.scope === undefined)
    log.push('scope', 'info', `the route requires no scope; ${tokenName} has ${scopes.join(' ') || '(none)'}`)
  else {
    const { mode, scopes: needed } = compiled.scope
    const text = `${tokenName} has "${scopes.join(' ')}"; route needs ${mode === 'all' && needed.length === 1 ? needed[0] : `${mode} of ${needed.join(', ')}`}`
    const code = await codeOf(() => checkScope({ scopes }, compiled))
    if (code === undefined) log.push('scope', 'pass', text)
    else log.fail('scope', code, text)
  }
  if (supplier !== undefined) {
    const source = own('delegation_source')
    const token = { supplier, delegationSource: !legacy && typeof source === 'string' ? source : undefined }
    const code = await codeOf(() => checkDelegation(token, compiled, o))
    if (code !== undefined) log.fail('delegation', code, `supplier ${supplier} acts for ${consumer}; the route denies delegated access`)
    else
      log.push(
        'delegation',
        'pass',
        `supplier ${supplier} acts for ${consumer}${legacy ? '' : ` (delegation_source ${JSON.stringify(source)})`}`,
      )
  }
  if (compiled.consumers instanceof Set) {
    const allowed = [...compiled.consumers]
    const code = await codeOf(() => checkConsumer({ consumer: consumer ?? '' }, compiled, setup.request, o))
    if (consumer !== undefined && code === undefined) log.push('consumers', 'pass', `${consumer} is on the allow-list`)
    else log.fail('consumers', code ?? 'consumer_not_allowed', `${consumer ?? '(none)'} is not on the allow-list ${allowed.join(', ')}`)
  }

  // The request, read by the core as the guard reads it.
  let facts: RequestFacts | undefined
  try {
    facts = readRequestFacts(compiled, setup.request)
    const asks = [`subject ${describeParty(facts.subject)}`]
    for (const [key, rule] of compiled.metadata)
      asks.push('any' in rule ? `${key}: any` : 'equals' in rule ? `${key} = ${facts.equals.get(key) ?? '?'}` : `${key}: check`)
    if (facts.period !== undefined) asks.push(`period ${facts.period.from}..${facts.period.to}`)
    log.push('request', 'info', `asks for ${asks.join(', ')}`)
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    log.fail('request', err.code, requestProblem(err.code, cfg))
  }

  // Consent matching: one entry and one right must satisfy everything on their own (core explainConsents).
  if (consents !== undefined && consents.length === 0) log.fail('consent', 'consent_missing', 'the token carries no consent')
  if (consents !== undefined && consents.length > 0 && facts !== undefined) {
    if (consumer === undefined) log.push('consent', 'skip', 'not matched: the token names no valid consumer')
    else {
      const findings = explainConsents(consents, {
        compiled,
        facts,
        request: setup.request,
        consumer,
        now: nowMs,
        toleranceMs: o.clockTolerance * 1000,
      })
      const ctx = { log, compiled, requested: facts.subject, nowMs }
      findings.forEach((finding, i) => renderFinding(ctx, finding, findings.length > 1 ? `consent[${i}]` : 'consent'))
    }
  }
  if (compiled.oneTime) {
    log.push(
      'one-time',
      'info',
      "one-time route: the first accepted request marks the consent as used; any later request is refused (consent_already_used). inspect cannot see the data source's store",
    )
  }
  return finish()

  function finish(): InspectReport {
    const firstFail = log.rules.find((r) => r.status === 'fail')
    let note: string | undefined
    if (!verdict.accepted && firstFail?.code !== undefined && firstFail.code !== verdict.code && !isSignatureCode(verdict.code)) {
      note = `the guard reports ${verdict.code}; the explanation's first failure is ${firstFail.code}. When several rights or entries fail, the guard names the one that got furthest.`
    }
    return {
      kind: legacy ? 'altinn2' : 'maskinporten',
      verified: options.jwksUri !== undefined && !isSignatureCode(verdict.code) && syntaxOk,
      jwksUri: options.jwksUri,
      at: now.toISOString(),
      header,
      claims,
      rules: log.rules,
      verdict,
      ...(note !== undefined ? { note } : {}),
    }
  }
}
