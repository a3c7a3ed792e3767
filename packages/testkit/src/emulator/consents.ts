import { randomUUID } from 'node:crypto'
import { ALTINN_CONSENT_TYPE, altinnTimestamp, iso6523, organizationUrn, personUrn, type ConsentDetailClaim } from '../claims.js'
import { ProblemError, type ConsentRefusal } from './http.js'
import { RESOURCE_ID, validateConsentRequest, type ValidConsentRequest } from './consent-request-schema.js'
import type {
  ConsentActor,
  ConsentEventType,
  ConsentRequestDetails,
  ConsentRequestEvent,
  ConsentRequestStatus,
  ConsentResourceDefinition,
  GrantConsentInput,
} from './consent-types.js'
import { parseValidPartyUrn } from './identifiers.js'

export type {
  ConsentActor,
  ConsentEventType,
  ConsentRequestDetails,
  ConsentRequestEvent,
  ConsentRequestStatus,
  ConsentResourceDefinition,
  ConsentRightRecord,
  GrantConsentInput,
} from './consent-types.js'

interface MutableRecord extends ValidConsentRequest {
  readonly handledBy: string | null
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

const DIGITS = /^[0-9]{1,10}$/
/** Metadata keys an Altinn 2 `Services` entry can carry (`{code}_{edition}_{key}={value}`). */
const ALTINN2_METADATA_KEY = /^[A-Za-z0-9]{1,64}$/
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
    const input = validateConsentRequest(body, { now: this.#now(), resource: (id) => this.#resources.get(id) })
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
}
