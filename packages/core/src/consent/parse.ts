import { TypeCompiler } from '@sinclair/typebox/compiler'
import { foldKey, foldsToAsciiOnlyThroughUnicode } from './fold.js'
import { ConsentGuardError } from '../errors.js'
import { parsePartyUrn, type Party } from './identifiers.js'
import { isBrokenNorwegian, organizationText, parseOrganizationIdentifier, type OrganizationIdentifier } from './organization.js'
import { CONSENT_LIMITS, CONSENT_TYPE, ConsentDetailSchema, type ConsentRightDetail } from './schema.js'
import { parseRfc3339 } from './time.js'

/**
 * Metadata of a right after parsing. `values` has lower-case keys (Altinn compares metadata keys
 * case-insensitively and the migration lower-cases them). `unusable` means the metadata exists but
 * cannot be read unambiguously (both `metadata` and `metaData`, two keys differing only in case, a
 * non-string value, a non-object): such a right never satisfies a requirement.
 */
export type ParsedMetadata = { readonly status: 'ok'; readonly values: ReadonlyMap<string, string> } | { readonly status: 'unusable' }

/** One right of a consent, parsed. */
export interface ParsedRight {
  readonly actions: readonly string[]
  /** `{type, value}` pairs as sent; matching requires `type` === `urn:altinn:resource`. */
  readonly resources: readonly { readonly type: string | undefined; readonly value: string }[]
  readonly metadata: ParsedMetadata
}

/** One consent, parsed and validated: an Altinn 3 `urn:altinn:consent` entry or an Altinn 2 token. */
export interface ParsedConsent {
  /** `altinn3`: from `authorization_details`; `altinn2`: a legacy token signed by Altinn. */
  readonly kind: 'altinn3' | 'altinn2'
  /** Altinn 3: the consent (request) id. Altinn 2: the `AuthorizationCode`. */
  readonly id: string
  readonly from: Party
  /**
   * Whom the consent was given to, as a string: the organisation number for the Norwegian form,
   * `<authority>:<id>` otherwise (Altinn 2: `CoveredBy`, which may be a person).
   */
  readonly to: string
  /** `to` with authority and ID; absent for an Altinn 2 consent covering a person. */
  readonly toIdentifier?: OrganizationIdentifier
  /** Altinn 2 only: the organisation that handles the consent for `to` (`HandledBy`). */
  readonly handledBy?: string
  /** Epoch ms. */
  readonly consented: number
  /** Epoch ms; exclusive end. */
  readonly validTo: number
  readonly rights: readonly ParsedRight[]
}

const checkDetail = TypeCompiler.Compile(ConsentDetailSchema)
const EMPTY: readonly ParsedConsent[] = Object.freeze([])

/**
 * Extracts the Altinn consents from a verified claims set. Entries of other types (for example
 * `urn:altinn:systemuser`) are ignored; a broken consent entry is an error, never skipped
 * (docs/security.md CON-24), and so is the same consent id twice (CON-25).
 */
export function parseConsents(claims: Readonly<Record<string, unknown>>): readonly ParsedConsent[] {
  if (!Object.hasOwn(claims, 'authorization_details')) return EMPTY
  const details = claims.authorization_details
  if (!Array.isArray(details) || details.length > CONSENT_LIMITS.authorizationDetails) {
    throw new ConsentGuardError('consent_malformed')
  }
  const out: ParsedConsent[] = []
  const ids = new Set<string>()
  for (const detail of details) {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new ConsentGuardError('consent_malformed')
    // RFC 9396 §2: every entry has a string type; exact comparison (§12).
    const type = Object.hasOwn(detail, 'type') ? (detail as { type: unknown }).type : undefined
    if (typeof type !== 'string') throw new ConsentGuardError('consent_malformed')
    if (type !== CONSENT_TYPE) continue
    const parsed = parseConsent(detail)
    // UUIDs compare case-insensitively (the one-time record key lower-cases them too).
    const key = parsed.id.toLowerCase()
    if (ids.has(key)) throw new ConsentGuardError('consent_malformed')
    ids.add(key)
    out.push(parsed)
  }
  return Object.freeze(out)
}

function parseConsent(detail: object): ParsedConsent {
  if (!checkDetail.Check(detail)) throw new ConsentGuardError('consent_malformed')
  const from = parsePartyUrn(detail.from)
  // Any well-formed identifier: matching compares it with the (policy-checked) consumer.
  const to = parseOrganizationIdentifier(detail.to)
  const consented = parseRfc3339(detail.consented)
  const validTo = parseRfc3339(detail.validTo)
  if (from === undefined || to === undefined || isBrokenNorwegian(to) || consented === undefined || validTo === undefined) {
    throw new ConsentGuardError('consent_malformed')
  }
  return Object.freeze({
    kind: 'altinn3',
    id: detail.id,
    from: Object.freeze(from),
    to: organizationText(to),
    toIdentifier: to,
    consented,
    validTo,
    rights: Object.freeze(detail.consentRights.map((right) => parseRight(right))),
  })
}

function parseRight(right: ConsentRightDetail): ParsedRight {
  const metadata = parseMetadata(right)
  if (metadata === TOO_MANY) throw new ConsentGuardError('consent_malformed')
  return Object.freeze({
    actions: Object.freeze([...right.action]),
    resources: Object.freeze(right.resource.map((r) => Object.freeze({ type: r.type, value: r.value }))),
    metadata,
  })
}

const NO_METADATA: ParsedMetadata = Object.freeze({ status: 'ok', values: new Map<string, string>() })
const UNUSABLE: ParsedMetadata = Object.freeze({ status: 'unusable' })
// Over the cardinality cap: the whole token is malformed (CON-28), not just this right.
const TOO_MANY: ParsedMetadata = Object.freeze({ status: 'unusable' })

function parseMetadata(right: ConsentRightDetail): ParsedMetadata {
  const hasLower = Object.hasOwn(right, 'metadata')
  const hasCamel = Object.hasOwn(right, 'metaData')
  if (hasLower && hasCamel) return UNUSABLE
  const raw = hasLower ? right.metadata : hasCamel ? right.metaData : undefined
  if (raw === undefined || raw === null) return NO_METADATA
  if (typeof raw !== 'object' || Array.isArray(raw)) return UNUSABLE
  const keys = Object.keys(raw)
  if (keys.length > CONSENT_LIMITS.metadataKeys) return TOO_MANY
  const values = new Map<string, string>()
  for (const key of keys) {
    const value = (raw as Record<string, unknown>)[key]
    // A key that reads as an ASCII key only under some Unicode case mapping is ambiguous (fold.ts).
    if (foldsToAsciiOnlyThroughUnicode(key)) return UNUSABLE
    const lower = foldKey(key)
    if (typeof value !== 'string' || value.length > CONSENT_LIMITS.stringLength || values.has(lower)) return UNUSABLE
    values.set(lower, value)
  }
  return Object.freeze({ status: 'ok', values })
}
