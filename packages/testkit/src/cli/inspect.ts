import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createLocalJWKSet } from 'jose'
import {
  ConsentGuardConfigError,
  createConsentGuard,
  ERROR_CODES,
  headersFromRecord,
  isConsentGuardError,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentGuardErrorCode,
  type ConsentGuardOptions,
  type Party,
} from '@consent-guard/core'
import {
  ALTINN2_ISSUER,
  ALTINN2_SERVICE_TYPE,
  claimsAltinn2Issuer,
  compileRequirement,
  explainConsents,
  periodDay,
  parseAltinn2Consent,
  parseCompactJws,
  parseConsents,
  parseIso6523,
  parseJsonObject,
  readRequestFacts,
  RESOURCE_TYPE,
  verifyAltinn2Token,
  verifyMaskinportenToken,
  type ConsentFinding,
  type MaskinportenToken,
  type MetadataFinding,
  type ParsedConsent,
  type ParsedRight,
  type RequestFacts,
  type RightFinding,
} from '@consent-guard/core/pipeline'
import { maskinportenClaims } from '../claims.js'
import { deterministicSigningKey, generateSigningKey, type SigningAlgorithm, type SigningKey } from '../keys.js'
import { signCompact } from '../sign.js'
import { isoSeconds, maskPii, parseInstant, parsePairs, relative, splitScopes, UsageError, type CliIo } from './common.js'
import { parseRouteConfig, toRequirement, type InspectRequest, type RouteConfig } from './route-config.js'

/** Outcome of one rule. `skip`: not checked; `info`: nothing to decide. */
export type RuleStatus = 'pass' | 'fail' | 'skip' | 'info'

export interface RuleResult {
  readonly rule: string
  readonly status: RuleStatus
  readonly detail: string
  /** The guard's error code when the rule fails. */
  readonly code?: ConsentGuardErrorCode
}

/** What the core guard decides for this token (and requirement). */
export interface Verdict {
  /** `full`: token and route requirement; `token`: token checks only (no requirement given). */
  readonly scope: 'full' | 'token'
  readonly accepted: boolean
  readonly status?: number
  readonly code?: ConsentGuardErrorCode
  readonly description: string
}

export interface InspectReport {
  /** `maskinporten`: an (Altinn 3) Maskinporten token; `altinn2`: a legacy Altinn 2 consent token (iss `altinn.no`). */
  readonly kind: 'maskinporten' | 'altinn2'
  /** True only when the signature was checked against `--jwks-uri`. */
  readonly verified: boolean
  readonly jwksUri: string | undefined
  readonly at: string
  readonly header: Record<string, unknown> | undefined
  readonly claims: Record<string, unknown> | undefined
  readonly rules: readonly RuleResult[]
  readonly verdict: Verdict
  /** Set when the rule-by-rule explanation and the core disagree on the first failure. */
  readonly note?: string
}

export interface InspectOptions {
  readonly config?: RouteConfig
  /** Evaluation time. Default: now. */
  readonly at?: Date
  /**
   * Verify the signature with this key set (the issuer's `/jwk`; for an Altinn 2 token, Altinn 2's
   * key set). Without it: decode only.
   */
  readonly jwksUri?: string
}

const SIGNATURE_CODES = new Set<ConsentGuardErrorCode>(['token_key_unknown', 'token_signature_invalid', 'jwks_unavailable'])
const LIFETIME_CODES = new Set<ConsentGuardErrorCode>(['token_expired', 'token_not_yet_valid', 'token_lifetime_exceeded'])
// Where the verdict's guard "fetches" keys it is handed in memory; never contacted.
const PLACEHOLDER_JWKS = 'http://127.0.0.1/consent-guard-inspect/jwk'
const PLACEHOLDER_ALTINN2_JWKS = 'http://127.0.0.1/consent-guard-inspect/altinn2/jwk'
/** Consent header of the guard that judges Altinn 2 tokens (two-token mode). */
const CONSENT_HEADER = 'AltinnSamtykke'

interface Segment {
  readonly value: Record<string, unknown> | undefined
  /** The segment is a JSON object whose members repeat (the core refuses it; parsers disagree on which value counts). */
  readonly duplicates: boolean
}

function decodeSegment(segment: string | undefined): Segment {
  if (segment === undefined) return { value: undefined, duplicates: false }
  try {
    const text = Buffer.from(segment, 'base64url').toString('utf8')
    const value = JSON.parse(text) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { value: undefined, duplicates: false }
    return { value: value as Record<string, unknown>, duplicates: parseJsonObject(text) === undefined }
  } catch {
    return { value: undefined, duplicates: false }
  }
}

const describeParty = (p: Party): string => `${p.type} ${p.id}`
const ORGNO = /^[0-9]{9}$/

/** The Maskinporten token an Altinn 2 token is judged beside (inspect reads one token). */
interface StandIn {
  readonly consumer: string
  readonly supplier: string | undefined
  readonly scopes: readonly string[]
  /** The stand-in, signed with a key the verdict's guard trusts. */
  readonly token: string
  /** What was assumed, for the report. */
  readonly description: string
}

/** The guard that gives the verdict, the compiled route, and the tokens it checks. */
interface Setup {
  readonly legacy: boolean
  readonly guard: ConsentGuard
  readonly compiled: CompiledRequirement<InspectRequest> | undefined
  readonly request: InspectRequest
  /** What the verdict verifies: the token itself with --jwks-uri, else a copy re-signed with a throwaway key. */
  readonly candidate: string
  /** The re-signed copy with its key: the token's claims judged by the core whatever the signature. */
  readonly resigned: { readonly token: string; readonly jwks: { keys: unknown[] } } | undefined
  readonly standIn: StandIn | undefined
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
  const nowSec = nowMs / 1000
  const legacy = claimsAltinn2Issuer(token)
  const parts = token.split('.')
  const headerSeg = decodeSegment(parts[0])
  const payloadSeg = decodeSegment(parts[1])
  const header = headerSeg.value
  const claims = payloadSeg.value
  const rules: RuleResult[] = []
  const push = (rule: string, status: RuleStatus, detail: string, code?: ConsentGuardErrorCode): void => {
    rules.push({ rule, status, detail, ...(code !== undefined ? { code } : {}) })
  }
  const failCode = (rule: string, code: ConsentGuardErrorCode, detail?: string): void =>
    push(rule, 'fail', detail ?? ERROR_CODES[code].description, code)

  let syntaxOk = false
  const algorithms = legacy ? ['RS256'] : (cfg?.algorithms ?? ['RS256'])
  const keyName = header?.kid !== undefined ? `kid "${String(header.kid)}"` : `x5t "${String(header?.x5t)}"`
  try {
    parseCompactJws(token, { algorithms, keyId: legacy ? 'kid-or-x5t' : 'kid' })
    syntaxOk = true
    push(
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
    failCode('syntax', err.code, `${err.message}${extra}`)
  }

  const setup = await prepare(token, {
    cfg,
    now,
    header,
    claims,
    syntaxOk,
    legacy,
    ...(options.jwksUri !== undefined ? { jwksUri: options.jwksUri } : {}),
  })
  const o = setup.guard.options
  const verdict = await coreVerdict(setup)

  if (options.jwksUri === undefined) {
    push('signature', 'skip', `NOT CHECKED: decoded only (pass --jwks-uri <${legacy ? 'Altinn 2' : 'issuer'} JWKS> to verify)`)
  } else if (verdict.code !== undefined && SIGNATURE_CODES.has(verdict.code)) {
    failCode('signature', verdict.code, `${ERROR_CODES[verdict.code].description} (${options.jwksUri})`)
  } else if (syntaxOk) {
    // jose verifies the signature before any claim, so every later failure had a good signature.
    push(
      'signature',
      'pass',
      `verified with key ${header?.kid !== undefined ? `"${String(header.kid)}"` : keyName} from ${options.jwksUri}`,
    )
  } else {
    push('signature', 'skip', 'not reached')
  }

  if (claims === undefined) {
    failCode('claims', 'token_malformed', 'the payload is not a JSON object')
    return finish()
  }
  const own = (name: string): unknown => (Object.hasOwn(claims, name) ? claims[name] : undefined)
  const duplicateClaims = (): void => {
    if (payloadSeg.duplicates)
      failCode(
        'json',
        'token_claims_invalid',
        'the payload repeats a member: JSON parsers disagree on which value counts, so the core refuses it',
      )
  }

  let consents: readonly ParsedConsent[] | undefined
  /** Who the consent must be given to (the Maskinporten consumer) and who acts for them. */
  let consumer: string | undefined
  let supplier: string | undefined
  let scopes: readonly string[] = []
  if (legacy) {
    consents = await altinn2TokenRules()
    if (setup.standIn !== undefined) ({ consumer, supplier, scopes } = setup.standIn)
  } else {
    consents = await maskinportenTokenRules()
  }

  const compiled = setup.compiled
  if (cfg === undefined || compiled === undefined) {
    push('requirement', 'skip', 'no route requirement given (--route-config <file> or --resource ...): only the token was checked')
    return finish()
  }

  if (setup.standIn !== undefined) {
    push('access token', 'info', setup.standIn.description)
    const handledBy = consents?.[0]?.handledBy
    if (handledBy !== undefined) {
      if (handledBy === supplier) push('binding', 'pass', `HandledBy ${handledBy} = the access token's supplier`)
      else
        failCode(
          'binding',
          'token_binding_mismatch',
          `HandledBy ${handledBy}, but the access token's supplier is ${supplier ?? '(none)'}: a third party must fetch both tokens`,
        )
    }
  }

  // Scope, delegation and the consumer allow-list, from the compiled requirement.
  const tokenName = legacy ? 'access token' : 'token'
  if (compiled.scope === undefined) push('scope', 'info', `the route requires no scope; ${tokenName} has ${scopes.join(' ') || '(none)'}`)
  else {
    const { mode, scopes: needed } = compiled.scope
    const ok = mode === 'all' ? needed.every((s) => scopes.includes(s)) : needed.some((s) => scopes.includes(s))
    const text = `${tokenName} has "${scopes.join(' ')}"; route needs ${mode === 'all' && needed.length === 1 ? needed[0] : `${mode} of ${needed.join(', ')}`}`
    if (ok) push('scope', 'pass', text)
    else failCode('scope', 'scope_missing', text)
  }
  if (supplier !== undefined) {
    if (compiled.delegation === 'deny')
      failCode('delegation', 'supplier_not_allowed', `supplier ${supplier} acts for ${consumer}; the route denies delegated access`)
    else
      push(
        'delegation',
        'pass',
        `supplier ${supplier} acts for ${consumer}${legacy ? '' : ` (delegation_source ${JSON.stringify(own('delegation_source'))})`}`,
      )
  }
  if (compiled.consumers instanceof Set) {
    const allowed = [...compiled.consumers]
    if (consumer !== undefined && compiled.consumers.has(consumer)) push('consumers', 'pass', `${consumer} is on the allow-list`)
    else failCode('consumers', 'consumer_not_allowed', `${consumer ?? '(none)'} is not on the allow-list ${allowed.join(', ')}`)
  }

  // The request, read by the core as the guard reads it.
  let facts: RequestFacts | undefined
  try {
    facts = readRequestFacts(compiled, setup.request)
    const asks = [`subject ${describeParty(facts.subject)}`]
    for (const [key, rule] of compiled.metadata)
      asks.push('any' in rule ? `${key}: any` : 'equals' in rule ? `${key} = ${facts.equals.get(key) ?? '?'}` : `${key}: check`)
    if (facts.period !== undefined) asks.push(`period ${facts.period.from}..${facts.period.to}`)
    push('request', 'info', `asks for ${asks.join(', ')}`)
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    failCode('request', err.code, requestProblem(err.code, cfg))
  }

  // Consent matching: one entry and one right must satisfy everything on their own (core explainConsents).
  if (consents !== undefined && consents.length === 0) failCode('consent', 'consent_missing', 'the token carries no consent')
  if (consents !== undefined && consents.length > 0 && facts !== undefined) {
    if (consumer === undefined) push('consent', 'skip', 'not matched: the token names no valid consumer')
    else {
      const findings = explainConsents(consents, {
        compiled,
        facts,
        request: setup.request,
        consumer,
        now: nowMs,
        toleranceMs: o.clockTolerance * 1000,
      })
      findings.forEach((finding, i) => renderFinding(finding, findings.length > 1 ? `consent[${i}]` : 'consent', compiled))
    }
  }
  if (compiled.oneTime) {
    push(
      'one-time',
      'info',
      "one-time route: the first accepted request marks the consent as used; any later request is refused (consent_already_used). inspect cannot see the data source's store",
    )
  }
  return finish()

  /**
   * Issuer, lifetime, claims, audience and consent shape of a Maskinporten token. The verdicts come
   * from the core's own `verifyMaskinportenToken` (run on the re-signed copy, so only the signature
   * is left out); this function only says which rule a code belongs to and shows the values.
   */
  async function maskinportenTokenRules(): Promise<readonly ParsedConsent[] | undefined> {
    let code: ConsentGuardErrorCode | undefined
    let verified: MaskinportenToken | undefined
    if (setup.resigned !== undefined) {
      try {
        verified = await verifyMaskinportenToken(setup.resigned.token, {
          issuer: o.issuer,
          getKey: createLocalJWKSet(setup.resigned.jwks as Parameters<typeof createLocalJWKSet>[0]),
          algorithms: o.algorithms,
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.maxTokenAge,
          ...(o.audience !== undefined && { audience: o.audience }),
          requireAudience: o.requireAudience,
          now: () => now,
        })
      } catch (err) {
        if (!isConsentGuardError(err)) throw err
        code = err.code
      }
    }
    const exp = own('exp')
    const iat = own('iat')
    const timesReadable = typeof exp === 'number' && typeof iat === 'number'
    // The rule each token-level code belongs to, in the order the core checks them.
    const ruleOf = (c: ConsentGuardErrorCode | undefined): string | undefined =>
      c === undefined
        ? undefined
        : c === 'token_issuer_invalid'
          ? 'issuer'
          : LIFETIME_CODES.has(c) || (c === 'token_claims_invalid' && !timesReadable)
            ? 'lifetime'
            : c === 'token_claims_invalid'
              ? payloadSeg.duplicates
                ? 'json'
                : 'claims'
              : c === 'token_audience_invalid'
                ? 'audience'
                : c === 'consent_malformed'
                  ? 'consent shape'
                  : undefined
    const order = ['issuer', 'lifetime', 'json', 'claims', 'audience', 'consent shape']
    const failed = ruleOf(code)
    /** pass/fail/skip of `rule` given where the core stopped. */
    const judge = (rule: string, passText: string, failText: string): void => {
      if (setup.resigned === undefined) push(rule, 'skip', 'not reached')
      else if (failed === rule) failCode(rule, code as ConsentGuardErrorCode, failText)
      else if (failed === undefined || order.indexOf(failed) > order.indexOf(rule)) push(rule, 'pass', passText)
      else push(rule, 'skip', `not reached (${failed} failed first)`)
    }

    const iss = own('iss')
    // Without an issuer in the route config the guard was set up with the token's own iss.
    if (cfg?.issuer === undefined) push('issuer', 'info', `not checked (no "issuer" in the route config); iss is ${JSON.stringify(iss)}`)
    else judge('issuer', `iss is ${JSON.stringify(iss)}`, `iss is ${JSON.stringify(iss)}; the route expects ${o.issuer}`)
    const times = timesReadable
      ? `issued ${relative((iat as number) * 1000, nowMs)}, expires ${relative((exp as number) * 1000, nowMs)} (lifetime ${(exp as number) - (iat as number)} s; at most ${o.maxTokenAge} s, tolerance ${o.clockTolerance} s)`
      : 'exp and iat must be numbers'
    const lifetimeProblem: Partial<Record<ConsentGuardErrorCode, string>> = {
      token_expired: 'expired',
      token_not_yet_valid: 'not yet valid (issued in the future)',
      token_lifetime_exceeded: 'lifetime over the cap',
      token_claims_invalid: 'malformed times',
    }
    judge('lifetime', times, `${(code !== undefined && lifetimeProblem[code]) || 'refused'}: ${times}`)
    if (payloadSeg.duplicates)
      judge(
        'json',
        'no repeated members',
        'the payload repeats a member: JSON parsers disagree on which value counts, so the core refuses it',
      )

    consumer = verified?.consumer ?? parseIso6523(own('consumer'))
    supplier = verified !== undefined ? verified.supplier : own('supplier') === undefined ? undefined : parseIso6523(own('supplier'))
    scopes = verified?.scopes ?? (typeof own('scope') === 'string' ? (own('scope') as string).split(' ').filter(Boolean) : [])
    judge(
      'claims',
      `consumer ${consumer}${supplier !== undefined ? `, supplier ${supplier}` : ''}; client_id ${String(own('client_id'))} (never used for access control)`,
      'jti and client_id must be non-empty strings; consumer (and supplier) must be {"authority":"iso6523-actorid-upis","ID":"0192:<orgno>"}; scope a string',
    )
    if (o.audience !== undefined)
      judge('audience', `aud ${JSON.stringify(own('aud'))}`, `aud ${JSON.stringify(own('aud'))}; expected one of ${o.audience.join(', ')}`)

    let parsed: readonly ParsedConsent[] | undefined = verified?.consents
    if (parsed === undefined) {
      try {
        parsed = parseConsents(claims as Record<string, unknown>)
      } catch (err) {
        if (!isConsentGuardError(err)) throw err
      }
    }
    const n = parsed?.length ?? 0
    judge(
      'consent shape',
      n === 0 ? 'no urn:altinn:consent entry in authorization_details' : `${n} well-formed urn:altinn:consent entr${n === 1 ? 'y' : 'ies'}`,
      'authorization_details is malformed (schema, identifiers, timestamps, limits or a repeated id)',
    )
    return failed === 'consent shape' ? undefined : parsed
  }

  async function altinn2TokenRules(): Promise<readonly ParsedConsent[] | undefined> {
    push(
      'issuer',
      'pass',
      `iss is ${ALTINN2_ISSUER}: a legacy Altinn 2 consent token (verified with Altinn 2's key set, never the Maskinporten issuer's)`,
    )
    let code: ConsentGuardErrorCode | undefined
    if (setup.resigned !== undefined) {
      try {
        await verifyAltinn2Token(setup.resigned.token, {
          getKey: createLocalJWKSet(setup.resigned.jwks as Parameters<typeof createLocalJWKSet>[0]),
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.altinn2MaxTokenAge,
          now: () => now,
        })
      } catch (err) {
        if (!isConsentGuardError(err)) throw err
        code = err.code
      }
    }
    const exp = own('exp')
    const nbf = own('nbf')
    const times =
      typeof exp === 'number' && typeof nbf === 'number'
        ? `valid from ${isoSeconds(nbf * 1000)} (${relative(nbf * 1000, nowMs)}), expires ${relative(exp * 1000, nowMs)} (lifetime ${exp - nbf} s; at most ${o.altinn2MaxTokenAge} s)`
        : 'exp and nbf must be numbers (Altinn 2 tokens carry no iat)'
    if (setup.resigned === undefined) push('lifetime', 'skip', 'not reached')
    else if (code !== undefined && LIFETIME_CODES.has(code)) failCode('lifetime', code, `${ERROR_CODES[code].description}: ${times}`)
    else if (code === 'token_claims_invalid' && !payloadSeg.duplicates)
      failCode('lifetime', code, `iss, exp and nbf are required; ${times}`)
    else push('lifetime', 'pass', times)
    duplicateClaims()

    const services = own('Services') ?? own('ServiceCodes')
    push(
      'claims',
      'info',
      [
        `OfferedBy ${String(own('OfferedBy'))}, CoveredBy ${String(own('CoveredBy'))}${own('HandledBy') !== undefined ? `, HandledBy ${String(own('HandledBy'))}` : ''}`,
        `${Object.hasOwn(claims as object, 'ServiceCodes') ? 'ServiceCodes (the older name)' : 'Services'} ${JSON.stringify(services)}`,
        `${typeof own('DelegatedDate') === 'number' ? 'epoch-second' : 'string'} dates`,
      ].join('; '),
    )
    try {
      const consent = parseAltinn2Consent(claims as Record<string, unknown>)
      const names = consent.rights.flatMap((r) => r.resources.map((x) => x.value))
      push(
        'consent shape',
        'pass',
        `Altinn 2 consent, AuthorizationCode ${consent.id}; service${names.length === 1 ? '' : 's'} ${names.join(', ')}`,
      )
      return [consent]
    } catch (err) {
      if (!isConsentGuardError(err)) throw err
      failCode(
        'consent shape',
        err.code,
        'Services/ServiceCodes, AuthorizationCode (a GUID), OfferedBy, CoveredBy, DelegatedDate and ValidToDate must each follow a documented form (domain.md §4.3)',
      )
      return undefined
    }
  }

  function renderFinding(f: ConsentFinding, label: string, compiled: CompiledRequirement<InspectRequest>): void {
    const c = f.consent
    const a2 = c.kind === 'altinn2'
    if (f.to.ok) push(`${label} to`, 'pass', a2 ? `CoveredBy ${c.to} = the access token's consumer` : `given to ${c.to} = the consumer`)
    else
      failCode(
        `${label} to`,
        'consent_not_for_consumer',
        a2
          ? `CoveredBy ${c.to}, but the access token's consumer is ${f.to.consumer}`
          : `given to ${c.to}, but the token's consumer is ${f.to.consumer}`,
      )
    const requested = (facts as RequestFacts).subject
    if (f.from.ok) push(`${label} from`, 'pass', `${a2 ? 'OfferedBy' : 'from'} ${describeParty(c.from)} = the requested subject`)
    else
      failCode(
        `${label} from`,
        'consent_subject_mismatch',
        `consent is from ${describeParty(c.from)}; the request asks about ${describeParty(requested)}`,
      )
    if (f.time === undefined)
      push(
        `${label} time`,
        'pass',
        `consented ${isoSeconds(c.consented)}, valid until ${isoSeconds(c.validTo)} (${relative(c.validTo, nowMs)})`,
      )
    else if (f.time === 'consent_not_yet_valid') failCode(`${label} time`, f.time, `consented ${isoSeconds(c.consented)} is in the future`)
    else failCode(`${label} time`, f.time, `${a2 ? 'ValidToDate' : 'validTo'} ${isoSeconds(c.validTo)} (${relative(c.validTo, nowMs)})`)
    f.rights.forEach((right, j) => renderRight(right, c.rights[j] as ParsedRight, c, `${label} right ${j + 1}`, compiled))
  }

  function renderRight(
    f: RightFinding,
    parsed: ParsedRight,
    c: ParsedConsent,
    label: string,
    compiled: CompiledRequirement<InspectRequest>,
  ): void {
    const a2 = c.kind === 'altinn2'
    const targets = a2 ? (compiled.altinn2Service !== undefined ? [compiled.altinn2Service] : []) : [...compiled.resources]
    const covered = f.resources.find((r) => targets.includes(r))
    const name = a2 ? `service ${covered ?? f.resources.join(', ')}` : (covered ?? compiled.resource)
    if (f.code === 'consent_resource_mismatch') {
      const held = parsed.resources.map((r) =>
        r.type === RESOURCE_TYPE || r.type === ALTINN2_SERVICE_TYPE ? r.value : `${r.value} (type ${JSON.stringify(r.type)})`,
      )
      const needs = a2
        ? targets.length > 0
          ? `service ${targets[0]}`
          : 'an Altinn 2 service, but it names none (add "altinn2": {"serviceCode", "serviceEdition"})'
        : targets.join(' or ')
      return failCode(label, f.code, `covers ${held.join(', ') || '(nothing)'}; the route needs ${needs}`)
    }
    if (f.code === 'consent_action_mismatch')
      return failCode(label, f.code, `actions ${f.actions.join(', ')}; the route needs ${compiled.action}`)
    if (f.code !== undefined) {
      const problems = f.metadata.filter((m) => !m.ok).map((m) => metadataProblem(m, a2))
      return failCode(label, f.code, `${name}: ${problems.join('; ') || ERROR_CODES[f.code].description}`)
    }
    const matched = f.metadata.map(metadataMatch)
    push(label, 'pass', `${name}, action ${compiled.action}${matched.length > 0 ? `, ${matched.join(', ')}` : ''}`)
  }

  function finish(): InspectReport {
    const firstFail = rules.find((r) => r.status === 'fail')
    let note: string | undefined
    if (
      !verdict.accepted &&
      firstFail?.code !== undefined &&
      firstFail.code !== verdict.code &&
      !SIGNATURE_CODES.has(verdict.code as ConsentGuardErrorCode)
    ) {
      note = `the guard reports ${verdict.code}; the explanation's first failure is ${firstFail.code}. When several rights or entries fail, the guard names the one that got furthest.`
    }
    return {
      kind: legacy ? 'altinn2' : 'maskinporten',
      verified: options.jwksUri !== undefined && !(verdict.code !== undefined && SIGNATURE_CODES.has(verdict.code)) && syntaxOk,
      jwksUri: options.jwksUri,
      at: now.toISOString(),
      header,
      claims,
      rules,
      verdict,
      ...(note !== undefined ? { note } : {}),
    }
  }
}

/** Why one metadata finding of the core does not match, in words. */
function metadataProblem(m: MetadataFinding, legacy: boolean): string {
  switch (m.rule) {
    case 'unreadable':
      return legacy
        ? 'metadata is ambiguous (the same key twice with different values)'
        : 'metadata is unreadable (both metadata and metaData, keys differing only in case, or non-string values)'
    case 'unknown':
      return `"${m.key}" is not known to the route (an unknown restriction never matches; declare it with { "any": true })`
    case 'equals':
      return m.consentValue === undefined
        ? `"${m.key}" is missing; the request asks ${m.requestValue}`
        : `${m.key} is ${m.consentValue}; the request asks ${m.requestValue}`
    case 'check':
      return m.consentValue === undefined ? `"${m.key}" is missing` : `${m.key} = ${m.consentValue} fails the route's check`
    case 'period': {
      const [start, end] = (m.consentValue ?? '').split('..')
      return start !== undefined && end !== undefined && periodDay(start, 'start') !== undefined && periodDay(end, 'end') !== undefined
        ? `the consent covers ${m.consentValue}; the request asks ${m.requestValue}`
        : `period ${m.key} is missing or not YYYY-MM / YYYY-MM-DD (${m.consentValue})`
    }
    default:
      return `${m.key}: ${m.rule}`
  }
}

/** A matching metadata finding, in words. */
function metadataMatch(m: MetadataFinding): string {
  switch (m.rule) {
    case 'any':
      return `${m.key}: any`
    case 'period':
      return `period ${m.consentValue} contains ${m.requestValue}`
    case 'check':
      return `${m.key} = ${m.consentValue} passes the check`
    default:
      return `${m.key} = ${m.consentValue}`
  }
}

function requestProblem(code: ConsentGuardErrorCode, cfg: RouteConfig): string {
  switch (code) {
    case 'subject_missing':
      return 'the route config names no "subject" (the person id or orgno the request asks about)'
    case 'subject_invalid':
      return `subject must be an 11-digit person id or a 9-digit orgno${cfg.subjectType !== undefined ? `, and the route accepts only a ${cfg.subjectType}` : ''}`
    case 'request_parameter_missing':
      return "the request lacks a value the route reads (a metadata value, or the period's from/to)"
    case 'request_parameter_invalid':
      return 'a value from the request is invalid (the period must be YYYY-MM or YYYY-MM-DD, from not after to)'
    default:
      return ERROR_CODES[code].description
  }
}

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])

/** A key for re-signing: the checked-in RSA key for RSA algorithms, a generated one otherwise. */
async function throwawayKey(alg: string, kid: string): Promise<SigningKey> {
  if (RSA_ALGS.has(alg)) return deterministicSigningKey('mp-1', { alg: alg as 'RS256', kid })
  return generateSigningKey({ alg: alg as SigningAlgorithm, kid })
}

const jwksResponse = (body: unknown) => async (): Promise<Response> =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })

interface PrepareInput {
  readonly cfg: RouteConfig | undefined
  readonly now: Date
  readonly header: Record<string, unknown> | undefined
  readonly claims: Record<string, unknown> | undefined
  readonly syntaxOk: boolean
  readonly legacy: boolean
  readonly jwksUri?: string
}

/** Compiles the route with the core and builds the guard whose verdict the report gives. */
async function prepare(token: string, input: PrepareInput): Promise<Setup> {
  const { cfg, now, header, claims } = input
  let resigned: Setup['resigned']
  if (input.syntaxOk && header !== undefined) {
    const key = await throwawayKey(String(header.alg), String(header.kid ?? header.x5t))
    const [h, p] = token.split('.') as [string, string]
    resigned = {
      token: signCompact(Buffer.from(h, 'base64url'), Buffer.from(p, 'base64url'), key.privateKey, key.alg),
      jwks: { keys: [key.publicJwk] },
    }
  }
  // Without --jwks-uri the guard trusts only the throwaway key (or nothing, when re-signing was impossible).
  const tokenKeys = input.jwksUri === undefined ? { fetch: jwksResponse(resigned?.jwks ?? { keys: [] }) } : {}
  const candidate = input.jwksUri === undefined ? (resigned?.token ?? token) : token

  let compiled: CompiledRequirement<InspectRequest> | undefined
  const request: InspectRequest = {
    subject: cfg?.subject,
    period: cfg?.period !== undefined ? { from: cfg.period.from, to: cfg.period.to } : undefined,
  }
  const configError = (err: unknown): never => {
    if (err instanceof ConsentGuardConfigError) throw new UsageError(err.message)
    throw err
  }
  if (cfg !== undefined) {
    try {
      compiled = compileRequirement(toRequirement(cfg), 'route config')
    } catch (err) {
      configError(err)
    }
  }
  const common: Partial<ConsentGuardOptions> = {
    clock: () => now,
    auditKey: 'consent-guard-inspect',
    ...(cfg?.clockTolerance !== undefined ? { clockTolerance: cfg.clockTolerance } : {}),
    ...(cfg?.maxTokenAge !== undefined ? { maxTokenAge: cfg.maxTokenAge } : {}),
  }
  let guard: ConsentGuard
  if (!input.legacy) {
    const iss = claims?.iss
    const issuer =
      cfg?.issuer ?? (typeof iss === 'string' && iss !== '' && iss.trim() === iss ? iss : 'urn:consent-guard:inspect:no-issuer')
    try {
      guard = createConsentGuard({
        ...common,
        maskinporten: { issuer, jwksUri: input.jwksUri ?? PLACEHOLDER_JWKS },
        keys: { ...tokenKeys, staleIfErrorMs: 0 },
        ...(cfg?.algorithms !== undefined ? { algorithms: cfg.algorithms } : {}),
        ...(cfg?.audience !== undefined ? { audience: cfg.audience } : {}),
        ...(cfg?.requireAudience !== undefined ? { requireAudience: cfg.requireAudience } : {}),
      })
    } catch (err) {
      return configError(err)
    }
    return { legacy: false, guard, compiled, request, candidate, resigned, standIn: undefined }
  }

  // Altinn 2: two-token mode, the legacy token in the consent header beside a stand-in access token.
  const accessKey = await deterministicSigningKey('mp-1', { kid: 'consent-guard-inspect-access' })
  const issuer = cfg?.issuer ?? 'urn:consent-guard:inspect:access-token'
  try {
    guard = createConsentGuard({
      ...common,
      maskinporten: { issuer, jwksUri: PLACEHOLDER_JWKS },
      keys: { fetch: jwksResponse({ keys: [accessKey.publicJwk] }), staleIfErrorMs: 0 },
      consentHeader: CONSENT_HEADER,
      altinn2: { jwksUri: input.jwksUri ?? PLACEHOLDER_ALTINN2_JWKS },
      altinn2Keys: { ...tokenKeys, staleIfErrorMs: 0 },
      ...(cfg?.altinn2MaxTokenAge !== undefined ? { altinn2MaxTokenAge: cfg.altinn2MaxTokenAge } : {}),
    })
  } catch (err) {
    return configError(err)
  }
  const standIn = compiled === undefined ? undefined : standInFor(cfg as RouteConfig, compiled, claims, { issuer, now, key: accessKey })
  return { legacy: true, guard, compiled, request, candidate, resigned, standIn }
}

/**
 * The Maskinporten token an Altinn 2 token travels beside. inspect reads one token, so this one is
 * assumed: consumer `CoveredBy` and supplier `HandledBy` (the binding then holds by construction)
 * and the route's scopes, unless the route config's `accessToken` names them.
 */
function standInFor(
  cfg: RouteConfig,
  compiled: CompiledRequirement<InspectRequest>,
  claims: Record<string, unknown> | undefined,
  sign: { issuer: string; now: Date; key: SigningKey },
): StandIn {
  const given = cfg.accessToken ?? {}
  const coveredBy = claims?.CoveredBy
  const handledBy = claims?.HandledBy
  const fromToken = (v: unknown): string | undefined => (typeof v === 'string' && ORGNO.test(v) ? v : undefined)
  const consumer = given.consumer ?? fromToken(coveredBy)
  const supplier = given.supplier ?? fromToken(handledBy)
  const scopes = given.scope !== undefined ? given.scope.split(' ').filter((s) => s !== '') : [...(compiled.scope?.scopes ?? [])]
  // No organisation to assume: a consumer no consent can name, so the binding fails visibly.
  const effective = consumer ?? '000000000'
  const claimsOut = maskinportenClaims({
    iss: sign.issuer,
    scope: scopes,
    consumer: effective,
    ...(supplier !== undefined ? { supplier } : {}),
    client_id: 'consent-guard-inspect',
    now: sign.now,
  })
  const token = signCompact({ alg: 'RS256', kid: sign.key.kid }, claimsOut, sign.key.privateKey)
  const source = (value: string | undefined, fromConfig: boolean, claim: string): string =>
    value === undefined
      ? `none (${claim} ${JSON.stringify(claim === 'CoveredBy' ? coveredBy : handledBy)} is not an organisation number)`
      : `${value} (${fromConfig ? 'route config' : `= ${claim}`})`
  const parts = [
    `consumer ${source(consumer, given.consumer !== undefined, 'CoveredBy')}`,
    ...(supplier !== undefined || handledBy !== undefined
      ? [`supplier ${source(supplier, given.supplier !== undefined, 'HandledBy')}`]
      : []),
    `scope "${scopes.join(' ')}"${given.scope !== undefined ? ' (route config)' : " (the route's)"}`,
  ]
  return {
    consumer: effective,
    supplier,
    scopes,
    token,
    description: `NOT GIVEN (inspect reads one token): assumed a valid Maskinporten token beside it with ${parts.join(', ')}. Set "accessToken": {"consumer", "supplier", "scope"} in the route config to check the binding`,
  }
}

/** Runs the real core guard on the token (or on a re-signed copy when no JWKS is given). */
async function coreVerdict(setup: Setup): Promise<Verdict> {
  const { guard, compiled, candidate } = setup
  const o = guard.options
  const reject = (err: unknown, scope: Verdict['scope']): Verdict => {
    if (!isConsentGuardError(err)) throw err
    return { scope, accepted: false, status: err.statusCode, code: err.code, description: err.message }
  }
  if (compiled === undefined) {
    try {
      if (setup.legacy) {
        const keySet = guard.altinn2KeySet as NonNullable<ConsentGuard['altinn2KeySet']>
        await verifyAltinn2Token(candidate, {
          getKey: keySet.getKey,
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.altinn2MaxTokenAge,
          now: o.clock,
        })
      } else {
        await verifyMaskinportenToken(candidate, {
          issuer: o.issuer,
          getKey: guard.keySet.getKey,
          algorithms: o.algorithms,
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.maxTokenAge,
          ...(o.audience !== undefined ? { audience: o.audience } : {}),
          requireAudience: o.requireAudience,
          now: o.clock,
        })
      }
      return { scope: 'token', accepted: true, description: 'the token passes the token checks (no route requirement was given)' }
    } catch (err) {
      return reject(err, 'token')
    }
  }
  const headers =
    setup.standIn !== undefined
      ? { authorization: `Bearer ${setup.standIn.token}`, [CONSENT_HEADER]: candidate }
      : { authorization: `Bearer ${candidate}` }
  try {
    const consent = await guard.check({ headers: headersFromRecord(headers), request: setup.request }, compiled)
    return {
      scope: 'full',
      accepted: true,
      description: `the consent ${consent.id} covers this request${setup.legacy ? ' (beside the assumed access token)' : ''}`,
    }
  } catch (err) {
    return reject(err, 'full')
  }
}

/** JSON with objects spread over lines but short arrays and leaf objects on one line. */
function compactJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value)
  if (typeof value !== 'object' || value === null || flat.length <= 72) return flat
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`)
  return `{\n${entries.join(',\n')}\n${indent}}`
}

const MARK: Record<RuleStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', info: 'INFO' }

/** Human-readable report. Identity numbers are masked unless `showPii`. */
export function renderReport(report: InspectReport, options: { showPii?: boolean; source?: string } = {}): string {
  const lines: string[] = []
  if (report.verified) lines.push(`VERIFIED: signature checked against ${report.jwksUri}.`)
  else {
    lines.push('UNVERIFIED: decoded WITHOUT checking the signature. Anyone can write these claims;')
    const keySet = report.kind === 'altinn2' ? 'Altinn 2 JWKS URL' : 'issuer JWKS URL'
    lines.push(
      'the verdict below assumes the signature is valid.' + (report.jwksUri === undefined ? ` Verify with --jwks-uri <${keySet}>.` : ''),
    )
  }
  lines.push('')
  if (report.kind === 'altinn2')
    lines.push('Kind    legacy Altinn 2 consent token (iss altinn.no): judged in two-token mode, beside a Maskinporten token')
  lines.push(`Header  ${JSON.stringify(report.header ?? '(not JSON)')}`)
  lines.push(`Claims${options.showPii === true ? '' : '  (person ids masked; --show-pii reveals them)'}`)
  lines.push(report.claims === undefined ? '  (not a JSON object)' : compactJson(report.claims).replace(/^/gm, '  '))
  lines.push('')
  lines.push(`Rules at ${report.at}${options.source !== undefined ? ` against ${options.source}` : ''}`)
  const width = Math.max(...report.rules.map((r) => r.rule.length))
  for (const r of report.rules) {
    lines.push(`  ${MARK[r.status]}  ${r.rule.padEnd(width)}  ${r.detail}${r.code !== undefined ? `  [${r.code}]` : ''}`)
  }
  lines.push('')
  const v = report.verdict
  const what = v.scope === 'full' ? 'this request' : 'token checks only'
  lines.push(
    v.accepted
      ? `Verdict (${what}): WOULD PASS: ${v.description}`
      : `Verdict (${what}): WOULD BE REJECTED: ${v.status} ${v.code}: ${v.description}`,
  )
  if (!report.verified) lines.push('         (unverified: the signature was not checked)')
  if (report.note !== undefined) lines.push(`Note: ${report.note}`)
  const text = `${lines.join('\n')}\n`
  return options.showPii === true ? text : maskPii(text)
}

export const INSPECT_HELP = `Usage: consent-guard inspect <token | -> [options]

Decodes a Maskinporten consent token (UNVERIFIED unless --jwks-uri) and explains, rule by rule,
whether it would pass a route's requirement, and why not. The consent conditions are judged by
@consent-guard/core's own explainConsents, and the verdict comes from the core guard itself.
Legacy Altinn 2 consent tokens (iss altinn.no) are judged as in two-token mode. Reads the token
from stdin when it is "-".

Requirement (a JSON file, flags override it):
  --route-config <file>  {"issuer","scope","resource","subject","metadata":{"inntektsaar":"2024"},
                         "period":{"start","end","from","to"},"consumers":[...],"oneTime",...}
                         Altinn 2: "altinn2":{"serviceCode","serviceEdition"}, and optionally
                         "accessToken":{"consumer","supplier","scope"} (default: CoveredBy, HandledBy)
  --issuer <url>         expected iss
  --scope <scope>        required scope(s)
  --resource <id>        consent resource id the route requires
  --subject <id>         person id / orgno the request asks about
  --metadata k=v         metadata value the request requires (repeatable)
  --consumer <orgno>     consumer allow-list entry (repeatable)
  --one-time             the route is one-time
Evaluation:
  --at <iso|epoch>       evaluate at this time (default: now)
  --jwks-uri <url>       verify the signature with this key set (Altinn 2 tokens: Altinn 2's)
Output:
  --json                 machine-readable report
  --show-pii             print person ids unmasked (masked by default)
Exit code: 0 would pass, 1 would be rejected, 2 usage error.
`

export async function inspectCommand(argv: readonly string[], io: CliIo & { stdin?: AsyncIterable<unknown> }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      'route-config': { type: 'string' },
      issuer: { type: 'string' },
      scope: { type: 'string', multiple: true },
      resource: { type: 'string' },
      subject: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      consumer: { type: 'string', multiple: true },
      'one-time': { type: 'boolean' },
      at: { type: 'string' },
      'jwks-uri': { type: 'string' },
      json: { type: 'boolean' },
      'show-pii': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    io.stdout.write(INSPECT_HELP)
    return 0
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one token (or "-" to read it from stdin)')
  let token = positionals[0] as string
  if (token === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of io.stdin ?? process.stdin) chunks.push(Buffer.from(chunk as Buffer))
    token = Buffer.concat(chunks).toString('utf8')
  }
  token = token
    .trim()
    .replace(/^Bearer\s+/i, '')
    .replace(/^"(.*)"$/, '$1')

  let base: Record<string, unknown> = {}
  let source: string | undefined
  if (values['route-config'] !== undefined) {
    let text: string
    try {
      text = await readFile(values['route-config'], 'utf8')
    } catch {
      throw new UsageError(`cannot read --route-config ${values['route-config']}`)
    }
    try {
      base = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new UsageError(`--route-config ${values['route-config']} is not valid JSON`)
    }
    source = values['route-config']
  }
  const flags: Record<string, unknown> = {}
  if (values.issuer !== undefined) flags.issuer = values.issuer
  const scopes = splitScopes(values.scope)
  if (scopes.length > 0) flags.scope = scopes.length === 1 ? scopes[0] : { all: scopes }
  if (values.resource !== undefined) flags.resource = values.resource
  if (values.subject !== undefined) flags.subject = values.subject
  const metadata = parsePairs(values.metadata, '--metadata')
  if (metadata !== undefined) flags.metadata = { ...((base.metadata as object | undefined) ?? {}), ...metadata }
  if (values.consumer !== undefined) flags.consumers = values.consumer
  if (values['one-time'] === true) flags.oneTime = true
  const merged = { ...base, ...flags }
  let config: RouteConfig | undefined
  if (Object.keys(merged).length > 0) {
    config = parseRouteConfig(merged, source ?? 'requirement flags')
    source ??= 'the requirement flags'
  }
  const report = await inspectToken(token, {
    ...(config !== undefined ? { config } : {}),
    ...(values.at !== undefined ? { at: parseInstant(values.at, '--at') } : {}),
    ...(values['jwks-uri'] !== undefined ? { jwksUri: values['jwks-uri'] } : {}),
  })
  if (values.json === true) {
    const text = `${JSON.stringify(report, null, 2)}\n`
    io.stdout.write(values['show-pii'] === true ? text : maskPii(text))
  } else {
    io.stdout.write(renderReport(report, { showPii: values['show-pii'] === true, ...(source !== undefined ? { source } : {}) }))
  }
  return report.verdict.accepted ? 0 : 1
}
