/** Types of the emulator's consent store, shaped as Altinn's consent request API. */

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
