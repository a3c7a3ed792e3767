/** Shapes of Maskinporten token claims and of the options that build them (see `claims.ts`). */

/**
 * Organisation identifier object as used in `consumer`, `supplier` and consent `to`. Norwegian
 * organisations: `iso6523-actorid-upis` + `0192:<orgno>` ({@link iso6523}); Maskinporten says both may
 * be extended, and its eSeal pilot writes another authority ({@link esealConsumer}).
 */
export interface OrgIdentifier {
  /** `iso6523-actorid-upis` for Norwegian organisations; e.g. {@link ESEAL_AUTHORITY} for eSeals. */
  authority: string
  /** `0192:<9-digit orgno>`, or the ID under another authority (e.g. `NTRNO-555555555`). */
  ID: string
}

/** Name members Maskinporten copies from an eSeal certificate's `Subject` into `consumer`. */
export interface EsealNames {
  commonName?: string
  organizationName?: string
  organizationalUnitName?: string
  countryName?: string
}

/** A point in time: a `Date` or epoch **seconds** (may be fractional). */
export type Instant = Date | number

/** A point in time or a function returning one, read each time a token is built (a fake clock). */
export type ClockSource = Instant | (() => Instant)

/** One right inside a consent entry, as Altinn writes it. */
export interface ConsentRightClaim {
  /** Actions; `["consent"]` in all real tokens. */
  action: string[]
  /** Resources, each `{ type: "urn:altinn:resource", value: <resource id> }`. */
  resource: Array<{ type: string; value: string }>
  /** Metadata values (present only when the consent has metadata). */
  metadata?: Record<string, string>
  /** Alternative spelling seen in some Altinn documentation examples. */
  metaData?: Record<string, string>
}

/** An `authorization_details` entry of type `urn:altinn:consent`. */
export interface ConsentDetailClaim {
  /** `urn:altinn:consent`. */
  type: string
  /** Consent (request) id, a UUID. */
  id: string
  /** Who consented: `urn:altinn:person:identifier-no:<fnr>` or `urn:altinn:organization:identifier-no:<orgno>`. */
  from: string
  /** Recipient organisation. */
  to: OrgIdentifier
  /** When consent was given, e.g. `2026-02-03T10:14:05.419279+00:00`. */
  consented: string
  /** End of validity, same format. */
  validTo: string
  /** Granted rights. */
  consentRights: ConsentRightClaim[]
  /** Extra members added through `extra`. */
  [member: string]: unknown
}

/** Top-level claims of a Maskinporten access token as produced by {@link maskinportenClaims}. */
export interface MaskinportenClaims {
  /** Consent entries (consent tokens only). */
  authorization_details?: unknown[]
  /** Space-separated scopes. */
  scope: string
  /** Issuer, with trailing slash. */
  iss: string
  /** Audience (only when asked for). */
  aud?: string | string[]
  /** Client authentication method. */
  client_amr: string
  /** Always `Bearer`. */
  token_type: string
  /** Expiry, epoch seconds. */
  exp: number
  /** Issued at, epoch seconds. */
  iat: number
  /** Maskinporten client id (UUID). */
  client_id: string
  /** Unique token id. */
  jti: string
  /** Legal consumer. */
  consumer: OrgIdentifier
  /** Supplier acting for the consumer (delegated tokens only). */
  supplier?: OrgIdentifier
  /** Where the consumer→supplier delegation is registered (with `supplier` only). */
  delegation_source?: string
  /** Extra claims added through `extra`. */
  [claim: string]: unknown
}

/** Options for {@link maskinportenClaims}. Keys named like a claim set that claim. */
export interface MaskinportenClaimsOptions {
  /** Default {@link MASKINPORTEN_TEST_ISSUER}. */
  iss?: string
  /** Scopes; an array is joined with spaces. Default {@link DEFAULT_SCOPE}. */
  scope?: string | readonly string[]
  /** Consumer orgno (9 digits) or a full identifier object. Default {@link TEST_IDENTITIES}.consumerOrgno. */
  consumer?: string | OrgIdentifier
  /** Supplier orgno or identifier object; adds `supplier` and (by default) `delegation_source`. */
  supplier?: string | OrgIdentifier
  /** Default {@link ALTINN_TT02_DELEGATION_SOURCE} when `supplier` is given; otherwise absent. */
  delegation_source?: string
  /** Default: a random UUID. */
  client_id?: string
  /** Default `private_key_jwt`. */
  client_amr?: string
  /** Default `Bearer`. */
  token_type?: string
  /** Audience; absent unless given (real consent tokens carry no `aud`). */
  aud?: string | string[]
  /** Default: `now`, in whole epoch seconds. */
  iat?: number
  /** Default: `iat + lifetimeSeconds`. */
  exp?: number
  /** Token lifetime used for the default `exp`. Default 120 (Maskinporten's default). */
  lifetimeSeconds?: number
  /** Default: 32 random bytes, base64url (43 characters, like Maskinporten's). */
  jti?: string
  /** Raw `authorization_details` array. */
  authorization_details?: unknown[]
  /** Clock. Default: the current time (follows vitest/jest fake system time). */
  now?: ClockSource
  /**
   * Claims merged in last, overriding everything. A key whose value is `undefined` is removed, so a
   * test can drop a required claim: `{ extra: { exp: undefined } }`.
   */
  extra?: Record<string, unknown>
}

/** A right for {@link consentDetail}. */
export interface ConsentRightOptions {
  /** One or more resource ids (Altinn Resource Registry identifiers). */
  resource: string | readonly string[]
  /** Default `["consent"]`. */
  action?: readonly string[]
  /** Metadata values; the member is omitted when not given. */
  metadata?: Record<string, string>
  /** Spelling of the metadata member for this right. Default: the entry's `metadataKey`. */
  metadataKey?: 'metadata' | 'metaData'
}

/** Who gave the consent: a person (fnr), an organisation (orgno), or a raw `from` string used verbatim. */
export type ConsentParty = { person: string } | { organization: string } | string

/** Options for {@link consentDetail}. */
export interface ConsentDetailOptions {
  /** Consent id. Default: a random UUID. */
  id?: string
  /** Default `{ person: TEST_IDENTITIES.personA }`. */
  from?: ConsentParty
  /** Recipient orgno (9 digits) or identifier object. Default {@link TEST_IDENTITIES}.consumerOrgno. */
  to?: string | OrgIdentifier
  /** A string is used verbatim; a Date/number is formatted with {@link altinnTimestamp}. Default: now − 1 day. */
  consented?: Instant | string
  /** As `consented`. Default: now + 30 days. */
  validTo?: Instant | string
  /** Shorthand for a single right: its resource id. Default {@link DEFAULT_CONSENT_RESOURCE}. */
  resource?: string | readonly string[]
  /** Shorthand for a single right: its metadata. Default `{ inntektsaar: "2023" }` when neither `resource` nor `rights` is given. */
  metadata?: Record<string, string>
  /** Shorthand for a single right: its actions. */
  action?: readonly string[]
  /** Several rights. Cannot be combined with `resource`/`metadata`/`action`. */
  rights?: readonly ConsentRightOptions[]
  /** Spelling of the metadata member. Default `metadata` (real tokens); `metaData` appears in some docs. */
  metadataKey?: 'metadata' | 'metaData'
  /** Clock for the default `consented`/`validTo`. */
  now?: ClockSource
  /** Members merged in last; `undefined` removes a member (e.g. `{ validTo: undefined }`). */
  extra?: Record<string, unknown>
}

/** Options for {@link consentTokenClaims}: access-token claims plus one or more consent entries. */
export interface ConsentTokenOptions extends MaskinportenClaimsOptions {
  /**
   * The consent entry (or entries: Maskinporten issues exactly one, several model a malformed token).
   * Its `to` defaults to the token's `consumer`, its `now` to the token's `now`.
   */
  consent?: ConsentDetailOptions | readonly ConsentDetailOptions[]
}

/** Options for {@link altinnTimestamp}. */
export interface AltinnTimestampOptions {
  /** Fraction digits (0–9). Default 6, like Altinn 3; real values also show 3 (`.836`). */
  fractionDigits?: number
}
