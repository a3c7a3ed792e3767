import { randomUUID } from 'node:crypto'
import { parseRfc3339 } from '@consent-guard/core/pipeline'
import { ALTINN_CONSENT_TYPE, altinnTimestamp, iso6523, organizationUrn, personUrn, type ConsentDetailClaim } from '../claims.js'
import { ProblemError, type ConsentRefusal } from './http.js'
import { isUuid, parseValidPartyUrn, type UrnParty } from './identifiers.js'

/** Status of a consent request (Altinn `ConsentRequestStatusType`, lower case as Altinn serialises it). */
export type ConsentRequestStatus = 'created' | 'accepted' | 'rejected' | 'revoked' | 'deleted' | 'expired'

/** Event types in a request's history (`ConsentRequestEventType`; `Used` is never set by Altinn today). */
export type ConsentEventType = 'Created' | 'Accepted' | 'Rejected' | 'Revoked' | 'Deleted' | 'Used'

/** One right of a consent request, as stored and returned (metadata spelt `metadata`). */
export interface ConsentRightRecord {
  readonly action: readonly string[]
  readonly resource: readonly { readonly type: string; readonly value: string }[]
  readonly metadata?: Readonly<Record<string, string>>
}

/** One entry of `consentRequestEvents`. */
export interface ConsentRequestEvent {
  readonly consentEventID: string
  readonly created: string
  readonly performedBy: string
  readonly eventType: ConsentEventType
  readonly consentRequestID: string
}

/** The details Altinn returns for a consent request (`ConsentRequestDetailsDto`). */
export interface ConsentRequestDetails {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly requiredDelegator: string | null
  readonly handledBy: string | null
  readonly validTo: string
  readonly consentRights: readonly ConsentRightRecord[]
  readonly requestMessage: Readonly<Record<string, string>> | null
  readonly status: ConsentRequestStatus
  readonly consented: string | null
  readonly redirectUrl: string
  readonly consentRequestEvents: readonly ConsentRequestEvent[]
  readonly viewUri: string
  readonly portalViewMode: 'hide' | 'show'
}

/**
 * A consent resource as registered in Altinn's Resource Registry, for validation at request time.
 * Resources the emulator does not know are accepted with any metadata.
 */
export interface ConsentResourceDefinition {
  /** The resource's metadata keys; a request must give exactly these, each non-empty. */
  readonly metadata?: readonly string[]
  /** Access list: only these organisations may request consent for the resource (403 otherwise). */
  readonly accessList?: readonly string[]
  /** Marks a one-time consent resource (informational: Altinn does not enforce single use at token time). */
  readonly oneTime?: boolean
  /** Title shown on the emulated consent page. */
  readonly title?: string
  /**
   * The same consent as an Altinn 2 service: an accepted consent for this resource can be fetched as
   * a legacy Altinn 2 token (`GET /api/authorization/token/{id}`), whose `Services` name
   * `{serviceCode}_{serviceEdition}` with the right's metadata.
   */
  readonly altinn2?: { readonly serviceCode: string; readonly serviceEdition: string }
}

/** Who calls the consent request API. */
export interface ConsentActor {
  /** Organisation number of the authenticated consumer (the token's `consumer`). */
  readonly orgno: string
  /** Supplier acting for the consumer (token with `supplier`): becomes `handledBy`. */
  readonly supplier?: string
  /** Holder of `altinn:consentrequests.org`: may create requests whose `to` is another organisation. */
  readonly mayRequestForOthers?: boolean
}

/** Shorthand for seeding an accepted (or other) consent from code. */
export interface GrantConsentInput {
  /** Default: a random UUID. */
  readonly id?: string
  /** Person id (11 digits) or organisation number (9 digits), or a full URN. */
  readonly from: string
  /** Consumer organisation number (9 digits) the consent is given to. */
  readonly to: string
  /** One resource id (with `metadata`) or several rights. */
  readonly resource?: string
  readonly metadata?: Record<string, string>
  readonly rights?: readonly {
    readonly resource: string | readonly string[]
    readonly metadata?: Record<string, string>
    readonly action?: readonly string[]
  }[]
  /** End of validity. Default: 30 days from the emulator's clock. */
  readonly validTo?: Date | string
  /** Final status. Default `accepted`. */
  readonly status?: 'created' | 'accepted' | 'rejected' | 'revoked'
  readonly redirectUrl?: string
  readonly handledBy?: string
}

interface MutableRecord {
  readonly id: string
  readonly from: string
  readonly fromParty: UrnParty
  readonly to: string
  readonly toOrgno: string
  readonly requiredDelegator: string | null
  readonly handledBy: string | null
  readonly validTo: string
  readonly validToMs: number
  readonly consentRights: readonly ConsentRightRecord[]
  readonly requestMessage: Readonly<Record<string, string>> | null
  readonly redirectUrl: string
  readonly portalViewMode: 'hide' | 'show'
  status: Exclude<ConsentRequestStatus, 'expired'>
  consented: string | null
  consentedMs: number | undefined
  readonly events: ConsentRequestEvent[]
}

/** Outcome of the Maskinporten lookup. */
export type ConsentLookup =
  | { readonly ok: true; readonly detail: ConsentDetailClaim; readonly details: ConsentRequestDetails }
  | { readonly ok: false; readonly refusal: ConsentRefusal; readonly description: string }

export interface ConsentStoreOptions {
  readonly now: () => Date
  /** Builds the `viewUri` (the emulated Altinn consent screen) of a request. */
  readonly viewUri: (id: string) => string
  readonly resources?: Readonly<Record<string, ConsentResourceDefinition>>
}

const ORG_URN = /^urn:altinn:organization:identifier-no:([0-9]{9})$/
const DIGITS = /^[0-9]{1,10}$/
/** Metadata keys an Altinn 2 `Services` entry can carry (`{code}_{edition}_{key}={value}`). */
const ALTINN2_METADATA_KEY = /^[A-Za-z0-9]{1,64}$/
const RESOURCE_ID = /^[A-Za-z0-9._:-]{1,256}$/
const REFUSAL_TEXT: Record<ConsentRefusal, string> = {
  consent_not_found: 'No consent with this id exists',
  consent_not_for_consumer: 'The consent was not given to the consumer of this token',
  consent_from_mismatch: 'The consent was not given by the party named in "from"',
  consent_expired: 'The consent has expired',
  consent_not_accepted: 'The consent request has not been accepted',
  consent_rejected: 'The consent request was rejected',
  consent_revoked: 'The consent has been revoked',
  consent_deleted: 'The consent request has been deleted',
}

/**
 * The emulator's Altinn consent store: consent requests, their lifecycle (created → accepted /
 * rejected, accepted → revoked) and the lookup Maskinporten does when a client asks for a token
 * with `authorization_details`.
 */
export class ConsentStore {
  readonly #records = new Map<string, MutableRecord>()
  readonly #options: ConsentStoreOptions
  readonly #resources: Map<string, ConsentResourceDefinition>

  constructor(options: ConsentStoreOptions) {
    this.#options = options
    this.#resources = new Map()
    for (const [id, definition] of Object.entries(options.resources ?? {})) this.defineResource(id, definition)
  }

  /** Registers (or replaces) a consent resource definition used to validate requests. */
  defineResource(id: string, definition: ConsentResourceDefinition): void {
    if (!RESOURCE_ID.test(id)) throw new TypeError(`resource id ${JSON.stringify(id)} is invalid`)
    const a2 = definition.altinn2
    if (a2 !== undefined) {
      if (typeof a2 !== 'object' || a2 === null || !DIGITS.test(String(a2.serviceCode)) || !DIGITS.test(String(a2.serviceEdition))) {
        throw new TypeError(`resource ${id}: altinn2 must be { serviceCode, serviceEdition } with digit strings`)
      }
      for (const key of definition.metadata ?? []) {
        if (!ALTINN2_METADATA_KEY.test(key))
          throw new TypeError(
            `resource ${id}: metadata key ${JSON.stringify(key)} cannot be written in an Altinn 2 token (letters and digits only)`,
          )
      }
    }
    this.#resources.set(id, Object.freeze({ ...definition }))
  }

  /** The resource definition, if registered. */
  resource(id: string): ConsentResourceDefinition | undefined {
    return this.#resources.get(id)
  }

  /**
   * Creates a consent request from a body shaped as Altinn's `ConsentRequestDto` (Altinn's consent request guide).
   * Resolves `{ created: true }` for a new id (HTTP 201) and `{ created: false }` with the stored
   * request when the same consumer sends the same id again (HTTP 200).
   *
   * @throws ProblemError 400 (validation, with `errors` per field), 403 (not allowed to request
   * for `to`, or not on the resource's access list), 409 (the id belongs to another consumer).
   */
  create(body: unknown, actor: ConsentActor): { created: boolean; details: ConsentRequestDetails } {
    const input = this.#validate(body)
    const existing = this.#records.get(input.id.toLowerCase())
    if (!actor.mayRequestForOthers && input.toOrgno !== actor.orgno) {
      throw new ProblemError(403, 'Forbidden', '"to" must be the authenticated organisation', undefined, 'to_not_authenticated_party')
    }
    for (const right of input.consentRights) {
      for (const r of right.resource) {
        const def = this.#resources.get(r.value)
        if (def?.accessList !== undefined && !def.accessList.includes(input.toOrgno)) {
          throw new ProblemError(
            403,
            'Forbidden',
            `The organisation may not request consent for resource ${r.value}`,
            undefined,
            'not_on_access_list',
          )
        }
      }
    }
    if (existing !== undefined) {
      if (existing.toOrgno !== input.toOrgno)
        throw new ProblemError(409, 'Conflict', 'A consent request with this id already exists', undefined, 'id_conflict')
      return { created: false, details: this.#details(existing) }
    }
    const now = this.#now()
    const record: MutableRecord = {
      ...input,
      handledBy: actor.supplier !== undefined ? organizationUrn(actor.supplier) : null,
      status: 'created',
      consented: null,
      consentedMs: undefined,
      events: [],
    }
    this.#event(record, 'Created', organizationUrn(actor.supplier ?? actor.orgno), now)
    this.#records.set(record.id.toLowerCase(), record)
    return { created: true, details: this.#details(record) }
  }

  /** Details of a request (status `expired` once `validTo` has passed), or undefined. */
  get(id: string): ConsentRequestDetails | undefined {
    const record = this.#records.get(id.toLowerCase())
    return record === undefined ? undefined : this.#details(record)
  }

  /** Every request, oldest first. */
  list(): ConsentRequestDetails[] {
    return [...this.#records.values()].map((r) => this.#details(r))
  }

  /** True when `orgno` may read the request (it is `to`, or the supplier in `handledBy`). */
  canRead(id: string, orgno: string): boolean {
    const record = this.#records.get(id.toLowerCase())
    if (record === undefined) return false
    return record.toOrgno === orgno || record.handledBy === organizationUrn(orgno)
  }

  /**
   * The person (or organisation) accepts the request on the Altinn consent screen. Only a
   * `created`, unexpired request can be accepted; `consented` is set to the emulator's clock.
   *
   * @throws ProblemError 404 (unknown id) or 409 (`invalid_transition`).
   */
  accept(id: string, options: { performedBy?: string } = {}): ConsentRequestDetails {
    return this.#transition(id, ['created'], 'accepted', 'Accepted', options.performedBy)
  }

  /** The person rejects a `created` request. */
  reject(id: string, options: { performedBy?: string } = {}): ConsentRequestDetails {
    return this.#transition(id, ['created'], 'rejected', 'Rejected', options.performedBy)
  }

  /** The person withdraws an `accepted` consent; Maskinporten then refuses new tokens for it. */
  revoke(id: string, options: { performedBy?: string } = {}): ConsentRequestDetails {
    return this.#transition(id, ['accepted'], 'revoked', 'Revoked', options.performedBy)
  }

  /** Removes every request. */
  clear(): void {
    this.#records.clear()
  }

  /**
   * Seeds a consent without the HTTP flow: creates the request as the consumer `to` and (by
   * default) accepts it as `from`. For tests that only need a token.
   */
  grant(input: GrantConsentInput): ConsentRequestDetails {
    const from = input.from.startsWith('urn:') ? input.from : input.from.length === 11 ? personUrn(input.from) : organizationUrn(input.from)
    const rights = input.rights ?? [
      { resource: input.resource ?? 'example-resource', ...(input.metadata !== undefined ? { metadata: input.metadata } : {}) },
    ]
    const validTo = input.validTo ?? new Date(this.#now().getTime() + 30 * 86_400_000)
    const body = {
      id: input.id ?? randomUUID(),
      from,
      to: organizationUrn(input.to),
      validTo: typeof validTo === 'string' ? validTo : altinnTimestamp(validTo),
      consentRights: rights.map((r) => ({
        action: [...(r.action ?? ['consent'])],
        resource: (typeof r.resource === 'string' ? [r.resource] : [...r.resource]).map((value) => ({
          type: 'urn:altinn:resource',
          value,
        })),
        ...(r.metadata !== undefined ? { metadata: { ...r.metadata } } : {}),
      })),
      redirectUrl: input.redirectUrl ?? 'https://example.invalid/consent-done',
    }
    const { details } = this.create(body, { orgno: input.to, ...(input.handledBy !== undefined ? { supplier: input.handledBy } : {}) })
    const status = input.status ?? 'accepted'
    if (status === 'created') return details
    if (status === 'rejected') return this.reject(details.id)
    const accepted = this.accept(details.id)
    return status === 'revoked' ? this.revoke(details.id) : accepted
  }

  /**
   * What Maskinporten asks Altinn when a grant carries
   * `authorization_details: [{ type: "urn:altinn:consent", id, from }]`. Checks in Altinn's order:
   * exists, given to `consumer`, `from` matches, not expired, accepted. The Altinn 2 token exchange
   * knows only the code (no `from`); without `consumer` (no authentication) that check is skipped.
   */
  lookup(request: { id: string; from?: string; consumer?: string }): ConsentLookup {
    const record = this.#records.get(request.id.toLowerCase())
    const refuse = (refusal: ConsentRefusal): ConsentLookup => ({ ok: false, refusal, description: REFUSAL_TEXT[refusal] })
    if (record === undefined) return refuse('consent_not_found')
    if (request.consumer !== undefined && record.toOrgno !== request.consumer) return refuse('consent_not_for_consumer')
    if (request.from !== undefined && record.from !== request.from) return refuse('consent_from_mismatch')
    const now = this.#now().getTime()
    if (now >= record.validToMs) return refuse('consent_expired')
    switch (record.status) {
      case 'created':
        return refuse('consent_not_accepted')
      case 'rejected':
        return refuse('consent_rejected')
      case 'revoked':
        return refuse('consent_revoked')
      case 'deleted':
        return refuse('consent_deleted')
      case 'accepted':
        break
    }
    const detail: ConsentDetailClaim = {
      type: ALTINN_CONSENT_TYPE,
      id: record.id,
      from: record.from,
      to: iso6523(record.toOrgno),
      consented: record.consented as string,
      validTo: record.validTo,
      consentRights: record.consentRights.map((r) => ({
        action: [...r.action],
        resource: r.resource.map((x) => ({ ...x })),
        ...(r.metadata !== undefined ? { metadata: { ...r.metadata } } : {}),
      })),
    }
    return { ok: true, detail, details: this.#details(record) }
  }

  #now(): Date {
    return this.#options.now()
  }

  #transition(
    id: string,
    from: readonly MutableRecord['status'][],
    to: MutableRecord['status'],
    eventType: ConsentEventType,
    performedBy: string | undefined,
  ): ConsentRequestDetails {
    const record = this.#records.get(id.toLowerCase())
    if (record === undefined) throw new ProblemError(404, 'Not Found', 'No consent request with this id', undefined, 'not_found')
    const now = this.#now()
    const expired = now.getTime() >= record.validToMs
    if (!from.includes(record.status) || expired) {
      const current = expired && (record.status === 'created' || record.status === 'accepted') ? 'expired' : record.status
      throw new ProblemError(409, 'Conflict', `A consent request in status "${current}" cannot be ${to}`, undefined, 'invalid_transition')
    }
    if (performedBy !== undefined && parseValidPartyUrn(performedBy) === undefined) {
      throw new ProblemError(400, 'Bad Request', '"performedBy" must be a person or organisation URN', undefined, 'validation_failed')
    }
    record.status = to
    if (to === 'accepted') {
      record.consented = altinnTimestamp(now)
      record.consentedMs = now.getTime()
    }
    this.#event(record, eventType, performedBy ?? record.from, now)
    return this.#details(record)
  }

  #event(record: MutableRecord, eventType: ConsentEventType, performedBy: string, now: Date): void {
    record.events.push(
      Object.freeze({
        consentEventID: randomUUID(),
        created: altinnTimestamp(now),
        performedBy,
        eventType,
        consentRequestID: record.id,
      }),
    )
  }

  #details(record: MutableRecord): ConsentRequestDetails {
    const expired = this.#now().getTime() >= record.validToMs && (record.status === 'created' || record.status === 'accepted')
    return {
      id: record.id,
      from: record.from,
      to: record.to,
      requiredDelegator: record.requiredDelegator,
      handledBy: record.handledBy,
      validTo: record.validTo,
      consentRights: record.consentRights,
      requestMessage: record.requestMessage,
      status: expired ? 'expired' : record.status,
      consented: record.consented,
      redirectUrl: record.redirectUrl,
      consentRequestEvents: [...record.events],
      viewUri: this.#options.viewUri(record.id),
      portalViewMode: record.portalViewMode,
    }
  }

  #validate(body: unknown): Omit<MutableRecord, 'status' | 'consented' | 'consentedMs' | 'events' | 'handledBy'> {
    const errors: Record<string, string[]> = {}
    const add = (field: string, message: string): void => {
      ;(errors[field] ??= []).push(message)
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ProblemError(
        400,
        'One or more validation errors occurred.',
        'The body must be a JSON object',
        undefined,
        'validation_failed',
      )
    }
    const b = body as Record<string, unknown>

    if (!isUuid(b.id)) add('id', 'Required: a UUID chosen by the consumer')
    const fromParty = parseValidPartyUrn(b.from)
    if (fromParty === undefined)
      add(
        'from',
        'Required: urn:altinn:person:identifier-no:<11 digits> or urn:altinn:organization:identifier-no:<9 digits> with valid control digits',
      )
    const toParty = parseValidPartyUrn(b.to)
    if (toParty === undefined || toParty.type !== 'organization' || typeof b.to !== 'string' || !ORG_URN.test(b.to)) {
      add('to', 'Required: urn:altinn:organization:identifier-no:<9 digits> with a valid control digit')
    }
    if (b.requiredDelegator !== undefined && b.requiredDelegator !== null && parseValidPartyUrn(b.requiredDelegator) === undefined) {
      add('requiredDelegator', 'Must be a person or organisation URN')
    }
    let validToMs: number | undefined
    if (typeof b.validTo !== 'string') add('validTo', 'Required: an ISO 8601 date-time with offset')
    else {
      validToMs = parseRfc3339(b.validTo)
      if (validToMs === undefined) add('validTo', 'Must be an ISO 8601 date-time with offset, e.g. 2027-02-03T10:13:27.897002+00:00')
      else if (validToMs <= this.#now().getTime()) add('validTo', 'Must be in the future')
    }
    const rights: ConsentRightRecord[] = []
    if (!Array.isArray(b.consentRights) || b.consentRights.length === 0) add('consentRights', 'Required: at least one right')
    else {
      b.consentRights.forEach((raw: unknown, i: number) => {
        const at = `consentRights[${i}]`
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return add(at, 'Must be an object')
        const r = raw as Record<string, unknown>
        const action = r.action
        if (!Array.isArray(action) || action.length === 0 || !action.every((a) => typeof a === 'string' && a !== '')) {
          add(`${at}.action`, 'Required: a non-empty array of actions, e.g. ["consent"]')
        }
        const resource = r.resource
        const resources: { type: string; value: string }[] = []
        if (!Array.isArray(resource) || resource.length === 0)
          add(`${at}.resource`, 'Required: [{ "type": "urn:altinn:resource", "value": "<resource id>" }]')
        else {
          for (const [j, entry] of resource.entries()) {
            const e = entry as { type?: unknown; value?: unknown } | null
            if (
              typeof e !== 'object' ||
              e === null ||
              e.type !== 'urn:altinn:resource' ||
              typeof e.value !== 'string' ||
              !RESOURCE_ID.test(e.value)
            ) {
              add(`${at}.resource[${j}]`, 'Must be { "type": "urn:altinn:resource", "value": "<resource id>" }')
            } else resources.push({ type: e.type, value: e.value })
          }
        }
        // ASP.NET binds member names case-insensitively: `metadata` and `metaData` are the same member.
        const metaKeys = Object.keys(r).filter((k) => k.toLowerCase() === 'metadata')
        if (metaKeys.length > 1) add(`${at}.metadata`, 'Give metadata once')
        const rawMeta = metaKeys.length === 1 ? r[metaKeys[0] as string] : undefined
        let metadata: Record<string, string> | undefined
        if (rawMeta !== undefined && rawMeta !== null) {
          if (typeof rawMeta !== 'object' || Array.isArray(rawMeta)) add(`${at}.metadata`, 'Must be an object of strings')
          else {
            metadata = {}
            for (const [k, v] of Object.entries(rawMeta)) {
              if (typeof v !== 'string' || v.trim() === '') add(`${at}.metadata.${k}`, 'Values must be non-empty strings')
              else metadata[k] = v
            }
          }
        }
        for (const res of resources) {
          const def = this.#resources.get(res.value)
          if (def?.metadata === undefined) continue
          const given = new Set(Object.keys(metadata ?? {}).map((k) => k.toLowerCase()))
          const expected = new Set(def.metadata.map((k) => k.toLowerCase()))
          for (const k of expected) if (!given.has(k)) add(`${at}.metadata.${k}`, `Resource ${res.value} requires metadata "${k}"`)
          for (const k of given) if (!expected.has(k)) add(`${at}.metadata.${k}`, `Resource ${res.value} has no metadata "${k}"`)
        }
        if (Array.isArray(action) && resources.length > 0) {
          rights.push(
            Object.freeze({
              action: Object.freeze([...(action as string[])]),
              resource: Object.freeze(resources),
              ...(metadata !== undefined ? { metadata: Object.freeze(metadata) } : {}),
            }),
          )
        }
      })
    }
    let requestMessage: Record<string, string> | null = null
    if (b.requestMessage !== undefined && b.requestMessage !== null) {
      if (
        typeof b.requestMessage !== 'object' ||
        Array.isArray(b.requestMessage) ||
        !Object.values(b.requestMessage).every((v) => typeof v === 'string')
      ) {
        add('requestMessage', 'Must be an object: language → text')
      } else requestMessage = { ...(b.requestMessage as Record<string, string>) }
    }
    if (typeof b.redirectUrl !== 'string' || !isRedirectUrl(b.redirectUrl))
      add('redirectUrl', 'Required: an http(s) URL or a custom app scheme URL')
    let portalViewMode: 'hide' | 'show' = 'hide'
    if (b.portalViewMode !== undefined && b.portalViewMode !== null) {
      const mode = typeof b.portalViewMode === 'string' ? b.portalViewMode.toLowerCase() : ''
      if (mode === 'hide' || mode === 'show') portalViewMode = mode
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
}

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
