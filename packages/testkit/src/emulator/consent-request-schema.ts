import { KindGuard, Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parseRfc3339 } from '@consent-guard/core/pipeline'
import { altinnTimestamp } from '../claims.js'
import type { ConsentResourceDefinition, ConsentRightRecord } from './consent-types.js'
import { ProblemError } from './http.js'
import { parseValidPartyUrn, type UrnParty } from './identifiers.js'

/** A resource id of Altinn's Resource Registry. */
export const RESOURCE_ID = /^[A-Za-z0-9._:-]{1,256}$/
const PARTY_URN = '^urn:altinn:(?:person:identifier-no:[0-9]{11}|organization:identifier-no:[0-9]{9})$'

/** One right of a consent request body. Metadata is read by code: its member name is case-insensitive. */
export const ConsentRightBodySchema = Type.Object({
  action: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  resource: Type.Array(Type.Unknown(), { minItems: 1 }),
})

/** One entry of a right's `resource`. */
export const ConsentResourceBodySchema = Type.Object({
  type: Type.Literal('urn:altinn:resource'),
  value: Type.String({ pattern: RESOURCE_ID.source }),
})

/** Any JSON object (not an array, not null). */
const JsonObjectSchema = Type.Record(Type.String(), Type.Unknown())
/** A metadata value: a string with at least one non-blank character. */
const MetadataValueSchema = Type.String({ pattern: '\\S' })

/**
 * The shape of Altinn's `ConsentRequestDto` as the emulator accepts it. Rules a schema cannot say
 * (control digits of the parties, `validTo` in the future, a resource's metadata keys, safe
 * redirect schemes) are checked by {@link validateConsentRequest} after the member's schema.
 */
export const ConsentRequestBodySchema = Type.Object({
  id: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
  from: Type.String({ pattern: PARTY_URN }),
  to: Type.String({ pattern: '^urn:altinn:organization:identifier-no:[0-9]{9}$' }),
  requiredDelegator: Type.Optional(Type.Union([Type.String({ pattern: PARTY_URN }), Type.Null()])),
  validTo: Type.String(),
  consentRights: Type.Array(Type.Unknown(), { minItems: 1 }),
  requestMessage: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
  redirectUrl: Type.String(),
  // `hide` or `show` in any case (ASP.NET binds enums case-insensitively).
  portalViewMode: Type.Optional(Type.Union([Type.String(), Type.Null()])),
})

const PortalViewModeSchema = Type.Union([Type.Literal('hide'), Type.Literal('show')])
const FIELDS = ConsentRequestBodySchema.properties

/** A consent request body that passed validation, normalised for the store. */
export interface ValidConsentRequest {
  readonly id: string
  readonly from: string
  readonly fromParty: UrnParty
  readonly to: string
  readonly toOrgno: string
  readonly requiredDelegator: string | null
  readonly validTo: string
  readonly validToMs: number
  readonly consentRights: readonly ConsentRightRecord[]
  readonly requestMessage: Readonly<Record<string, string>> | null
  readonly redirectUrl: string
  readonly portalViewMode: 'hide' | 'show'
}

type AddError = (field: string, message: string) => void

const present = (value: unknown): boolean => value !== undefined && value !== null

/**
 * Validates a consent request body field by field, as Altinn does: every problem is collected and
 * answered in one 400 with `errors` keyed by field path (`consentRights[0].metadata.year`).
 *
 * @throws ProblemError 400 `validation_failed`.
 */
export function validateConsentRequest(
  body: unknown,
  context: { readonly now: Date; readonly resource: (id: string) => ConsentResourceDefinition | undefined },
): ValidConsentRequest {
  const errors: Record<string, string[]> = {}
  const add: AddError = (field, message) => {
    ;(errors[field] ??= []).push(message)
  }
  if (!Value.Check(JsonObjectSchema, body)) {
    throw new ProblemError(400, 'One or more validation errors occurred.', 'The body must be a JSON object', undefined, 'validation_failed')
  }
  const b = body as Record<string, unknown>
  // An absent optional member is valid (`Value.Check` of the member's schema alone would refuse `undefined`).
  const check = (name: keyof typeof FIELDS): boolean => {
    const schema: TSchema = FIELDS[name]
    return (b[name] === undefined && KindGuard.IsOptional(schema)) || Value.Check(schema, b[name])
  }

  if (!check('id')) add('id', 'Required: a UUID chosen by the consumer')
  const fromParty = check('from') ? parseValidPartyUrn(b.from) : undefined
  if (fromParty === undefined)
    add(
      'from',
      'Required: urn:altinn:person:identifier-no:<11 digits> or urn:altinn:organization:identifier-no:<9 digits> with valid control digits',
    )
  const toParty = check('to') ? parseValidPartyUrn(b.to) : undefined
  if (toParty === undefined) add('to', 'Required: urn:altinn:organization:identifier-no:<9 digits> with a valid control digit')
  if (!check('requiredDelegator') || (typeof b.requiredDelegator === 'string' && parseValidPartyUrn(b.requiredDelegator) === undefined)) {
    add('requiredDelegator', 'Must be a person or organisation URN')
  }
  let validToMs: number | undefined
  if (!check('validTo')) add('validTo', 'Required: an ISO 8601 date-time with offset')
  else {
    validToMs = parseRfc3339(b.validTo as string)
    if (validToMs === undefined) add('validTo', 'Must be an ISO 8601 date-time with offset, e.g. 2027-02-03T10:13:27.897002+00:00')
    else if (validToMs <= context.now.getTime()) add('validTo', 'Must be in the future')
  }
  const rights: ConsentRightRecord[] = []
  if (!check('consentRights')) add('consentRights', 'Required: at least one right')
  else {
    ;(b.consentRights as unknown[]).forEach((raw, i) => {
      const right = validateRight(raw, `consentRights[${i}]`, add, context.resource)
      if (right !== undefined) rights.push(right)
    })
  }
  let requestMessage: Record<string, string> | null = null
  if (!check('requestMessage')) add('requestMessage', 'Must be an object: language → text')
  else if (present(b.requestMessage)) requestMessage = { ...(b.requestMessage as Record<string, string>) }
  if (!check('redirectUrl') || !isRedirectUrl(b.redirectUrl as string))
    add('redirectUrl', 'Required: an http(s) URL or a custom app scheme URL')
  let portalViewMode: 'hide' | 'show' = 'hide'
  if (present(b.portalViewMode)) {
    const mode = check('portalViewMode') ? (b.portalViewMode as string).toLowerCase() : ''
    if (Value.Check(PortalViewModeSchema, mode)) portalViewMode = mode
    else add('portalViewMode', 'Must be "hide" or "show"')
  }
  if (Object.keys(errors).length > 0) {
    throw new ProblemError(400, 'One or more validation errors occurred.', 'The consent request is invalid', errors, 'validation_failed')
  }
  return {
    id: b.id as string,
    from: b.from as string,
    fromParty: fromParty as UrnParty,
    to: b.to as string,
    toOrgno: (toParty as UrnParty).id,
    requiredDelegator: (b.requiredDelegator as string | undefined) ?? null,
    validTo: altinnTimestamp((validToMs as number) / 1000),
    validToMs: validToMs as number,
    consentRights: Object.freeze(rights),
    requestMessage,
    redirectUrl: b.redirectUrl as string,
    portalViewMode,
  }
}

/** Validates one right; undefined when it has no action array or no valid resource (errors are added). */
function validateRight(
  raw: unknown,
  at: string,
  add: AddError,
  resourceOf: (id: string) => ConsentResourceDefinition | undefined,
): ConsentRightRecord | undefined {
  if (!Value.Check(JsonObjectSchema, raw)) return void add(at, 'Must be an object')
  const r = raw as Record<string, unknown>
  const { action: actionSchema, resource: resourceSchema } = ConsentRightBodySchema.properties
  if (!Value.Check(actionSchema, r.action)) add(`${at}.action`, 'Required: a non-empty array of actions, e.g. ["consent"]')
  const resources: { type: string; value: string }[] = []
  if (!Value.Check(resourceSchema, r.resource))
    add(`${at}.resource`, 'Required: [{ "type": "urn:altinn:resource", "value": "<resource id>" }]')
  else {
    for (const [j, entry] of r.resource.entries()) {
      if (Value.Check(ConsentResourceBodySchema, entry)) resources.push({ type: entry.type, value: entry.value })
      else add(`${at}.resource[${j}]`, 'Must be { "type": "urn:altinn:resource", "value": "<resource id>" }')
    }
  }
  const metadata = readMetadata(r, at, add)
  for (const res of resources) {
    const def = resourceOf(res.value)
    if (def?.metadata === undefined) continue
    const given = new Set(Object.keys(metadata ?? {}).map((k) => k.toLowerCase()))
    const expected = new Set(def.metadata.map((k) => k.toLowerCase()))
    for (const k of expected) if (!given.has(k)) add(`${at}.metadata.${k}`, `Resource ${res.value} requires metadata "${k}"`)
    for (const k of given) if (!expected.has(k)) add(`${at}.metadata.${k}`, `Resource ${res.value} has no metadata "${k}"`)
  }
  if (!Array.isArray(r.action) || resources.length === 0) return undefined
  return Object.freeze({
    action: Object.freeze([...(r.action as string[])]),
    resource: Object.freeze(resources),
    ...(metadata !== undefined ? { metadata: Object.freeze(metadata) } : {}),
  })
}

/** A right's metadata (`metadata` or `metaData`), or undefined when absent or invalid (errors are added). */
function readMetadata(r: Record<string, unknown>, at: string, add: AddError): Record<string, string> | undefined {
  // ASP.NET binds member names case-insensitively: `metadata` and `metaData` are the same member.
  const metaKeys = Object.keys(r).filter((k) => k.toLowerCase() === 'metadata')
  if (metaKeys.length > 1) add(`${at}.metadata`, 'Give metadata once')
  const rawMeta = metaKeys.length === 1 ? r[metaKeys[0] as string] : undefined
  if (!present(rawMeta)) return undefined
  if (!Value.Check(JsonObjectSchema, rawMeta)) return void add(`${at}.metadata`, 'Must be an object of strings')
  const metadata: Record<string, string> = {}
  for (const [k, v] of Object.entries(rawMeta)) {
    if (Value.Check(MetadataValueSchema, v)) metadata[k] = v
    else add(`${at}.metadata.${k}`, 'Values must be non-empty strings')
  }
  return metadata
}

/** http(s) with a host, or a custom app scheme; never a script-capable scheme. */
function isRedirectUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname !== ''
  // Custom app schemes (e.g. `bankapp:/done`) are allowed; script-capable schemes are not.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) && !['javascript:', 'data:', 'vbscript:', 'file:'].includes(url.protocol)
}
