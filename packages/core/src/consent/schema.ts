import { Type, type Static } from '@sinclair/typebox'

/** The `authorization_details` type of an Altinn consent (RFC 9396, exact bytes). */
export const CONSENT_TYPE = 'urn:altinn:consent'
/** The resource `type` of an Altinn Resource Registry resource. */
export const RESOURCE_TYPE = 'urn:altinn:resource'

/** Caps on consent shapes (docs/core.md, "Caps"); larger inputs are malformed. */
export const CONSENT_LIMITS = {
  authorizationDetails: 20,
  consentRights: 50,
  resourcesPerRight: 20,
  actionsPerRight: 20,
  metadataKeys: 20,
  stringLength: 256,
} as const

const Str = Type.String({ maxLength: CONSENT_LIMITS.stringLength })

/** One resource of a consent right: `{ type: "urn:altinn:resource", value: "<resource id>" }`. */
export const ConsentResourceSchema = Type.Object({
  // Optional in the schema: an entry of another shape is a non-matching resource (403), not a broken token.
  type: Type.Optional(Str),
  value: Str,
})

/**
 * One right of a consent. `metadata` (and Altinn's alternative spelling `metaData`) are read by
 * the parser, not by the schema, because their rules (case-insensitive keys, wrong value types
 * mean "does not cover") are not expressible as a plain schema.
 */
export const ConsentRightSchema = Type.Object({
  action: Type.Array(Str, { maxItems: CONSENT_LIMITS.actionsPerRight }),
  resource: Type.Array(ConsentResourceSchema, { maxItems: CONSENT_LIMITS.resourcesPerRight }),
  metadata: Type.Optional(Type.Unknown()),
  metaData: Type.Optional(Type.Unknown()),
})

/** ISO 6523 organisation object `{ authority, ID }` as Maskinporten emits it. */
export const Iso6523Schema = Type.Object({
  authority: Type.Literal('iso6523-actorid-upis'),
  ID: Type.String({ pattern: '^0192:[0-9]{9}$' }),
})

/**
 * Any organisation identifier `{ authority, ID }` (a consent's `to`): read generally, compared with
 * the token's `consumer` by authority and ID. Extra members are allowed and ignored.
 */
export const OrganizationIdentifierSchema = Type.Object({
  authority: Type.String({ maxLength: CONSENT_LIMITS.stringLength }),
  ID: Type.String({ maxLength: CONSENT_LIMITS.stringLength }),
})

/** An `authorization_details` entry of type `urn:altinn:consent` (unknown extra members allowed). */
export const ConsentDetailSchema = Type.Object({
  type: Type.Literal(CONSENT_TYPE),
  id: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
  from: Type.String({ pattern: '^urn:altinn:(person:identifier-no:[0-9]{11}|organization:identifier-no:[0-9]{9})$' }),
  to: OrganizationIdentifierSchema,
  consented: Type.String({ maxLength: 64 }),
  validTo: Type.String({ maxLength: 64 }),
  consentRights: Type.Array(ConsentRightSchema, { maxItems: CONSENT_LIMITS.consentRights }),
})

/** The raw shape of a consent entry, as in the token. */
export type ConsentDetail = Static<typeof ConsentDetailSchema>
/** The raw shape of one consent right, as in the token. */
export type ConsentRightDetail = Static<typeof ConsentRightSchema>
