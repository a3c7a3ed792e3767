import { randomBytes, randomUUID } from 'node:crypto'
import type {
  OrgIdentifier,
  EsealNames,
  Instant,
  ClockSource,
  ConsentRightClaim,
  ConsentDetailClaim,
  MaskinportenClaims,
  MaskinportenClaimsOptions,
  ConsentRightOptions,
  ConsentParty,
  ConsentDetailOptions,
  ConsentTokenOptions,
  AltinnTimestampOptions,
} from './claim-types.js'

// The claim and option types live in claim-types.ts; this module keeps exporting them.
export type * from './claim-types.js'

/** Issuer of Maskinporten's TEST environment (linked to Altinn TT02). Default `iss` of the builders. */
export const MASKINPORTEN_TEST_ISSUER = 'https://test.maskinporten.no/'

/** Issuer of Maskinporten's production environment. */
export const MASKINPORTEN_PROD_ISSUER = 'https://maskinporten.no/'

/** `delegation_source` seen in TT02 supplier tokens; the default when a `supplier` is given. */
export const ALTINN_TT02_DELEGATION_SOURCE = 'https://tt02.altinn.no/'

/** `type` of an Altinn consent entry in `authorization_details`. */
export const ALTINN_CONSENT_TYPE = 'urn:altinn:consent'

/** ISO 6523 authority used by Maskinporten for organisation identifiers. */
export const ISO6523_AUTHORITY = 'iso6523-actorid-upis'

/**
 * Synthetic identities used as defaults. The person numbers are synthetic test ids (month + 80,
 * valid mod-11 control digits); the organisation numbers are the TT02 test organisations that appear
 * in Altinn's published example tokens.
 */
export const TEST_IDENTITIES = Object.freeze({
  /** Person who gave the consent by default (`FNR_A`; from Altinn's real TT02 example token). */
  personA: '25922947409',
  /** A second synthetic person (`FNR_B`), for subject-mismatch tests. */
  personB: '14888510096',
  /** Default consumer and consent recipient (`consumer` = `to`). */
  consumerOrgno: '991825827',
  /** Supplier (data processor) from Altinn's supplier example token. */
  supplierOrgno: '310149942',
  /** A third organisation, for recipient-mismatch tests. */
  otherOrgno: '313876144',
})

/** Default `scope` (the value in Altinn's example tokens; real APIs use their own scope). */
export const DEFAULT_SCOPE = 'altinn:consentrequests.read'

/** Default consent resource id (an Altinn Resource Registry id from the TT02 example token). */
export const DEFAULT_CONSENT_RESOURCE = 'ske-samtykke-sbl-summert-skattegrunnlag'

/** `authority` of a European eSeal consumer, as Digdir's "European eSeals" pilot page prints it in a token. */
export const ESEAL_AUTHORITY = 'etsi-en-319-412'

/**
 * A `consumer` as Maskinporten's European eSeal pilot writes it: `{ ...names, authority:
 * "etsi-en-319-412", ID }`, the ID copied verbatim from the certificate's `organizationIdentifier`
 * (e.g. `NTRNO-555555555`). Names default to Digdir's example, `countryName` to the ID's country
 * letters (`NTRNO-…` → `NO`). Give the consent's `to` as
 * `{ authority, ID }` only ({@link consentTokenClaims} does so by default).
 */
export function esealConsumer(id: string, names: EsealNames = {}): OrgIdentifier & EsealNames {
  if (typeof id !== 'string' || id === '') throw new TypeError('esealConsumer: id must be a non-empty string')
  return {
    commonName: names.commonName ?? 'Your company AS',
    organizationName: names.organizationName ?? 'Your company AS',
    ...(names.organizationalUnitName !== undefined && { organizationalUnitName: names.organizationalUnitName }),
    authority: ESEAL_AUTHORITY,
    ID: id,
    countryName: names.countryName ?? id.slice(3, 5),
  }
}

const SECONDS_PER_DAY = 86_400
// Epoch seconds beyond this are year 5138: almost certainly milliseconds passed by mistake.
const MAX_PLAUSIBLE_EPOCH_SECONDS = 1e11

/**
 * Resolves a {@link ClockSource} to epoch seconds (fractional for `Date`s with milliseconds).
 * `undefined` means the current time.
 *
 * @throws RangeError when a number looks like milliseconds, or is not finite.
 */
export function epochSeconds(now?: ClockSource): number {
  const value = typeof now === 'function' ? now() : now
  if (value === undefined) return Date.now() / 1000
  if (value instanceof Date) {
    const ms = value.getTime()
    if (!Number.isFinite(ms)) throw new RangeError('Invalid Date')
    return ms / 1000
  }
  if (!Number.isFinite(value)) throw new RangeError(`Clock value ${value} is not a finite number`)
  if (Math.abs(value) > MAX_PLAUSIBLE_EPOCH_SECONDS) {
    throw new RangeError(`Clock value ${value} looks like milliseconds; pass epoch seconds or a Date`)
  }
  return value
}

function assertDigits(value: string, length: number, what: string): void {
  if (typeof value !== 'string' || !new RegExp(`^\\d{${length}}$`).test(value)) {
    throw new TypeError(`${what} must be a string of exactly ${length} digits, got ${JSON.stringify(value)}`)
  }
}

/** `urn:altinn:person:identifier-no:<fnr>`; the fnr must be 11 digits (control digits are not checked). */
export function personUrn(fnr: string): string {
  assertDigits(fnr, 11, 'fnr')
  return `urn:altinn:person:identifier-no:${fnr}`
}

/** `urn:altinn:organization:identifier-no:<orgno>`; the orgno must be 9 digits (control digit not checked). */
export function organizationUrn(orgno: string): string {
  assertDigits(orgno, 9, 'orgno')
  return `urn:altinn:organization:identifier-no:${orgno}`
}

/** `{ authority: "iso6523-actorid-upis", ID: "0192:<orgno>" }`; the orgno must be 9 digits. */
export function iso6523(orgno: string): OrgIdentifier {
  assertDigits(orgno, 9, 'orgno')
  return { authority: ISO6523_AUTHORITY, ID: `0192:${orgno}` }
}

/**
 * Formats an instant the way Altinn 3 writes `consented`/`validTo`: UTC, `+00:00` offset, six
 * fraction digits, e.g. `2026-02-03T10:14:05.419279+00:00`. Epoch seconds keep microseconds.
 */
export function altinnTimestamp(date: Instant, options: AltinnTimestampOptions = {}): string {
  const digits = options.fractionDigits ?? 6
  if (!Number.isInteger(digits) || digits < 0 || digits > 9) {
    throw new RangeError('fractionDigits must be an integer from 0 to 9')
  }
  const micros = Math.round(epochSeconds(date) * 1e6)
  const seconds = Math.floor(micros / 1e6)
  const fraction = String(micros - seconds * 1e6)
    .padStart(6, '0')
    .padEnd(9, '0')
    .slice(0, digits)
  const base = new Date(seconds * 1000).toISOString().slice(0, 19)
  return `${base}${digits > 0 ? `.${fraction}` : ''}+00:00`
}

function orgIdentifier(value: string | OrgIdentifier): OrgIdentifier {
  return typeof value === 'string' ? iso6523(value) : { ...value }
}

function applyExtra<T extends Record<string, unknown>>(target: T, extra: Record<string, unknown> | undefined): T {
  if (extra === undefined) return target
  const result: Record<string, unknown> = { ...target }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete result[key]
    else result[key] = value
  }
  return result as T
}

function formatInstant(value: Instant | string): string {
  return typeof value === 'string' ? value : altinnTimestamp(value)
}

function partyUrn(party: ConsentParty): string {
  if (typeof party === 'string') return party
  if ('person' in party) return personUrn(party.person)
  return organizationUrn(party.organization)
}

function buildRight(right: ConsentRightOptions, defaultKey: 'metadata' | 'metaData'): ConsentRightClaim {
  const resources = typeof right.resource === 'string' ? [right.resource] : [...right.resource]
  const claim: ConsentRightClaim = {
    action: [...(right.action ?? ['consent'])],
    resource: resources.map((value) => ({ type: 'urn:altinn:resource', value })),
  }
  if (right.metadata !== undefined) claim[right.metadataKey ?? defaultKey] = { ...right.metadata }
  return claim
}

/**
 * Builds one `authorization_details` entry of type `urn:altinn:consent`, with the member names,
 * order and formats of Altinn's real TT02 token.
 *
 * @example
 * ```ts
 * consentDetail({
 *   from: { person: TEST_IDENTITIES.personA },
 *   rights: [
 *     { resource: 'ske-samtykke-sbl-inntekt', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
 *     { resource: 'ske-samtykke-sbl-summert-skattegrunnlag', metadata: { inntektsaar: '2024' } },
 *   ],
 * })
 * ```
 */
export function consentDetail(options: ConsentDetailOptions = {}): ConsentDetailClaim {
  const shorthand = options.resource !== undefined || options.metadata !== undefined || options.action !== undefined
  if (options.rights !== undefined && shorthand) {
    throw new TypeError('consentDetail: give either `rights` or the single-right shorthand (`resource`, `metadata`, `action`), not both')
  }
  const now = epochSeconds(options.now)
  const metadataKey = options.metadataKey ?? 'metadata'
  const rights: readonly ConsentRightOptions[] = options.rights ?? [
    {
      resource: options.resource ?? DEFAULT_CONSENT_RESOURCE,
      ...(options.action !== undefined ? { action: options.action } : {}),
      ...(options.metadata !== undefined
        ? { metadata: options.metadata }
        : options.resource === undefined
          ? { metadata: { inntektsaar: '2023' } }
          : {}),
    },
  ]
  const detail: ConsentDetailClaim = {
    type: ALTINN_CONSENT_TYPE,
    id: options.id ?? randomUUID(),
    from: partyUrn(options.from ?? { person: TEST_IDENTITIES.personA }),
    to: orgIdentifier(options.to ?? TEST_IDENTITIES.consumerOrgno),
    consented: formatInstant(options.consented ?? now - SECONDS_PER_DAY),
    validTo: formatInstant(options.validTo ?? now + 30 * SECONDS_PER_DAY),
    consentRights: rights.map((right) => buildRight(right, metadataKey)),
  }
  return applyExtra(detail, options.extra)
}

/**
 * Builds the top-level claims of a Maskinporten access token, in the member order of Altinn's real
 * TT02 consent token: `scope`, `iss`, `client_amr`, `token_type`, `exp`, `iat`, `client_id`, `jti`,
 * `consumer` (plus `supplier`/`delegation_source` when asked). There is no `sub` and no `aud` unless
 * asked for.
 *
 * @example
 * ```ts
 * const claims = maskinportenClaims({ scope: ['skatteetaten:inntekt'], now: NOW })
 * ```
 */
export function maskinportenClaims(options: MaskinportenClaimsOptions = {}): MaskinportenClaims {
  const iat = options.iat ?? Math.floor(epochSeconds(options.now))
  const scope = typeof options.scope === 'string' ? options.scope : (options.scope ?? [DEFAULT_SCOPE]).join(' ')
  const claims: MaskinportenClaims = {
    ...(options.authorization_details !== undefined ? { authorization_details: [...options.authorization_details] } : {}),
    scope,
    iss: options.iss ?? MASKINPORTEN_TEST_ISSUER,
    ...(options.aud !== undefined ? { aud: Array.isArray(options.aud) ? [...options.aud] : options.aud } : {}),
    client_amr: options.client_amr ?? 'private_key_jwt',
    token_type: options.token_type ?? 'Bearer',
    exp: options.exp ?? iat + (options.lifetimeSeconds ?? 120),
    iat,
    client_id: options.client_id ?? randomUUID(),
    jti: options.jti ?? randomBytes(32).toString('base64url'),
    consumer: orgIdentifier(options.consumer ?? TEST_IDENTITIES.consumerOrgno),
  }
  if (options.supplier !== undefined) {
    claims.supplier = orgIdentifier(options.supplier)
    claims.delegation_source = options.delegation_source ?? ALTINN_TT02_DELEGATION_SOURCE
  } else if (options.delegation_source !== undefined) {
    claims.delegation_source = options.delegation_source
  }
  return applyExtra(claims, options.extra)
}

/**
 * Builds the claims of a consent token: {@link maskinportenClaims} plus `authorization_details`
 * holding {@link consentDetail} entries whose `to` defaults to the token's `consumer` (Maskinporten
 * only issues a consent token when they match).
 */
export function consentTokenClaims(options: ConsentTokenOptions = {}): MaskinportenClaims {
  const { consent, ...claimOptions } = options
  if (claimOptions.authorization_details !== undefined) {
    throw new TypeError('consentTokenClaims: give either `consent` or `authorization_details`, not both')
  }
  const now = epochSeconds(claimOptions.now) // one instant for the token and its consent entries
  const consumer = claimOptions.consumer ?? TEST_IDENTITIES.consumerOrgno
  const entries: readonly ConsentDetailOptions[] = consent === undefined ? [{}] : isArray(consent) ? consent : [consent]
  // Maskinporten issues a consent token only when `to` is the consumer: its authority and ID (the
  // eSeal pilot's name members are not part of the identifier).
  const to = typeof consumer === 'string' || !hasIdentifier(consumer) ? consumer : { authority: consumer.authority, ID: consumer.ID }
  const authorization_details = entries.map((entry) => consentDetail({ to, now, ...entry }))
  return maskinportenClaims({ ...claimOptions, now, consumer, authorization_details })
}

function isArray<T>(value: T | readonly T[]): value is readonly T[] {
  return Array.isArray(value)
}

function hasIdentifier(value: OrgIdentifier): boolean {
  return Object.hasOwn(value, 'authority') && Object.hasOwn(value, 'ID') && Object.keys(value).some((k) => k !== 'authority' && k !== 'ID')
}
