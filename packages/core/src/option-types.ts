import type { AuditEvent, AuditLogger } from './audit.js'
import type { DisclosureMode, DisclosureSink } from './disclosure.js'
import type { KeySetOptions } from './keys/key-set.js'
import type { ConsentUseStore } from './one-time/store.js'

/**
 * The guard's options as a user writes them, and as the guard keeps them after validation
 * (`options.ts` validates; this module only names the shapes).
 */

/** Maskinporten environments with published issuer and key-set URLs. */
export const MASKINPORTEN_ENVIRONMENTS = {
  prod: { issuer: 'https://maskinporten.no/', jwksUri: 'https://maskinporten.no/jwk' },
  test: { issuer: 'https://test.maskinporten.no/', jwksUri: 'https://test.maskinporten.no/jwk' },
} as const

/**
 * Altinn 2 consent-token key sets. The TT02 URL is documented; the production URL is inferred from
 * the TT02 one (Altinn publishes no production URL in its consent docs) and should be confirmed against
 * `https://altinn.no/.well-known/oauth-authorization-server` before use, or given explicitly.
 */
export const ALTINN2_ENVIRONMENTS = {
  tt02: { jwksUri: 'https://tt02.altinn.no/api/metadata/jwk' },
  prod: { jwksUri: 'https://www.altinn.no/api/metadata/jwk' },
} as const

/** Where Altinn 2 consent tokens' keys come from: a preset or a custom key-set URL. */
export type Altinn2Environment = keyof typeof ALTINN2_ENVIRONMENTS | { readonly jwksUri: string | URL }

/** A Maskinporten environment preset, or a custom issuer (a local emulator, tests). */
export type MaskinportenEnvironment = keyof typeof MASKINPORTEN_ENVIRONMENTS | { readonly issuer: string; readonly jwksUri: string | URL }

/** Options of `createConsentGuard`. */
export interface ConsentGuardOptions {
  /** Which Maskinporten the tokens come from: `prod`, `test`, or `{ issuer, jwksUri }`. */
  readonly maskinporten: MaskinportenEnvironment
  /**
   * Two-token mode: read the consent token from this header (e.g. `AltinnSamtykke`) while
   * `Authorization` carries the access token. Omit for Altinn 3 single-token mode, where the
   * bearer token carries both the scope and the consent.
   */
  readonly consentHeader?: string
  /**
   * Accept legacy Altinn 2 consent tokens (issuer `altinn.no`) in the consent header, beside
   * Altinn 3 ones, while the migration runs. Off unless set; needs `consentHeader`. Remove it to
   * turn the legacy path off: an Altinn 2 token is then a 401 `legacy_token_not_accepted`.
   *
   * @deprecated Altinn II closed on 19 June 2026: no Altinn 2 consent token can be issued any more,
   * and migrated consents arrive as Altinn 3 tokens (see `migratedResourceId`). Setting it emits a
   * `DeprecationWarning` (code `CONSENT_GUARD_ALTINN2`) once per guard; the option goes in the next
   * major version.
   */
  readonly altinn2?: Altinn2Environment
  /** Key-set fetching and caching for the Altinn 2 key set (same fields as `keys`). */
  readonly altinn2Keys?: Omit<KeySetOptions, 'jwksUri'>
  /** Largest `exp - nbf` of an Altinn 2 token in seconds (they live 30 s). Default 120. */
  readonly altinn2MaxTokenAge?: number
  /**
   * Allowed signing algorithms, asymmetric only. Default `DEFAULT_ALGORITHMS`: `RS256`,
   * `RS384` and `RS512`, the algorithms Maskinporten's token documentation lists.
   */
  readonly algorithms?: readonly string[]
  /** Leeway in seconds for `exp`, `nbf`, `iat` and `consented`. Default 10, range 0-60. */
  readonly clockTolerance?: number
  /** Largest `exp - iat` and token age in seconds (set to your scope's `at_max_age`). Default 3600. */
  readonly maxTokenAge?: number
  /**
   * Audience(s) of this API, for audience-restricted tokens. When set, a token's `aud` must name one
   * exactly; a token without `aud` or with `unspecified` (both Maskinporten's "not restricted") is
   * refused unless `requireAudience: false`. `unspecified` may not be configured.
   */
  readonly audience?: string | readonly string[]
  /**
   * Whether unrestricted tokens (no `aud`, or `unspecified`) are refused. Default: true when
   * `audience` is set. `false` accepts them while a present, restricted `aud` must still match
   * (for a move to audience-restricted tokens). Needs `audience`.
   */
  readonly requireAudience?: boolean
  /** Key-set fetching and caching (timeouts, cooldown, stale-if-error, size caps). */
  readonly keys?: Omit<KeySetOptions, 'jwksUri'>
  /**
   * Further authorities accepted in `consumer`, `supplier` and a consent's `to`, beside the Norwegian
   * form (`iso6523-actorid-upis` + `0192:<orgno>`, always accepted). Exact strings, e.g.
   * `['etsi-en-319-412']` for Maskinporten's European eSeal pilot. Listing `iso6523-actorid-upis`
   * accepts its other ICDs and sub-unit forms. Identifiers of other authorities are refused with
   * 401 `consumer_identifier_unsupported`. Default: none.
   */
  readonly consumerAuthorities?: readonly string[]
  /**
   * When set, delegated tokens (with `supplier`) must carry one of these `delegation_source`
   * values (e.g. `['https://www.altinn.no']` in production); otherwise they are refused.
   */
  readonly delegationSources?: readonly string[]
  /** `realm` of the `WWW-Authenticate` challenge. Default `consent-guard`. */
  readonly realm?: string
  /** Where audit events go when the adapter gives no per-request logger. */
  readonly logger?: AuditLogger
  /** Called with every audit event (metrics, alerting). Must not throw. */
  readonly onDecision?: (event: AuditEvent) => void
  /** Secret for the keyed hash of subjects in audit events. Random per process when omitted. */
  readonly auditKey?: string | Uint8Array
  /** Store of used one-time consents. Default: an in-memory store (one instance only). */
  readonly store?: ConsentUseStore
  /** Give up on the store after this many ms and answer 503. Default 1000. */
  readonly storeTimeoutMs?: number
  /** Give up on a `consumers` allow-list function after this many ms and answer 503. Default 1000. */
  readonly consumerCheckTimeoutMs?: number
  /** Upper bound of a one-time record's lifetime in seconds. Default 3 years. */
  readonly oneTimeMaxTtl?: number
  /**
   * Receives a `DisclosureRecord` for every guarded answer that released data (2xx), after
   * the handler: the disclosure log a data source keeps to answer a person's access request
   * (`@consent-guard/disclosure-log` writes them to PostgreSQL). Off when omitted.
   */
  readonly onDisclosure?: DisclosureSink
  /**
   * `fail-closed` (default): no data leaves unless its disclosure was recorded; a failed or slow
   * write is a 503 `disclosure_log_unavailable`. `fire-and-forget`: recorded after the answer was
   * sent; failures are logged. Needs `onDisclosure`.
   */
  readonly disclosureMode?: DisclosureMode
  /** Give up on `onDisclosure` after this many ms (fail-closed: answer 503). Default 2000, range 1-30000. */
  readonly disclosureTimeoutMs?: number
  /** Clock (tests, emulators). Default `() => new Date()`. */
  readonly clock?: () => Date
  /**
   * Cache of verified tokens, one per token kind (access, consent, Altinn 2): a token seen before
   * skips the signature and claim verification (its time claims are checked again); every
   * request-dependent check still runs. `false` turns it off. Default `{ maxEntries: 5000 }`.
   */
  readonly tokenCache?: false | { readonly maxEntries?: number }
  /**
   * Load shedding for uncached verifications: at most `maxInFlight` at once, `maxQueued` waiting at
   * most `queueTimeoutMs`; the rest get 503 `overloaded` with `Retry-After: retryAfterSeconds`.
   * While the event loop's longest stall of the last 50 ms window exceeds `maxEventLoopDelayMs`
   * (CPU saturation), every uncached verification gets the same answer at once, before any crypto;
   * `maxEventLoopDelayMs: false` or `0` turns that check off, else 10-60000 ms.
   * At most `maxVerificationsPerTurn` verifications run in one event-loop turn; the rest wait, in
   * order, for the next turns (within `maxQueued` and `queueTimeoutMs`), so the loop keeps
   * accepting connections and running timers under load; `false` or `0` turns that off.
   * `false` turns it all off. Defaults 256, 1024, 1000 ms, 1 s, 1000 ms, 128.
   */
  readonly overload?:
    | false
    | {
        readonly maxInFlight?: number
        readonly maxQueued?: number
        readonly queueTimeoutMs?: number
        readonly retryAfterSeconds?: number
        readonly maxEventLoopDelayMs?: number | false
        readonly maxVerificationsPerTurn?: number | false
      }
  /**
   * Header carrying the caller's correlation id, echoed on the response, in problem bodies and in
   * audit events. Default `X-Correlation-ID`; Skatteetaten uses `Korrelasjonsid`.
   */
  readonly correlationHeader?: string
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly issuer: string
  readonly jwksUri: URL
  readonly consentHeader: string | undefined
  /** Altinn 2 key-set URL when legacy tokens are accepted. */
  readonly altinn2JwksUri: URL | undefined
  readonly altinn2MaxTokenAge: number
  readonly algorithms: readonly string[]
  readonly clockTolerance: number
  readonly maxTokenAge: number
  readonly audience: readonly string[] | undefined
  readonly requireAudience: boolean
  readonly delegationSources: ReadonlySet<string> | undefined
  /** Authorities accepted beside the Norwegian form (empty by default). */
  readonly consumerAuthorities: ReadonlySet<string>
  readonly realm: string
  readonly storeTimeoutMs: number
  readonly consumerCheckTimeoutMs: number
  readonly oneTimeMaxTtl: number
  /** `undefined` when no `onDisclosure` is set. */
  readonly disclosureMode: DisclosureMode | undefined
  readonly disclosureTimeoutMs: number
  readonly clock: () => Date
  /** Size cap of each verified-token cache; undefined when the cache is off. */
  readonly tokenCache: { readonly maxEntries: number } | undefined
  /** Verification admission limits; undefined when load shedding is off. */
  readonly overload:
    | {
        readonly maxInFlight: number
        readonly maxQueued: number
        readonly queueTimeoutMs: number
        readonly retryAfterSeconds: number
        /** 0 when the event-loop check is off. */
        readonly maxEventLoopDelayMs: number
        /** 0 when verifications are never moved to a later loop turn. */
        readonly maxVerificationsPerTurn: number
      }
    | undefined
  /** Lower-case correlation header name. */
  readonly correlationHeader: string
}
