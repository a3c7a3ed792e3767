import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  ConsentGuardConfigError,
  createConsentGuard,
  ERROR_CODES,
  headersFromRecord,
  isConsentGuardError,
  parseCompactJws,
  parseConsents,
  parseIso6523,
  partyFromIdentifier,
  RESOURCE_TYPE,
  verifyMaskinportenToken,
  type ConsentGuardErrorCode,
  type ParsedConsent,
  type ParsedRight,
  type Party,
} from '@consent-guard/core'
import { deterministicSigningKey, generateSigningKey, type SigningAlgorithm, type SigningKey } from '../keys.js'
import { signCompact } from '../sign.js'
import { isoSeconds, maskPii, parseInstant, parsePairs, relative, splitScopes, UsageError, type CliIo } from './common.js'
import { parseRouteConfig, ruleValue, toRequirement, type InspectRequest, type RouteConfig } from './route-config.js'

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
  /** Verify the signature with this key set (the issuer's `/jwk`). Without it: decode only. */
  readonly jwksUri?: string
}

const SIGNATURE_CODES = new Set<ConsentGuardErrorCode>(['token_key_unknown', 'token_signature_invalid', 'jwks_unavailable'])

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const describeParty = (p: Party): string => `${p.type} ${p.id}`

/**
 * Decodes a token and explains, rule by rule, whether it would pass a route requirement, then asks
 * the core guard for the verdict. Without `jwksUri` nothing about the signature is known: the
 * verdict is computed on a copy re-signed with a throwaway key (so every other check is the real
 * core code), and the report is marked unverified.
 */
export async function inspectToken(token: string, options: InspectOptions = {}): Promise<InspectReport> {
  const cfg = options.config
  const now = options.at ?? new Date()
  const nowMs = now.getTime()
  const nowSec = nowMs / 1000
  const tolerance = cfg?.clockTolerance ?? 10
  const maxAge = cfg?.maxTokenAge ?? 3600
  const algorithms = cfg?.algorithms ?? ['RS256']
  const parts = token.split('.')
  const header = decodeSegment(parts[0])
  const claims = decodeSegment(parts[1])
  const rules: RuleResult[] = []
  const push = (rule: string, status: RuleStatus, detail: string, code?: ConsentGuardErrorCode): void => {
    rules.push({ rule, status, detail, ...(code !== undefined ? { code } : {}) })
  }
  const failCode = (rule: string, code: ConsentGuardErrorCode, detail?: string): void => push(rule, 'fail', detail ?? ERROR_CODES[code].description, code)

  let syntaxOk = false
  try {
    parseCompactJws(token, { algorithms })
    syntaxOk = true
    push('syntax', 'pass', `compact JWS; alg ${String(header?.alg)} is allowed (${algorithms.join(', ')}); kid "${String(header?.kid)}"`)
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    const extra = err.code === 'token_algorithm_not_allowed' ? ` (alg ${JSON.stringify(header?.alg)}; allowed ${algorithms.join(', ')})` : ''
    failCode('syntax', err.code, `${err.message}${extra}`)
  }

  const verdict = await coreVerdict(token, { ...(cfg !== undefined ? { cfg } : {}), now, header, claims, syntaxOk, ...(options.jwksUri !== undefined ? { jwksUri: options.jwksUri } : {}) })

  if (options.jwksUri === undefined) {
    push('signature', 'skip', 'NOT CHECKED: decoded only (pass --jwks-uri <issuer JWKS> to verify)')
  } else if (verdict.code !== undefined && SIGNATURE_CODES.has(verdict.code)) {
    failCode('signature', verdict.code, `${ERROR_CODES[verdict.code].description} (${options.jwksUri})`)
  } else if (syntaxOk) {
    // jose verifies the signature before any claim, so every later failure had a good signature.
    push('signature', 'pass', `verified with key "${String(header?.kid)}" from ${options.jwksUri}`)
  } else {
    push('signature', 'skip', 'not reached')
  }

  if (claims === undefined) {
    failCode('claims', 'token_malformed', 'the payload is not a JSON object')
    return finish()
  }
  const own = (name: string): unknown => (Object.hasOwn(claims, name) ? claims[name] : undefined)

  // Issuer
  const iss = own('iss')
  if (cfg?.issuer !== undefined) {
    if (iss === cfg.issuer) push('issuer', 'pass', `iss is ${cfg.issuer}`)
    else failCode('issuer', 'token_issuer_invalid', `iss is ${JSON.stringify(iss)}; the route expects ${cfg.issuer}`)
  } else {
    push('issuer', 'info', `not checked (no "issuer" in the route config); iss is ${JSON.stringify(iss)}`)
  }

  // Lifetime
  const exp = own('exp')
  const iat = own('iat')
  const nbf = own('nbf')
  if (typeof exp !== 'number' || typeof iat !== 'number') {
    failCode('lifetime', 'token_claims_invalid', 'exp and iat must be numbers')
  } else if (nowSec - tolerance >= exp) {
    failCode('lifetime', 'token_expired', `expired ${relative(exp * 1000, nowMs)} (exp ${isoSeconds(exp * 1000)})`)
  } else if (iat > nowSec + tolerance || (typeof nbf === 'number' && nbf > nowSec + tolerance)) {
    failCode('lifetime', 'token_not_yet_valid', `issued in the future: iat ${isoSeconds(iat * 1000)} (${relative(iat * 1000, nowMs)})`)
  } else if (exp - iat > maxAge || exp <= iat) {
    failCode('lifetime', 'token_lifetime_exceeded', `exp - iat = ${exp - iat} s; allowed 1-${maxAge} s`)
  } else if (nowSec - iat > maxAge + tolerance) {
    failCode('lifetime', 'token_expired', `issued ${relative(iat * 1000, nowMs)}, older than ${maxAge} s`)
  } else {
    push('lifetime', 'pass', `issued ${relative(iat * 1000, nowMs)}, expires ${relative(exp * 1000, nowMs)} (lifetime ${exp - iat} s)`)
  }

  // Maskinporten claims
  const consumer = parseIso6523(own('consumer'))
  const supplier = own('supplier') === undefined ? undefined : parseIso6523(own('supplier'))
  const clientId = own('client_id')
  if (typeof own('jti') !== 'string' || typeof clientId !== 'string' || consumer === undefined || (own('supplier') !== undefined && supplier === undefined)) {
    failCode('claims', 'token_claims_invalid', 'jti and client_id must be strings; consumer (and supplier) must be {"authority":"iso6523-actorid-upis","ID":"0192:<orgno>"}')
  } else {
    push('claims', 'pass', `consumer ${consumer}${supplier !== undefined ? `, supplier ${supplier}` : ''}; client_id ${clientId} (never used for access control)`)
  }
  if (cfg?.audience !== undefined) {
    const expected = typeof cfg.audience === 'string' ? [cfg.audience] : [...cfg.audience]
    const aud = own('aud')
    const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
    if (aud === undefined && cfg.requireAudience !== true) push('audience', 'pass', 'no aud (not audience-restricted); accepted')
    else if (values.some((v) => expected.includes(v as string))) push('audience', 'pass', `aud ${JSON.stringify(aud)}`)
    else failCode('audience', 'token_audience_invalid', `aud ${JSON.stringify(aud)}; expected one of ${expected.join(', ')}`)
  }

  // Consent shape
  let consents: readonly ParsedConsent[] | undefined
  try {
    consents = parseConsents(claims)
    const n = consents.length
    push('consent shape', n === 0 ? 'info' : 'pass', n === 0 ? 'no urn:altinn:consent entry in authorization_details' : `${n} well-formed urn:altinn:consent entr${n === 1 ? 'y' : 'ies'}`)
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    failCode('consent shape', err.code, 'authorization_details is malformed (schema, identifiers, timestamps, limits or a repeated id)')
  }

  if (cfg === undefined) {
    push('requirement', 'skip', 'no route requirement given (--route-config <file> or --resource ...): only the token was checked')
    return finish()
  }

  // Scope
  const scopes = typeof own('scope') === 'string' ? (own('scope') as string).split(' ').filter(Boolean) : []
  if (cfg.scope === undefined) push('scope', 'info', `the route requires no scope; token has ${scopes.join(' ') || '(none)'}`)
  else {
    const mode = typeof cfg.scope === 'string' || 'all' in cfg.scope ? 'all' : 'any'
    const needed = typeof cfg.scope === 'string' ? [cfg.scope] : 'all' in cfg.scope ? [...cfg.scope.all] : [...cfg.scope.any]
    const ok = mode === 'all' ? needed.every((s) => scopes.includes(s)) : needed.some((s) => scopes.includes(s))
    const text = `token has "${scopes.join(' ')}"; route needs ${mode === 'all' && needed.length === 1 ? needed[0] : `${mode} of ${needed.join(', ')}`}`
    if (ok) push('scope', 'pass', text)
    else failCode('scope', 'scope_missing', text)
  }

  // Delegation and consumer allow-list
  if (supplier !== undefined) {
    if (cfg.delegation === 'deny') failCode('delegation', 'supplier_not_allowed', `supplier ${supplier} acts for ${consumer}; the route denies delegated access`)
    else push('delegation', 'pass', `supplier ${supplier} acts for ${consumer} (delegation_source ${JSON.stringify(own('delegation_source'))})`)
  }
  if (cfg.consumers !== undefined) {
    if (consumer !== undefined && cfg.consumers.includes(consumer)) push('consumers', 'pass', `${consumer} is on the allow-list`)
    else failCode('consumers', 'consumer_not_allowed', `${consumer ?? '(none)'} is not on the allow-list ${cfg.consumers.join(', ')}`)
  }

  // The request
  let subject: Party | undefined
  if (cfg.subject === undefined || cfg.subject === '') failCode('request', 'subject_missing', 'the route config names no "subject" (the person id or orgno the request asks about)')
  else {
    subject = partyFromIdentifier(cfg.subject)
    if (subject === undefined) failCode('request', 'subject_invalid', 'subject must be an 11-digit person id or a 9-digit orgno')
    else if (cfg.subjectType !== undefined && subject.type !== cfg.subjectType) {
      failCode('request', 'subject_invalid', `subject is a ${subject.type}; the route accepts only ${cfg.subjectType}`)
      subject = undefined
    } else {
      const asks = [
        `subject ${describeParty(subject)}`,
        ...Object.entries(cfg.metadata ?? {}).map(([k, r]) => {
          const v = ruleValue(r)
          return typeof v === 'string' ? `${k} = ${v}` : `${k}: any`
        }),
        ...(cfg.period !== undefined ? [`period ${cfg.period.from}..${cfg.period.to}`] : []),
      ]
      push('request', 'info', `asks for ${asks.join(', ')}`)
    }
  }

  // Consent matching: one entry and one right must satisfy everything on their own.
  if (consents !== undefined && consents.length === 0) failCode('consent', 'consent_missing', 'the token carries no consent')
  if (consents !== undefined && subject !== undefined) {
    consents.forEach((consent, i) => explainConsent(consent, i, consumer, subject as Party))
  }
  if (cfg.oneTime === true) {
    push('one-time', 'info', 'one-time route: the first accepted request marks the consent as used; any later request is refused (consent_already_used). inspect cannot see the data source\'s store')
  }
  return finish()

  function explainConsent(consent: ParsedConsent, i: number, tokenConsumer: string | undefined, requested: Party): void {
    const label = consents !== undefined && consents.length > 1 ? `consent[${i}]` : 'consent'
    if (consent.to !== tokenConsumer) failCode(`${label} to`, 'consent_not_for_consumer', `given to ${consent.to}, but the token's consumer is ${tokenConsumer}`)
    else push(`${label} to`, 'pass', `given to ${consent.to} = the consumer`)
    if (consent.from.type !== requested.type || consent.from.id !== requested.id) {
      failCode(`${label} from`, 'consent_subject_mismatch', `consent is from ${describeParty(consent.from)}; the request asks about ${describeParty(requested)}`)
    } else push(`${label} from`, 'pass', `from ${describeParty(consent.from)} = the requested subject`)
    if (consent.consented > nowMs + tolerance * 1000) failCode(`${label} time`, 'consent_not_yet_valid', `consented ${isoSeconds(consent.consented)} is in the future`)
    else if (nowMs >= consent.validTo || consent.validTo <= consent.consented) failCode(`${label} time`, 'consent_expired', `validTo ${isoSeconds(consent.validTo)} (${relative(consent.validTo, nowMs)})`)
    else push(`${label} time`, 'pass', `consented ${isoSeconds(consent.consented)}, valid until ${isoSeconds(consent.validTo)} (${relative(consent.validTo, nowMs)})`)
    consent.rights.forEach((right, j) => explainRight(right, `${label} right ${j + 1}`))
  }

  function explainRight(right: ParsedRight, label: string): void {
    const c = cfg as RouteConfig
    const resources = right.resources.filter((r) => r.type === RESOURCE_TYPE).map((r) => r.value)
    if (!resources.includes(c.resource)) return failCode(label, 'consent_resource_mismatch', `covers ${resources.join(', ') || '(no urn:altinn:resource)'}; the route needs ${c.resource}`)
    const action = c.action ?? 'consent'
    if (!right.actions.includes(action)) return failCode(label, 'consent_action_mismatch', `actions ${right.actions.join(', ')}; the route needs ${action}`)
    if (right.metadata.status !== 'ok') return failCode(label, 'consent_metadata_mismatch', 'metadata is unreadable (both metadata and metaData, keys differing only in case, or non-string values)')
    const values = right.metadata.values
    const known = new Set([...Object.keys(c.metadata ?? {}).map((k) => k.toLowerCase()), ...(c.period !== undefined ? [c.period.start.toLowerCase(), c.period.end.toLowerCase()] : [])])
    const problems: string[] = []
    for (const key of values.keys()) {
      if (!known.has(key)) problems.push(`"${key}" is not known to the route (an unknown restriction never matches; declare it with { "any": true })`)
    }
    const matched: string[] = []
    for (const [key, rule] of Object.entries(c.metadata ?? {})) {
      const v = ruleValue(rule)
      const have = values.get(key.toLowerCase())
      if (typeof v !== 'string') matched.push(`${key}: any`)
      else if (have === undefined) problems.push(`"${key}" is missing; the request asks ${v}`)
      else if (have !== v) problems.push(`${key} is ${have}; the request asks ${v}`)
      else matched.push(`${key} = ${have}`)
    }
    if (c.period !== undefined) {
      const start = values.get(c.period.start.toLowerCase())
      const end = values.get(c.period.end.toLowerCase())
      const ym = /^\d{4}-(0[1-9]|1[0-2])$/
      if (start === undefined || end === undefined || !ym.test(start) || !ym.test(end) || start > end) {
        problems.push(`period ${c.period.start}..${c.period.end} is missing or invalid (${start ?? '?'}..${end ?? '?'})`)
      } else if (c.period.from < start || c.period.to > end) {
        problems.push(`the consent covers ${start}..${end}; the request asks ${c.period.from}..${c.period.to}`)
      } else matched.push(`period ${start}..${end} contains ${c.period.from}..${c.period.to}`)
    }
    if (problems.length > 0) return failCode(label, 'consent_metadata_mismatch', `${c.resource}: ${problems.join('; ')}`)
    push(label, 'pass', `${c.resource}, action ${action}${matched.length > 0 ? `, ${matched.join(', ')}` : ''}`)
  }

  function finish(): InspectReport {
    const firstFail = rules.find((r) => r.status === 'fail')
    let note: string | undefined
    if (!verdict.accepted && firstFail?.code !== undefined && firstFail.code !== verdict.code && !SIGNATURE_CODES.has(verdict.code as ConsentGuardErrorCode)) {
      note = `the guard reports ${verdict.code}; the explanation's first failure is ${firstFail.code}. When several rights or entries fail, the guard names the one that got furthest.`
    }
    return {
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

interface VerdictInput {
  readonly cfg?: RouteConfig
  readonly now: Date
  readonly header: Record<string, unknown> | undefined
  readonly claims: Record<string, unknown> | undefined
  readonly syntaxOk: boolean
  readonly jwksUri?: string
}

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])

/** A key for re-signing: the checked-in RSA key for RSA algorithms, a generated one otherwise. */
async function throwawayKey(alg: string, kid: string): Promise<SigningKey> {
  if (RSA_ALGS.has(alg)) return deterministicSigningKey('mp-1', { alg: alg as 'RS256', kid })
  return generateSigningKey({ alg: alg as SigningAlgorithm, kid })
}

/** Runs the real core guard on the token (or on a re-signed copy when no JWKS is given). */
async function coreVerdict(token: string, input: VerdictInput): Promise<Verdict> {
  const { cfg, now, header, claims } = input
  let candidate = token
  let fetchImpl: ((url: string, init: RequestInit) => Promise<Response>) | undefined
  if (input.jwksUri === undefined && input.syntaxOk && header !== undefined) {
    const key = await throwawayKey(String(header.alg), String(header.kid))
    const [h, p] = token.split('.') as [string, string]
    candidate = signCompact(Buffer.from(h, 'base64url'), Buffer.from(p, 'base64url'), key.privateKey, key.alg)
    const body = JSON.stringify({ keys: [key.publicJwk] })
    fetchImpl = async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  } else if (input.jwksUri === undefined) {
    fetchImpl = async () => new Response('{"keys":[]}', { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const iss = claims?.iss
  const issuer = cfg?.issuer ?? (typeof iss === 'string' && iss !== '' && iss.trim() === iss ? iss : 'urn:consent-guard:inspect:no-issuer')
  let guard: ReturnType<typeof createConsentGuard>
  try {
    guard = createConsentGuard({
      maskinporten: { issuer, jwksUri: input.jwksUri ?? 'http://127.0.0.1/consent-guard-inspect/jwk' },
      keys: { ...(fetchImpl !== undefined ? { fetch: fetchImpl } : {}), staleIfErrorMs: 0 },
      clock: () => now,
      auditKey: 'consent-guard-inspect',
      ...(cfg?.algorithms !== undefined ? { algorithms: cfg.algorithms } : {}),
      ...(cfg?.clockTolerance !== undefined ? { clockTolerance: cfg.clockTolerance } : {}),
      ...(cfg?.maxTokenAge !== undefined ? { maxTokenAge: cfg.maxTokenAge } : {}),
      ...(cfg?.audience !== undefined ? { audience: cfg.audience } : {}),
      ...(cfg?.requireAudience !== undefined ? { requireAudience: cfg.requireAudience } : {}),
    })
  } catch (err) {
    if (err instanceof ConsentGuardConfigError) throw new UsageError(err.message)
    throw err
  }
  const reject = (err: unknown, scope: Verdict['scope']): Verdict => {
    if (!isConsentGuardError(err)) throw err
    return { scope, accepted: false, status: err.statusCode, code: err.code, description: err.message }
  }
  if (cfg === undefined) {
    const o = guard.options
    try {
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
      return { scope: 'token', accepted: true, description: 'the token passes the token checks (no route requirement was given)' }
    } catch (err) {
      return reject(err, 'token')
    }
  }
  let compiled: ReturnType<typeof guard.compile<InspectRequest>>
  try {
    compiled = guard.compile(toRequirement(cfg), 'route config')
  } catch (err) {
    if (err instanceof ConsentGuardConfigError) throw new UsageError(err.message)
    throw err
  }
  try {
    const request: InspectRequest = { subject: cfg.subject, period: cfg.period !== undefined ? { from: cfg.period.from, to: cfg.period.to } : undefined }
    const consent = await guard.check({ headers: headersFromRecord({ authorization: `Bearer ${candidate}` }), request }, compiled)
    return { scope: 'full', accepted: true, description: `the consent ${consent.id} covers this request` }
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
    lines.push('the verdict below assumes the signature is valid.' + (report.jwksUri === undefined ? ' Verify with --jwks-uri <issuer JWKS URL>.' : ''))
  }
  lines.push('')
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
  lines.push(v.accepted ? `Verdict (${what}): WOULD PASS: ${v.description}` : `Verdict (${what}): WOULD BE REJECTED: ${v.status} ${v.code}: ${v.description}`)
  if (!report.verified) lines.push('         (unverified: the signature was not checked)')
  if (report.note !== undefined) lines.push(`Note: ${report.note}`)
  const text = `${lines.join('\n')}\n`
  return options.showPii === true ? text : maskPii(text)
}

export const INSPECT_HELP = `Usage: consent-guard inspect <token | -> [options]

Decodes a Maskinporten consent token (UNVERIFIED unless --jwks-uri) and explains, rule by rule,
whether it would pass a route's requirement, and why not. The verdict comes from the
@consent-guard/core guard itself. Reads the token from stdin when it is "-".

Requirement (a JSON file, flags override it):
  --route-config <file>  {"issuer","scope","resource","subject","metadata":{"inntektsaar":"2024"},
                         "period":{"start","end","from","to"},"consumers":[...],"oneTime",...}
  --issuer <url>         expected iss
  --scope <scope>        required scope(s)
  --resource <id>        consent resource id the route requires
  --subject <id>         person id / orgno the request asks about
  --metadata k=v         metadata value the request requires (repeatable)
  --consumer <orgno>     consumer allow-list entry (repeatable)
  --one-time             the route is one-time
Evaluation:
  --at <iso|epoch>       evaluate at this time (default: now)
  --jwks-uri <url>       verify the signature with this key set
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
  token = token.trim().replace(/^Bearer\s+/i, '').replace(/^"(.*)"$/, '$1')

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
