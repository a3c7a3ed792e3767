import { ConsentGuardError } from '../errors.js'
import { ISO6523_AUTHORITY } from './identifiers.js'

/**
 * An organisation as Maskinporten names it in `consumer`, `supplier` and a consent's `to`: the
 * token's `{ authority, ID }`, exact bytes. Today `authority` is `iso6523-actorid-upis` and `id`
 * `0192:<orgno>`; Maskinporten's token documentation says both may be extended (IDs of 2–4
 * colon-separated elements), and its European eSeal pilot already writes another authority with an
 * ID copied from the certificate (`NTRNO-…`).
 */
export interface OrganizationIdentifier {
  /** How `id` is encoded, e.g. `iso6523-actorid-upis`. */
  readonly authority: string
  /** The identifier itself, e.g. `0192:991825827`. */
  readonly id: string
}

/** The ISO 6523 code (ICD) of the Norwegian Central Coordinating Register (Enhetsregisteret). */
export const NORWEGIAN_ICD = '0192'

// Printable ASCII without spaces: compared byte for byte, safe to log, no look-alikes.
const IDENTIFIER_TEXT = /^[\x21-\x7e]{1,256}$/
const ORGNO = /^[0-9]{9}$/

/**
 * Reads `{ authority, ID }`: own string members, printable ASCII without spaces, at most 256
 * characters each. Other members (the eSeal pilot adds names from the certificate) are ignored. A
 * lower-case `id` member makes the object ambiguous (one Altinn page spells it so): undefined.
 */
export function parseOrganizationIdentifier(value: unknown): OrganizationIdentifier | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  if (Object.hasOwn(value, 'id')) return undefined
  const authority = Object.hasOwn(value, 'authority') ? (value as { authority: unknown }).authority : undefined
  const id = Object.hasOwn(value, 'ID') ? (value as { ID: unknown }).ID : undefined
  if (typeof authority !== 'string' || typeof id !== 'string') return undefined
  if (!IDENTIFIER_TEXT.test(authority) || !IDENTIFIER_TEXT.test(id)) return undefined
  return Object.freeze({ authority, id })
}

/** The Norwegian form of an organisation number: `{ authority: "iso6523-actorid-upis", id: "0192:<orgno>" }`. */
export function norwegianOrganization(orgno: string): OrganizationIdentifier {
  return Object.freeze({ authority: ISO6523_AUTHORITY, id: `${NORWEGIAN_ICD}:${orgno}` })
}

/** The organisation number when the identifier is the Norwegian form, else undefined. */
export function organizationNumberOf(identifier: OrganizationIdentifier): string | undefined {
  if (identifier.authority !== ISO6523_AUTHORITY || !identifier.id.startsWith(`${NORWEGIAN_ICD}:`)) return undefined
  const orgno = identifier.id.slice(NORWEGIAN_ICD.length + 1)
  return ORGNO.test(orgno) ? orgno : undefined
}

/**
 * The string form used where the guard has always given a string (`VerifiedConsent.consumer`, the
 * `consumers` allow-list, audit `consumer`): the organisation number for the Norwegian form, else
 * `<authority>:<id>`. Accepted authorities contain no colon, so the form is unambiguous.
 */
export function organizationText(identifier: OrganizationIdentifier): string {
  return organizationNumberOf(identifier) ?? `${identifier.authority}:${identifier.id}`
}

/** The inverse of {@link organizationText}: an organisation number, or `<authority>:<id>`. */
export function organizationFromText(text: string): OrganizationIdentifier | undefined {
  if (ORGNO.test(text)) return norwegianOrganization(text)
  const colon = text.indexOf(':')
  if (colon <= 0) return undefined
  return parseOrganizationIdentifier({ authority: text.slice(0, colon), ID: text.slice(colon + 1) })
}

/** Exact comparison of authority and ID (no case folding, no normalisation). */
export function sameOrganization(a: OrganizationIdentifier | undefined, b: OrganizationIdentifier | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.authority === b.authority && a.id === b.id
}

/**
 * Reads `consumer` or `supplier` and applies the guard's identifier policy. Accepted: the Norwegian
 * form, and any identifier whose `authority` is in `authorities` (the `consumerAuthorities` option).
 * A broken object, or a `0192:` ID that is not nine digits, is 401 `token_claims_invalid`; a
 * well-formed identifier of another form is 401 `consumer_identifier_unsupported`.
 */
export function acceptOrganization(value: unknown, authorities: ReadonlySet<string>): OrganizationIdentifier {
  const identifier = parseOrganizationIdentifier(value)
  if (identifier === undefined || isBrokenNorwegian(identifier)) throw new ConsentGuardError('token_claims_invalid')
  if (organizationNumberOf(identifier) !== undefined || authorities.has(identifier.authority)) return identifier
  throw new ConsentGuardError('consumer_identifier_unsupported')
}

/** `iso6523-actorid-upis` with ICD 0192 but no 9-digit number after it: a malformed Norwegian identifier. */
export function isBrokenNorwegian(identifier: OrganizationIdentifier): boolean {
  if (identifier.authority !== ISO6523_AUTHORITY) return false
  const id = identifier.id
  const colon = id.indexOf(':')
  if ((colon === -1 ? id : id.slice(0, colon)) !== NORWEGIAN_ICD) return false
  // The second colon-separated element (as `split(':')[1]` reads it) must be nine digits.
  const next = id.indexOf(':', colon + 1)
  return colon === -1 || !ORGNO.test(next === -1 ? id.slice(colon + 1) : id.slice(colon + 1, next))
}
