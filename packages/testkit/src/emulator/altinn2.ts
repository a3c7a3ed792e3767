import { parseRfc3339 } from '@consent-guard/core/pipeline'
import { altinn2Claims, type Altinn2Generation, type Altinn2Service } from '../altinn2.js'
import type { ConsentRequestDetails, ConsentResourceDefinition } from './consents.js'
import { ProblemError } from './http.js'
import { parseValidPartyUrn } from './identifiers.js'

/** Path of the emulator's Altinn 2 key set (Altinn's own is `/api/metadata/jwk`). */
export const ALTINN2_JWKS_PATH = '/altinn2/jwk'
/** Path of the Altinn 2 token exchange: `GET {path}/{AuthorizationCode}`, as on www.altinn.no. */
export const ALTINN2_TOKEN_PATH = '/api/authorization/token'
/** The claim generations the exchange can answer in (`?generation=`). */
export const ALTINN2_GENERATIONS: readonly Altinn2Generation[] = Object.freeze(['current', 'comma-strings', 'service-codes'])

// What a `Services` entry can carry without becoming ambiguous: `{code}_{edition}_{key}={value}`.
const ENTRY_KEY = /^[A-Za-z0-9]{1,64}$/

/**
 * The Altinn 2 services an Altinn 3 consent stands for, through the emulator's resource
 * definitions (`resources: { id: { altinn2: { serviceCode, serviceEdition } } }`): one service per
 * mapped resource of each right, with that right's metadata.
 *
 * @throws ProblemError 403 `no_altinn2_service` when no resource of the consent has a mapping, 409
 * `not_expressible_in_altinn2` when metadata cannot be written as a `Services` entry.
 */
export function altinn2ServicesOf(
  details: ConsentRequestDetails,
  resource: (id: string) => ConsentResourceDefinition | undefined,
): Altinn2Service[] {
  const services: Altinn2Service[] = []
  for (const right of details.consentRights) {
    for (const r of right.resource) {
      const mapping = resource(r.value)?.altinn2
      if (mapping === undefined) continue
      const metadata = { ...right.metadata }
      for (const [key, value] of Object.entries(metadata)) {
        if (!ENTRY_KEY.test(key) || value.includes('=')) {
          throw new ProblemError(
            409,
            'Conflict',
            `Metadata ${key}=${value} of resource ${r.value} cannot be written in an Altinn 2 token`,
            undefined,
            'not_expressible_in_altinn2',
          )
        }
      }
      services.push({ serviceCode: mapping.serviceCode, serviceEdition: mapping.serviceEdition, metadata })
    }
  }
  if (services.length === 0) {
    throw new ProblemError(
      403,
      'Forbidden',
      "None of the consent's resources has an Altinn 2 service (resources: { <id>: { altinn2: { serviceCode, serviceEdition } } })",
      undefined,
      'no_altinn2_service',
    )
  }
  return services
}

/** Who the token is issued to: `CoveredBy` (the consent's `to`) and `HandledBy` (a supplier that fetched it). */
export interface Altinn2Recipient {
  readonly handledBy?: string
}

/**
 * The claims Altinn 2 puts into a consent token for an accepted consent: `Services` from
 * {@link altinn2ServicesOf}, `AuthorizationCode` = the consent id, `OfferedBy` = `from`,
 * `CoveredBy` = `to`, `HandledBy` for a supplier, `DelegatedDate` = `consented`, `ValidToDate` =
 * `validTo`, `iss: "altinn.no"`, `nbf` = now and `exp` = now + lifetime.
 */
export function altinn2ClaimsForConsent(
  details: ConsentRequestDetails,
  options: {
    services: readonly Altinn2Service[]
    recipient: Altinn2Recipient
    now: Date
    lifetimeSeconds: number
    generation: Altinn2Generation
  },
): Record<string, unknown> {
  const from = parseValidPartyUrn(details.from)
  const to = parseValidPartyUrn(details.to)
  const consented = details.consented === null ? undefined : parseRfc3339(details.consented)
  const validTo = parseRfc3339(details.validTo)
  if (from === undefined || to === undefined || consented === undefined || validTo === undefined) {
    throw new TypeError('altinn2ClaimsForConsent: the consent must be an accepted, valid request')
  }
  return altinn2Claims({
    services: options.services,
    authorizationCode: details.id,
    offeredBy: from.id,
    coveredBy: to.id,
    ...(options.recipient.handledBy !== undefined && { handledBy: options.recipient.handledBy }),
    delegatedDate: new Date(consented),
    validToDate: new Date(validTo),
    lifetimeSeconds: options.lifetimeSeconds,
    now: options.now,
    generation: options.generation,
  })
}

/** Reads `?generation=`; default `current`. */
export function parseGeneration(value: string | null): Altinn2Generation {
  if (value === null || value === '') return 'current'
  if ((ALTINN2_GENERATIONS as readonly string[]).includes(value)) return value as Altinn2Generation
  throw new ProblemError(400, 'Bad Request', `generation must be one of ${ALTINN2_GENERATIONS.join(', ')}`, undefined, 'invalid_generation')
}

/**
 * Altinn 2 answers the exchange with the JWT as a JSON string, or as XML `<string>` when asked
 * for `application/xml` (Altinn 2's "Hente token" guide).
 */
export function wantsXml(accept: string | undefined): boolean {
  if (accept === undefined) return false
  const types = accept.split(',').map((t) => t.split(';')[0]?.trim().toLowerCase())
  return types.includes('application/xml') && !types.includes('application/json')
}

export function xmlString(token: string): string {
  return `<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">${token}</string>`
}
