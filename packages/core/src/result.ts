import type { Party } from './consent/identifiers.js'
import type { OrganizationIdentifier } from './consent/organization.js'
import type { ParsedRight } from './consent/parse.js'
import type { ConsentMatch } from './requirement/evaluate.js'
import type { MaskinportenToken } from './tokens/verify-token.js'
import type { Altinn2Token } from './tokens/verify-altinn2.js'
import { RESOURCE_TYPE } from './consent/schema.js'
import { ALTINN2_SERVICE_TYPE } from './consent/altinn2.js'

/** One consent right, in the form handlers use. */
export interface ConsentRight {
  readonly actions: readonly string[]
  /** Resource ids (`urn:altinn:resource` values) the right covers; for Altinn 2, `{serviceCode}_{serviceEdition}`. */
  readonly resources: readonly string[]
  /** Metadata with lower-case keys, e.g. `{ inntektsaar: '2024' }`. Empty when unreadable. */
  readonly metadata: Readonly<Record<string, string>>
}

/** Facts about one verified Maskinporten token. */
export interface TokenInfo {
  readonly kind: 'maskinporten'
  readonly issuer: string
  readonly jti: string
  /** The Maskinporten client. Logged, never used for access control (Digdir). */
  readonly clientId: string
  readonly scopes: readonly string[]
  readonly expiresAt: Date
}

/** Facts about a verified Altinn 2 consent token (it has no `jti`, client or scopes). */
export interface Altinn2TokenInfo {
  readonly kind: 'altinn2'
  /** Always `altinn.no`. */
  readonly issuer: string
  readonly expiresAt: Date
}

/**
 * The verified consent a guarded handler receives. Frozen. `JSON.stringify` masks the subject's
 * identity number, so logging the object does not leak it; read `subject.id` in code.
 */
export interface VerifiedConsent {
  /**
   * `altinn3`: a Maskinporten token with `authorization_details` (migrated consents included);
   * `altinn2`: a legacy token signed by Altinn, in two-token mode.
   */
  readonly kind: 'altinn3' | 'altinn2'
  /** The consent id (Altinn 3: the consent request id; Altinn 2: the `AuthorizationCode`). */
  readonly id: string
  /** Whose data the consent covers (the consent's `from`, equal to the requested subject). */
  readonly subject: Party
  /**
   * The consumer the consent was given to: its organisation number (Norwegian form), or
   * `<authority>:<id>` for an identifier of another accepted authority (`consumerAuthorities`).
   */
  readonly consumer: string
  /** The consumer as the token names it: authority and ID, exact. */
  readonly consumerIdentifier: OrganizationIdentifier
  /** The supplier acting for the consumer, if delegated, in the same string form as `consumer`. */
  readonly supplier: string | undefined
  /** The supplier as the token names it, if delegated. */
  readonly supplierIdentifier: OrganizationIdentifier | undefined
  /** Where the consumer → supplier delegation was registered, if delegated. */
  readonly delegationSource: string | undefined
  readonly consented: Date
  /** Exclusive end of validity. */
  readonly validTo: Date
  /** The route's resource that the consent matched. */
  readonly resource: string
  /** The route's action that the consent matched (`consent` unless the route names another). */
  readonly action: string
  /** The right that satisfied the requirement. */
  readonly right: ConsentRight
  /** All rights of the consent. */
  readonly rights: readonly ConsentRight[]
  /** The access token (Authorization). */
  readonly token: TokenInfo
  /** The consent token, in two-token mode. */
  readonly consentToken: TokenInfo | Altinn2TokenInfo | undefined
  /** Set on one-time routes: the records that mark this consent (`key`) and its token (`tokenKey`) as used. */
  readonly oneTime: { readonly key: string; readonly tokenKey?: string } | undefined
}

function toRight(right: ParsedRight): ConsentRight {
  const metadata = Object.create(null) as Record<string, string>
  if (right.metadata.status === 'ok') for (const [k, v] of right.metadata.values) metadata[k] = v
  return Object.freeze({
    actions: right.actions,
    resources: Object.freeze(
      right.resources.filter((r) => r.type === RESOURCE_TYPE || r.type === ALTINN2_SERVICE_TYPE).map((r) => r.value),
    ),
    metadata: Object.freeze(metadata),
  })
}

function toTokenInfo(token: MaskinportenToken): TokenInfo {
  return Object.freeze({
    kind: 'maskinporten' as const,
    issuer: token.issuer,
    jti: token.jti,
    clientId: token.clientId,
    scopes: token.scopes,
    expiresAt: new Date(token.expiresAt * 1000),
  })
}

// Rights are frozen all the way down and depend only on the parsed consent, which a cached token
// shares across requests: build them once per parsed consent.
const rightsOf = new WeakMap<ConsentMatch['consent'], readonly ConsentRight[]>()

function rightsFor(consent: ConsentMatch['consent']): readonly ConsentRight[] {
  let rights = rightsOf.get(consent)
  if (rights === undefined) {
    rights = Object.freeze(consent.rights.map(toRight))
    rightsOf.set(consent, rights)
  }
  return rights
}

/**
 * The result's class: `toJSON` lives on the prototype (non-enumerable, shared), so building a
 * result is one constructor call instead of a literal plus a property definition per request.
 */
class Result {
  constructor(fields: VerifiedConsent) {
    Object.assign(this, fields)
  }

  /** The identity number masked, so logging the object does not leak it. */
  toJSON(this: VerifiedConsent): object {
    return { ...this, subject: { type: this.subject.type, id: '*'.repeat(this.subject.id.length) } }
  }
}

/** Builds the frozen result. Dates are fresh per request: a handler may not change another's. */
export function buildVerifiedConsent(input: {
  match: ConsentMatch
  accessToken: MaskinportenToken
  consentToken: MaskinportenToken | Altinn2Token | undefined
  resource: string
  action: string
  oneTimeKey: string | undefined
  tokenKey?: string | undefined
}): VerifiedConsent {
  const { match, accessToken } = input
  const rights = rightsFor(match.consent)
  const consentToken = input.consentToken
  return Object.freeze(
    new Result({
      kind: match.consent.kind,
      id: match.consent.id,
      subject: match.consent.from,
      consumer: accessToken.consumer,
      consumerIdentifier: accessToken.consumerIdentifier,
      supplier: accessToken.supplier,
      supplierIdentifier: accessToken.supplierIdentifier,
      delegationSource: accessToken.delegationSource,
      consented: new Date(match.consent.consented),
      validTo: new Date(match.consent.validTo),
      resource: input.resource,
      action: input.action,
      right: rights[match.consent.rights.indexOf(match.right)] ?? toRight(match.right),
      rights,
      token: toTokenInfo(accessToken),
      consentToken:
        consentToken === undefined
          ? undefined
          : consentToken.kind === 'altinn2'
            ? Object.freeze({ kind: 'altinn2' as const, issuer: consentToken.issuer, expiresAt: new Date(consentToken.expiresAt * 1000) })
            : toTokenInfo(consentToken),
      oneTime:
        input.oneTimeKey === undefined
          ? undefined
          : Object.freeze({ key: input.oneTimeKey, ...(input.tokenKey !== undefined && { tokenKey: input.tokenKey }) }),
    }) as unknown as VerifiedConsent,
  )
}

/**
 * Headers every response of a guarded route should carry: it holds personal data released under a
 * consent, so no shared or private cache may keep it (docs/security.md HTTP-11). Adapters set them when
 * the check passes; a handler may still override them deliberately.
 */
export const GUARDED_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Cache-Control': 'no-store' })
