import { ConsentGuardConfigError } from '../errors.js'

/** An Altinn 2 service of one service owner, as its consents are migrated to Altinn 3. */
export interface MigratedAltinn2Service {
  /** The service owner's Altinn org code in lower case, as Altinn 3 writes it (e.g. `skd`). */
  readonly org: string
  /** The Altinn 2 service code (e.g. `4629`). */
  readonly serviceCode: string | number
  /** The Altinn 2 service edition code (e.g. `2`). */
  readonly serviceEdition: string | number
}

const ORG_CODE = /^[a-z0-9][a-z0-9-]{0,31}$/
const CODE = /^[0-9]{1,10}$/

/**
 * The Resource Registry id Altinn gives a consent migrated from Altinn 2:
 * `{org}_{serviceCode}_{serviceEditionCode}` (Altinn's "Validate consent tokens" guide for resource
 * owners). Migrated consents arrive as ordinary Altinn 3 tokens naming this resource, with their
 * metadata keys lower-cased (the guard compares metadata keys case-insensitively anyway). Use it in a
 * route's `altinn2.migratedResource`:
 *
 * @example
 * guard.compile({
 *   resource: 'skd-inntekt',
 *   altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: migratedResourceId({ org: 'skd', serviceCode: '4629', serviceEdition: '2' }) },
 *   ...
 * }) // migratedResource: 'skd_4629_2'
 *
 * @throws ConsentGuardConfigError for an org code that is not lower-case letters, digits and
 * hyphens (Altinn 2's upper-case owner codes such as `SKD` are written in lower case in Altinn 3), or
 * a service or edition code that is not a non-negative integer.
 */
export function migratedResourceId(service: MigratedAltinn2Service): string {
  const fail = (msg: string): never => {
    throw new ConsentGuardConfigError('requirement_invalid', `migratedResourceId: ${msg}`)
  }
  if (typeof service !== 'object' || service === null) return fail('needs { org, serviceCode, serviceEdition }')
  const { org, serviceCode, serviceEdition } = service
  if (typeof org !== 'string' || !ORG_CODE.test(org))
    fail(`"org" must be the service owner's Altinn org code in lower case (e.g. "skd"), got ${JSON.stringify(org)}`)
  return `${org}_${code(serviceCode, 'serviceCode', fail)}_${code(serviceEdition, 'serviceEdition', fail)}`
}

function code(value: unknown, name: string, fail: (msg: string) => never): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value
  if (typeof text !== 'string' || !CODE.test(text))
    fail(`"${name}" must be a string of digits or a non-negative integer, got ${JSON.stringify(value)}`)
  return text
}
