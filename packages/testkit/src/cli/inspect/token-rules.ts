import { createLocalJWKSet } from 'jose'
import { ERROR_CODES, isConsentGuardError, type ConsentGuardErrorCode } from '@consent-guard/core'
import {
  ALTINN2_ISSUER,
  parseAltinn2Consent,
  parseConsents,
  organizationText,
  parseOrganizationIdentifier,
  verifyAltinn2Token,
  verifyMaskinportenToken,
  type MaskinportenToken,
  type ParsedConsent,
} from '@consent-guard/core/pipeline'
import { isoSeconds, relative } from '../common.js'
import type { RouteConfig } from '../route-config.js'
import { ruleOfCode, type RuleLog } from './report.js'
import type { Setup } from './setup.js'
import type { Segment } from './token.js'

/** What the token rules read and where they write. */
export interface TokenRuleContext {
  readonly log: RuleLog
  readonly setup: Setup
  readonly cfg: RouteConfig | undefined
  readonly claims: Record<string, unknown>
  readonly payloadSeg: Segment
  readonly now: Date
}

/** What the token says about the consumer, as far as the rules could read it. */
export interface TokenFacts {
  readonly consents: readonly ParsedConsent[] | undefined
  /** Who the consent must be given to (the Maskinporten consumer) and who acts for them. */
  readonly consumer: string | undefined
  readonly supplier: string | undefined
  readonly scopes: readonly string[]
}

const ownClaim =
  (claims: Record<string, unknown>) =>
  (name: string): unknown =>
    Object.hasOwn(claims, name) ? claims[name] : undefined

/**
 * Issuer, lifetime, claims, audience and consent shape of a Maskinporten token. The verdicts come
 * from the core's own `verifyMaskinportenToken` (run on the re-signed copy, so only the signature
 * is left out); this function only says which rule a code belongs to and shows the values.
 */
export async function maskinportenTokenRules(ctx: TokenRuleContext): Promise<TokenFacts> {
  const { log, setup, cfg, claims, payloadSeg, now } = ctx
  const o = setup.guard.options
  const nowMs = now.getTime()
  const own = ownClaim(claims)
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
        audience: o.audience,
        requireAudience: o.requireAudience,
        consumerAuthorities: o.consumerAuthorities,
        nowMs: () => now.getTime(),
      })
    } catch (err) {
      if (!isConsentGuardError(err)) throw err
      code = err.code
    }
  }
  const exp = own('exp')
  const iat = own('iat')
  const timesReadable = typeof exp === 'number' && typeof iat === 'number'
  const order = ['issuer', 'lifetime', 'json', 'claims', 'audience', 'consent shape']
  // The rule a code belongs to is the core's stage of the code; unreadable times are explained by
  // the lifetime rule, a repeated member by the json rule.
  const ruleOf = (c: ConsentGuardErrorCode | undefined): string | undefined => {
    if (c === undefined) return undefined
    if (c === 'token_claims_invalid' && !timesReadable) return 'lifetime'
    if (c === 'token_claims_invalid' && payloadSeg.duplicates) return 'json'
    const rule = ruleOfCode(c)
    return order.includes(rule) ? rule : undefined
  }
  const failed = ruleOf(code)
  /** pass/fail/skip of `rule` given where the core stopped. */
  const judge = (rule: string, passText: string, failText: string): void => {
    if (setup.resigned === undefined) log.push(rule, 'skip', 'not reached')
    else if (failed === rule) log.fail(rule, code as ConsentGuardErrorCode, failText)
    else if (failed === undefined || order.indexOf(failed) > order.indexOf(rule)) log.push(rule, 'pass', passText)
    else log.push(rule, 'skip', `not reached (${failed} failed first)`)
  }

  const iss = own('iss')
  // Without an issuer in the route config the guard was set up with the token's own iss.
  if (cfg?.issuer === undefined) log.push('issuer', 'info', `not checked (no "issuer" in the route config); iss is ${JSON.stringify(iss)}`)
  else judge('issuer', `iss is ${JSON.stringify(iss)}`, `iss is ${JSON.stringify(iss)}; the route expects ${o.issuer}`)
  const times = timesReadable
    ? `issued ${relative(iat * 1000, nowMs)}, expires ${relative(exp * 1000, nowMs)} (lifetime ${exp - iat} s; at most ${o.maxTokenAge} s, tolerance ${o.clockTolerance} s)`
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

  const consumer = verified?.consumer ?? readOrganization(own('consumer'))
  const supplier =
    verified !== undefined ? verified.supplier : own('supplier') === undefined ? undefined : readOrganization(own('supplier'))
  const scopes: readonly string[] =
    verified?.scopes ?? (typeof own('scope') === 'string' ? (own('scope') as string).split(' ').filter(Boolean) : [])
  judge(
    'claims',
    `consumer ${consumer}${supplier !== undefined ? `, supplier ${supplier}` : ''}; client_id ${String(own('client_id'))} (never used for access control)`,
    code === 'consumer_identifier_unsupported'
      ? `consumer ${consumer ?? '?'}${supplier !== undefined ? `, supplier ${supplier}` : ''}: only {"authority":"iso6523-actorid-upis","ID":"0192:<orgno>"} and the authorities in consumerAuthorities are accepted`
      : 'jti and client_id must be non-empty strings; consumer (and supplier) must be {"authority":"iso6523-actorid-upis","ID":"0192:<orgno>"} (or of an authority in consumerAuthorities); scope a string',
  )
  if (o.audience !== undefined)
    judge('audience', `aud ${JSON.stringify(own('aud'))}`, `aud ${JSON.stringify(own('aud'))}; expected one of ${o.audience.join(', ')}`)

  let parsed: readonly ParsedConsent[] | undefined = verified?.consents
  if (parsed === undefined) {
    try {
      parsed = parseConsents(claims)
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
  return { consents: failed === 'consent shape' ? undefined : parsed, consumer, supplier, scopes }
}

export async function altinn2TokenRules(ctx: TokenRuleContext): Promise<readonly ParsedConsent[] | undefined> {
  const { log, setup, claims, payloadSeg, now } = ctx
  const o = setup.guard.options
  const nowMs = now.getTime()
  const own = ownClaim(claims)
  log.push(
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
        nowMs: () => now.getTime(),
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
  if (setup.resigned === undefined) log.push('lifetime', 'skip', 'not reached')
  else if (code !== undefined && ruleOfCode(code) === 'lifetime') log.fail('lifetime', code, `${ERROR_CODES[code].description}: ${times}`)
  else if (code === 'token_claims_invalid' && !payloadSeg.duplicates) log.fail('lifetime', code, `iss, exp and nbf are required; ${times}`)
  else log.push('lifetime', 'pass', times)
  if (payloadSeg.duplicates)
    log.fail(
      'json',
      'token_claims_invalid',
      'the payload repeats a member: JSON parsers disagree on which value counts, so the core refuses it',
    )

  const services = own('Services') ?? own('ServiceCodes')
  log.push(
    'claims',
    'info',
    [
      `OfferedBy ${String(own('OfferedBy'))}, CoveredBy ${String(own('CoveredBy'))}${own('HandledBy') !== undefined ? `, HandledBy ${String(own('HandledBy'))}` : ''}`,
      `${Object.hasOwn(claims, 'ServiceCodes') ? 'ServiceCodes (the older name)' : 'Services'} ${JSON.stringify(services)}`,
      `${typeof own('DelegatedDate') === 'number' ? 'epoch-second' : 'string'} dates`,
    ].join('; '),
  )
  try {
    const consent = parseAltinn2Consent(claims)
    const names = consent.rights.flatMap((r) => r.resources.map((x) => x.value))
    log.push(
      'consent shape',
      'pass',
      `Altinn 2 consent, AuthorizationCode ${consent.id}; service${names.length === 1 ? '' : 's'} ${names.join(', ')}`,
    )
    return [consent]
  } catch (err) {
    if (!isConsentGuardError(err)) throw err
    log.fail(
      'consent shape',
      err.code,
      'Services/ServiceCodes, AuthorizationCode (a GUID), OfferedBy, CoveredBy, DelegatedDate and ValidToDate must each follow a documented form (docs/migration.md)',
    )
    return undefined
  }
}

/** The string form of a `consumer`/`supplier` claim (orgno, or `<authority>:<id>`), when it is an identifier at all. */
function readOrganization(value: unknown): string | undefined {
  const identifier = parseOrganizationIdentifier(value)
  return identifier === undefined ? undefined : organizationText(identifier)
}
