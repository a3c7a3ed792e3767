import { ConsentGuardError } from '../errors.js'
import { foldKey } from './fold.js'
import { isOrganizationNumber, partyFromIdentifier } from './identifiers.js'
import { norwegianOrganization } from './organization.js'
import type { ParsedConsent, ParsedMetadata, ParsedRight } from './parse.js'
import { CONSENT_LIMITS } from './schema.js'
import { parseRfc3339 } from './time.js'

/**
 * Resource `type` given to Altinn 2 services inside a parsed consent, so a route's legacy
 * service (`{serviceCode}_{serviceEdition}`) is matched like an Altinn 3 resource id.
 */
export const ALTINN2_SERVICE_TYPE = 'urn:altinn:altinn2-service'

/** The `iss` of Altinn 2 consent tokens (test and production alike: only the key set differs). */
export const ALTINN2_ISSUER = 'altinn.no'

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const ORGNO = /^[0-9]{9}$/
// "4629_2", "4629_2_inntektsaar=2016", "4629,2", "4629,2,inntektsaar=2015", and the oldest form with
// several parameters in one entry: "4630,2,fraOgMed=november 2016,tilOgMed=januar 2017". One
// separator per entry.
const SERVICE_ENTRY = /^([0-9]{1,10})([_,])([0-9]{1,10})(?:\2(.+))?$/
const PARAMETER = /^([A-Za-z0-9]{1,64})=([^=]*)$/
// Parameters are split where the separator is followed by the next `key=`, so a value may still
// contain the separator ("4629_2_note=a_b" is one parameter), never a `=`.
const PARAMETER_SPLIT = { _: /_(?=[A-Za-z0-9]{1,64}=)/, ',': /,(?=[A-Za-z0-9]{1,64}=)/ } as const
// The older string dates: "2017-04-18 09:33:13" and "18.04.2017 09:33:13", Norwegian local time.
const DATE_ISO_SPACE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/
const DATE_NORWEGIAN = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/

/**
 * Reads the claims of a verified Altinn 2 consent token into the same shape as an Altinn 3 consent.
 * Tolerates the three generations Altinn's documents show (its token page's encoded and decoded
 * examples, older guides, and Altinn's own test token generator): `Services` as a string
 * or an array, `_` or `,` separators, the older `ServiceCodes` name, epoch-second or string dates.
 * Strict on ambiguity: the same metadata key twice with different values makes that service's right
 * unusable (it never matches); an entry that fits no documented form makes the token malformed.
 */
export function parseAltinn2Consent(claims: Readonly<Record<string, unknown>>): ParsedConsent {
  const malformed = (): never => {
    throw new ConsentGuardError('consent_malformed')
  }
  const own = (name: string): unknown => (Object.hasOwn(claims, name) ? claims[name] : undefined)
  const hasServices = Object.hasOwn(claims, 'Services')
  const hasServiceCodes = Object.hasOwn(claims, 'ServiceCodes')
  if (hasServices === hasServiceCodes) malformed()
  const raw = hasServices ? own('Services') : own('ServiceCodes')
  const entries = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : malformed()
  if (entries.length === 0 || entries.length > CONSENT_LIMITS.consentRights) malformed()

  const services = new Map<string, { values: Map<string, string>; ambiguous: boolean }>()
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry.length > CONSENT_LIMITS.stringLength) malformed()
    const m = SERVICE_ENTRY.exec(entry as string) ?? malformed()
    const service = `${m[1]}_${m[3]}`
    const record = services.get(service) ?? { values: new Map<string, string>(), ambiguous: false }
    services.set(service, record)
    if (m[4] === undefined) continue
    for (const parameter of m[4].split(PARAMETER_SPLIT[m[2] as '_' | ','])) {
      const p = PARAMETER.exec(parameter) ?? malformed()
      const key = foldKey(p[1] as string)
      const value = p[2] as string
      const previous = record.values.get(key)
      if (previous !== undefined && previous !== value) record.ambiguous = true
      record.values.set(key, value)
      if (record.values.size > CONSENT_LIMITS.metadataKeys) malformed()
    }
  }

  const id = own('AuthorizationCode')
  const offeredBy = own('OfferedBy')
  const coveredBy = own('CoveredBy')
  if (typeof id !== 'string' || !UUID.test(id)) malformed()
  const from = typeof offeredBy === 'string' ? partyFromIdentifier(offeredBy) : undefined
  const to = typeof coveredBy === 'string' && partyFromIdentifier(coveredBy) !== undefined ? coveredBy : undefined
  if (from === undefined || to === undefined) malformed()
  let handledBy: string | undefined
  if (Object.hasOwn(claims, 'HandledBy')) {
    const value = claims.HandledBy
    if (typeof value !== 'string' || !ORGNO.test(value)) malformed()
    handledBy = value as string
  }
  const consented = legacyDate(own('DelegatedDate')) ?? malformed()
  const validTo = legacyDate(own('ValidToDate')) ?? malformed()

  const rights: ParsedRight[] = [...services].map(([service, record]) =>
    Object.freeze({
      // Altinn 2 consents carry no action; they grant exactly what Altinn 3 calls `consent`.
      actions: Object.freeze(['consent']),
      resources: Object.freeze([Object.freeze({ type: ALTINN2_SERVICE_TYPE, value: service })]),
      metadata: (record.ambiguous ? UNUSABLE : Object.freeze({ status: 'ok', values: record.values })) as ParsedMetadata,
    }),
  )
  return Object.freeze({
    kind: 'altinn2',
    id: id as string,
    from: Object.freeze(from as NonNullable<typeof from>),
    to: to as string,
    // CoveredBy as an organisation identifier, so it is compared with `consumer` like an Altinn 3 `to`.
    ...(isOrganizationNumber(to) && { toIdentifier: norwegianOrganization(to) }),
    ...(handledBy !== undefined && { handledBy }),
    consented,
    validTo,
    rights: Object.freeze(rights),
  })
}

const UNUSABLE: ParsedMetadata = Object.freeze({ status: 'unusable' })

/** Epoch seconds (current tokens), RFC 3339, or the older local-time strings; epoch ms out. */
function legacyDate(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 && value < 1e11 ? value * 1000 : undefined
  if (typeof value !== 'string') return undefined
  const rfc = parseRfc3339(value)
  if (rfc !== undefined) return rfc
  let m = DATE_ISO_SPACE.exec(value)
  if (m !== null) return osloLocalTime(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
  m = DATE_NORWEGIAN.exec(value)
  if (m !== null) return osloLocalTime(+m[3]!, +m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!)
  return undefined
}

const osloParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Oslo',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/** Converts a wall-clock time in Norway (where Altinn 2 wrote these dates) to epoch ms. */
function osloLocalTime(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(wall)
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined
  // Offset of Oslo at (about) that instant; a second pass settles the DST edges.
  let guess = wall - offsetAt(wall)
  guess = wall - offsetAt(guess)
  return guess
}

function offsetAt(instant: number): number {
  const parts = Object.fromEntries(osloParts.formatToParts(new Date(instant)).map((p) => [p.type, p.value]))
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!)
  return asUtc - Math.floor(instant / 1000) * 1000
}
