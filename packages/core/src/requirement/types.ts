import type { PartyType } from '../consent/identifiers.js'
import type { OrganizationIdentifier } from '../consent/organization.js'

/** A value taken from the request, or a constant. */
export type RequestValue<Req> = string | ((request: Req) => string | undefined)

/**
 * A rule for one metadata key of the consent right (keys compare case-insensitively).
 * - `{ equals }`: the consent value must be exactly this string (no number coercion).
 * - `{ check }`: a custom predicate on the consent value.
 * - `{ any: true }`: the key is known to this route and may hold any value (or be absent).
 */
export type MetadataRule<Req> =
  { readonly equals: RequestValue<Req> } | { readonly check: (value: string, request: Req) => boolean } | { readonly any: true }

/** The period a request asks for: inclusive bounds, each `YYYY-MM` (a whole month) or `YYYY-MM-DD` (one day). */
export interface RequestedPeriod {
  readonly from: string
  readonly to: string
}

/**
 * A period rule: the consent's `start`..`end` metadata (such as `fraogmed`..`tilogmed`, inclusive,
 * each `YYYY-MM` or `YYYY-MM-DD`) must contain the requested period. Every bound stands for whole
 * calendar days (a month as a start is its first day, as an end its last day), so a day range can lie
 * inside a month range and a month range inside a day range that covers all of it.
 */
export interface PeriodRule<Req> {
  /** Metadata key holding the first month or day, e.g. `fraogmed`. */
  readonly start: string
  /** Metadata key holding the last month or day, e.g. `tilogmed`. */
  readonly end: string
  /** The requested period; a single string means that one month (`YYYY-MM`) or day (`YYYY-MM-DD`). */
  readonly requested: (request: Req) => RequestedPeriod | string | undefined
}

/** Scope requirement: one scope, all of a list, or any of a list. */
export type ScopeRequirement = string | { readonly all: readonly string[] } | { readonly any: readonly string[] }

/**
 * Consumer allow-list: organisation numbers (Norwegian form) and `{ authority, id }` identifiers of
 * other accepted authorities, compared by authority and ID exactly; or an (async) function of the
 * consumer's string form (the organisation number for Norwegian consumers) and its identifier.
 */
export type ConsumerAllowList<Req> =
  | readonly (string | OrganizationIdentifier)[]
  | ((consumer: string, request: Req, identifier: OrganizationIdentifier) => boolean | Promise<boolean>)

/**
 * What a route requires, as plain data. Compiled once at start-up by the guard; a bad requirement
 * throws `ConsentGuardConfigError` then, never per request.
 */
export interface ConsentRequirement<Req = unknown> {
  /** Maskinporten scope(s) the access token must carry. */
  readonly scope?: ScopeRequirement
  /** The Altinn Resource Registry id of the consent resource, e.g. `ske-samtykke-sbl-inntekt`. */
  readonly resource: string
  /**
   * The same consent in its Altinn 2 form, while the migration runs: the legacy service an Altinn 2
   * token must name, and the id Altinn gave the migrated resource (`{org}_{serviceCode}_{edition}`),
   * which Altinn 3 tokens for migrated consents carry instead of `resource`.
   */
  readonly altinn2?: {
    readonly serviceCode: string
    readonly serviceEdition: string
    readonly migratedResource?: string
  }
  /** The consent action required. Default `consent` (the only action in real tokens). */
  readonly action?: string
  /**
   * Whose data the request asks for: returns the 11-digit person id or 9-digit organisation
   * number from the request. Compared exactly with the consent's `from`.
   */
  readonly subject: (request: Req) => string | undefined
  /** Restrict the subject to persons or organisations; another kind is a 400. */
  readonly subjectType?: PartyType
  /**
   * Rules per metadata key. A consent right carrying a key the route does not know never matches
   * (an unknown restriction must not widen the consent); declare such keys with `{ any: true }`.
   */
  readonly metadata?: Readonly<Record<string, MetadataRule<Req>>>
  /** A period rule over two metadata keys. */
  readonly period?: PeriodRule<Req>
  /** Only these consumers may call the route; Altinn access lists are not in the token. */
  readonly consumers?: ConsumerAllowList<Req>
  /** Delegated tokens (with `supplier`): `allow` (default) or `deny`. */
  readonly delegation?: 'allow' | 'deny'
  /**
   * One-time consent (engangssamtykke): the first accepted request marks the consent as used in
   * the guard's store; any later request with the same consent is refused.
   */
  readonly oneTime?: boolean
}
