/** URN prefix of a person (fødselsnummer or d-nummer) in Altinn consent `from`. */
export const PERSON_URN_PREFIX = 'urn:altinn:person:identifier-no:'
/** URN prefix of an organisation (organisasjonsnummer) in Altinn consent `from`. */
export const ORGANIZATION_URN_PREFIX = 'urn:altinn:organization:identifier-no:'
/** ISO 6523 authority used by Maskinporten for `consumer`, `supplier` and consent `to`. */
export const ISO6523_AUTHORITY = 'iso6523-actorid-upis'

/** Whose data a consent covers. */
export type PartyType = 'person' | 'organization'

/** A party named by an identifier: an 11-digit person id or a 9-digit organisation number. */
export interface Party {
  readonly type: PartyType
  readonly id: string
}

// ASCII digits only: \d would also be ASCII in JS, but be explicit (no full-width digits).
const PERSON_ID = /^[0-9]{11}$/
const ORGANIZATION_ID = /^[0-9]{9}$/
const ISO6523_ORG = /^0192:([0-9]{9})$/

/** Parses `urn:altinn:person:identifier-no:<11 digits>` or the organisation form; exact bytes. */
export function parsePartyUrn(urn: string): Party | undefined {
  if (urn.startsWith(PERSON_URN_PREFIX)) {
    const id = urn.slice(PERSON_URN_PREFIX.length)
    return PERSON_ID.test(id) ? { type: 'person', id } : undefined
  }
  if (urn.startsWith(ORGANIZATION_URN_PREFIX)) {
    const id = urn.slice(ORGANIZATION_URN_PREFIX.length)
    return ORGANIZATION_ID.test(id) ? { type: 'organization', id } : undefined
  }
  return undefined
}

/** Classifies a bare identifier from a request: 11 digits = person, 9 digits = organisation. */
export function partyFromIdentifier(id: string): Party | undefined {
  if (PERSON_ID.test(id)) return { type: 'person', id }
  if (ORGANIZATION_ID.test(id)) return { type: 'organization', id }
  return undefined
}

/** True for a 9-digit organisation number. */
export function isOrganizationNumber(value: unknown): value is string {
  return typeof value === 'string' && ORGANIZATION_ID.test(value)
}

/**
 * Reads the organisation number from a Maskinporten ISO 6523 object
 * `{ authority: "iso6523-actorid-upis", ID: "0192:<9 digits>" }`. Own properties only, exact
 * bytes, no normalisation; undefined for anything else.
 */
export function parseIso6523(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  // A lower-case `id` beside `ID` (one Altinn page spells it so) makes the object ambiguous (CON-31).
  if (Object.hasOwn(value, 'id')) return undefined
  const authority = Object.hasOwn(value, 'authority') ? (value as { authority: unknown }).authority : undefined
  const id = Object.hasOwn(value, 'ID') ? (value as { ID: unknown }).ID : undefined
  if (authority !== ISO6523_AUTHORITY || typeof id !== 'string') return undefined
  return ISO6523_ORG.exec(id)?.[1]
}
