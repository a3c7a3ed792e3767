import type { Party } from './consent/identifiers.js'
import type { ParsedRight } from './consent/parse.js'
import type { ConsentMatch } from './requirement/evaluate.js'
import type { MaskinportenToken } from './tokens/verify-token.js'
import { RESOURCE_TYPE } from './consent/schema.js'

/** One consent right, in the form handlers use. */
export interface ConsentRight {
  readonly actions: readonly string[]
  /** Resource ids (`urn:altinn:resource` values) the right covers. */
  readonly resources: readonly string[]
  /** Metadata with lower-case keys, e.g. `{ inntektsaar: '2024' }`. Empty when unreadable. */
  readonly metadata: Readonly<Record<string, string>>
}

/** Facts about one verified token. */
export interface TokenInfo {
  readonly issuer: string
  readonly jti: string
  /** The Maskinporten client. Logged, never used for access control (Digdir). */
  readonly clientId: string
  readonly scopes: readonly string[]
  readonly expiresAt: Date
}

/**
 * The verified consent a guarded handler receives. Frozen. `JSON.stringify` masks the subject's
 * identity number, so logging the object does not leak it; read `subject.id` in code.
 */
export interface VerifiedConsent {
  /** `altinn3`: a Maskinporten token with `authorization_details`. */
  readonly kind: 'altinn3'
  /** The consent id (Altinn 3: the consent request id). */
  readonly id: string
  /** Whose data the consent covers (the consent's `from`, equal to the requested subject). */
  readonly subject: Party
  /** Organisation number of the consumer the consent was given to. */
  readonly consumer: string
  /** Organisation number of the supplier acting for the consumer, if delegated. */
  readonly supplier: string | undefined
  /** Where the consumer → supplier delegation was registered, if delegated. */
  readonly delegationSource: string | undefined
  readonly consented: Date
  /** Exclusive end of validity. */
  readonly validTo: Date
  /** The route's resource that the consent matched. */
  readonly resource: string
  /** The right that satisfied the requirement. */
  readonly right: ConsentRight
  /** All rights of the consent. */
  readonly rights: readonly ConsentRight[]
  /** The access token (Authorization). */
  readonly token: TokenInfo
  /** The consent token, in two-token mode. */
  readonly consentToken: TokenInfo | undefined
  /** Set on one-time routes: the record that marks this consent as used. */
  readonly oneTime: { readonly key: string } | undefined
}

function toRight(right: ParsedRight): ConsentRight {
  const metadata: Record<string, string> = Object.create(null)
  if (right.metadata.status === 'ok') for (const [k, v] of right.metadata.values) metadata[k] = v
  return Object.freeze({
    actions: right.actions,
    resources: Object.freeze(right.resources.filter((r) => r.type === RESOURCE_TYPE).map((r) => r.value)),
    metadata: Object.freeze(metadata),
  })
}

function toTokenInfo(token: MaskinportenToken): TokenInfo {
  return Object.freeze({
    issuer: token.issuer,
    jti: token.jti,
    clientId: token.clientId,
    scopes: token.scopes,
    expiresAt: new Date(token.expiresAt * 1000),
  })
}

/** Builds the frozen result. */
export function buildVerifiedConsent(input: {
  match: ConsentMatch
  accessToken: MaskinportenToken
  consentToken: MaskinportenToken | undefined
  resource: string
  oneTimeKey: string | undefined
}): VerifiedConsent {
  const { match, accessToken } = input
  const rights = match.consent.rights.map(toRight)
  const result: VerifiedConsent = {
    kind: 'altinn3',
    id: match.consent.id,
    subject: match.consent.from,
    consumer: accessToken.consumer,
    supplier: accessToken.supplier,
    delegationSource: accessToken.delegationSource,
    consented: new Date(match.consent.consented),
    validTo: new Date(match.consent.validTo),
    resource: input.resource,
    right: rights[match.consent.rights.indexOf(match.right)] ?? toRight(match.right),
    rights: Object.freeze(rights),
    token: toTokenInfo(accessToken),
    consentToken: input.consentToken && toTokenInfo(input.consentToken),
    oneTime: input.oneTimeKey === undefined ? undefined : Object.freeze({ key: input.oneTimeKey }),
  }
  Object.defineProperty(result, 'toJSON', {
    enumerable: false,
    value: () => ({ ...result, subject: { type: result.subject.type, id: '*'.repeat(result.subject.id.length) } }),
  })
  return Object.freeze(result)
}
