/**
 * Identifier checks the emulator applies where Altinn does (consent request bodies, client
 * registration). The data-source side (`@consent-guard/core`) deliberately checks only the digit
 * count; Altinn validates the control digits when a consent request is created.
 */

const PERSON = /^[0-9]{11}$/
const ORG = /^[0-9]{9}$/
const K1_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1] as const
const K2_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1] as const
const ORG_WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const

function weighted(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < weights.length; i += 1) sum += (digits[i] as number) * (weights[i] as number)
  return sum % 11
}

/**
 * An 11-digit Norwegian person id (fødselsnummer, d-nummer, synthetic test id) with valid mod-11
 * control digits. The first control digit follows the 2032 rule Altinn uses (the weighted sum
 * including it may leave remainder 0, 1, 2 or 3); the second is the classic check. The date part is
 * not checked, so synthetic TT02 ids (month + 80) pass.
 */
export function isValidPersonId(id: string): boolean {
  if (!PERSON.test(id)) return false
  const digits = [...id].map(Number)
  return weighted(digits, K1_WEIGHTS) <= 3 && weighted(digits, K2_WEIGHTS) === 0
}

/** A 9-digit organisation number with a valid mod-11 control digit (weights 3,2,7,6,5,4,3,2). */
export function isValidOrgno(id: string): boolean {
  if (!ORG.test(id)) return false
  const digits = [...id].map(Number)
  const rest = weighted(digits, ORG_WEIGHTS)
  const control = rest === 0 ? 0 : 11 - rest
  return control !== 10 && control === digits[8]
}

/** A party named in a consent request: `urn:altinn:person:identifier-no:<fnr>` or the organisation form. */
export type UrnParty = { readonly type: 'person' | 'organization'; readonly id: string }

/** Parses a person/organisation URN and checks the control digits. */
export function parseValidPartyUrn(value: unknown): UrnParty | undefined {
  if (typeof value !== 'string') return undefined
  const person = /^urn:altinn:person:identifier-no:([0-9]{11})$/.exec(value)
  if (person !== null) return isValidPersonId(person[1] as string) ? { type: 'person', id: person[1] as string } : undefined
  const org = /^urn:altinn:organization:identifier-no:([0-9]{9})$/.exec(value)
  if (org !== null) return isValidOrgno(org[1] as string) ? { type: 'organization', id: org[1] as string } : undefined
  return undefined
}

/** Masks a person id for display: `25*******09`. Organisation numbers are public and left as they are. */
export function maskPersonId(id: string): string {
  return id.length === 11 ? `${id.slice(0, 2)}*******${id.slice(-2)}` : id
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A UUID in its canonical textual form (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}
