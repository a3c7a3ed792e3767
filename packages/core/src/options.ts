import { isIP } from 'node:net'
import { ConsentGuardConfigError, DEFAULT_REALM } from './errors.js'
import type { AuditEvent, AuditLogger } from './audit.js'
import { KEY_SET_DEFAULTS, type KeySetOptions } from './keys/key-set.js'
import type { ConsentUseStore } from './one-time/store.js'
import { resolveOverload, resolveTokenCache } from './performance-options.js'
import type { DisclosureMode, DisclosureSink } from './disclosure.js'
import { DEFAULT_CORRELATION_HEADER } from './observability/correlation.js'
import { UNRESTRICTED_AUDIENCE } from './consent/audience.js'

export { UNRESTRICTED_AUDIENCE }

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
   * Allowed signing algorithms, asymmetric only. Default {@link DEFAULT_ALGORITHMS}: `RS256`,
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
   * `false` turns it off. Defaults 256, 1024, 1000 ms, 1 s.
   */
  readonly overload?:
    | false
    | {
        readonly maxInFlight?: number
        readonly maxQueued?: number
        readonly queueTimeoutMs?: number
        readonly retryAfterSeconds?: number
      }
  /**
   * Header carrying the caller's correlation id, echoed on the response, in problem bodies and in
   * audit events. Default `X-Correlation-ID`; Skatteetaten uses `Korrelasjonsid`.
   */
  readonly correlationHeader?: string
}

export { PERFORMANCE_DEFAULTS } from './performance-options.js'
/**
 * The `aud` Maskinporten writes when the client asked for no audience (its docs say `aud` may be
 * omitted instead). Never an audience of its own: with `audience` configured it is refused like any
 * other value that is not yours; without, it is ignored like an absent `aud`.
 */

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
    | { readonly maxInFlight: number; readonly maxQueued: number; readonly queueTimeoutMs: number; readonly retryAfterSeconds: number }
    | undefined
  /** Lower-case correlation header name. */
  readonly correlationHeader: string
}

const SUPPORTED_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'])

/**
 * Signing algorithms accepted when `algorithms` is not set: the three Maskinporten's token
 * documentation lists (observed tokens are all RS256). A key whose JWK names one `alg` still
 * verifies only tokens of that algorithm.
 */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512'])
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const AUTHORITY = /^[\x21-\x39\x3b-\x7e]{1,256}$/
const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/

// Every option name (the type keeps the list complete): a typo such as `consentheader` must not
// silently mean single-token mode.
const OPTION_NAMES = {
  maskinporten: true,
  consentHeader: true,
  altinn2: true,
  altinn2Keys: true,
  altinn2MaxTokenAge: true,
  algorithms: true,
  clockTolerance: true,
  maxTokenAge: true,
  audience: true,
  requireAudience: true,
  keys: true,
  delegationSources: true,
  consumerAuthorities: true,
  realm: true,
  logger: true,
  onDecision: true,
  auditKey: true,
  store: true,
  storeTimeoutMs: true,
  consumerCheckTimeoutMs: true,
  oneTimeMaxTtl: true,
  onDisclosure: true,
  disclosureMode: true,
  disclosureTimeoutMs: true,
  clock: true,
  tokenCache: true,
  overload: true,
  correlationHeader: true,
} as const satisfies Record<keyof ConsentGuardOptions, true>

const KEY_OPTION_NAMES = {
  timeoutMs: true,
  cooldownMs: true,
  cacheMaxAgeMs: true,
  staleIfErrorMs: true,
  maxResponseBytes: true,
  maxKeys: true,
  fetch: true,
} as const satisfies Record<Exclude<keyof KeySetOptions, 'jwksUri'>, true>

type Fail = (msg: string) => never

/** Validates options and fills in defaults. Throws `ConsentGuardConfigError` on anything wrong. */
export function resolveOptions(options: ConsentGuardOptions): ResolvedOptions {
  const fail: Fail = (msg) => {
    throw new ConsentGuardConfigError('option_invalid', `consent-guard options: ${msg}`)
  }
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  checkNames(options, OPTION_NAMES, '')
  const env = options.maskinporten
  let issuer: string
  let jwks: string | URL
  if (env === 'prod' || env === 'test') {
    ;({ issuer, jwksUri: jwks } = MASKINPORTEN_ENVIRONMENTS[env])
  } else if (typeof env === 'object' && env !== null && typeof env.issuer === 'string' && env.jwksUri !== undefined) {
    checkNames(env, { issuer: true, jwksUri: true }, 'maskinporten.')
    issuer = env.issuer
    jwks = env.jwksUri
  } else {
    return fail('"maskinporten" must be "prod", "test" or { issuer, jwksUri }')
  }
  if (issuer === '' || issuer.trim() !== issuer) fail('"maskinporten.issuer" must be a non-empty string without surrounding spaces')
  const jwksUri = checkJwksUri(jwks, fail)

  let consentHeader: string | undefined
  if (options.consentHeader !== undefined) {
    if (typeof options.consentHeader !== 'string' || !HEADER_NAME.test(options.consentHeader))
      fail('"consentHeader" must be an HTTP header name')
    consentHeader = options.consentHeader.toLowerCase()
    if (consentHeader === 'authorization') fail('"consentHeader" must not be Authorization')
  }
  let altinn2JwksUri: URL | undefined
  if (options.altinn2 !== undefined) {
    const a2 = options.altinn2
    const uri =
      a2 === 'tt02' || a2 === 'prod'
        ? ALTINN2_ENVIRONMENTS[a2].jwksUri
        : typeof a2 === 'object' && a2 !== null
          ? (checkNames(a2, { jwksUri: true }, 'altinn2.'), a2.jwksUri)
          : fail('"altinn2" must be "tt02", "prod" or { jwksUri }')
    altinn2JwksUri = checkJwksUri(uri, fail)
    if (consentHeader === undefined) fail('"altinn2" needs "consentHeader": Altinn 2 consent tokens travel beside the Maskinporten token')
  }
  const altinn2MaxTokenAge = options.altinn2MaxTokenAge ?? 120
  if (!Number.isFinite(altinn2MaxTokenAge) || altinn2MaxTokenAge <= 0 || altinn2MaxTokenAge > 3600)
    fail('"altinn2MaxTokenAge" must be 1-3600 seconds')
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => SUPPORTED_ALGS.has(a))) {
    fail(`"algorithms" must list asymmetric algorithms from ${[...SUPPORTED_ALGS].join(', ')}`)
  }
  const clockTolerance = options.clockTolerance ?? 10
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0 || clockTolerance > 60) fail('"clockTolerance" must be 0-60 seconds')
  const maxTokenAge = options.maxTokenAge ?? 3600
  if (!Number.isFinite(maxTokenAge) || maxTokenAge <= 0 || maxTokenAge > 86_400) fail('"maxTokenAge" must be 1-86400 seconds')
  const audience =
    options.audience === undefined ? undefined : typeof options.audience === 'string' ? [options.audience] : [...options.audience]
  if (audience !== undefined && (audience.length === 0 || !audience.every((a) => typeof a === 'string' && a !== '')))
    fail('"audience" must be non-empty strings')
  // Maskinporten writes `unspecified` when no audience was requested: configuring it would accept every unrestricted token.
  if (audience?.includes(UNRESTRICTED_AUDIENCE))
    fail(`"audience" must not be "${UNRESTRICTED_AUDIENCE}": that value means "not audience-restricted"`)
  // With an audience configured, tokens must be restricted to it unless the API opts out explicitly.
  const requireAudience = options.requireAudience ?? audience !== undefined
  if (requireAudience && audience === undefined) fail('"requireAudience" needs "audience"')
  const realm = options.realm ?? DEFAULT_REALM
  if (typeof realm !== 'string' || !REALM.test(realm)) fail('"realm" must be printable ASCII without quotes or backslashes')
  const storeTimeoutMs = options.storeTimeoutMs ?? 1000
  if (!Number.isFinite(storeTimeoutMs) || storeTimeoutMs <= 0) fail('"storeTimeoutMs" must be a positive number')
  const consumerCheckTimeoutMs = options.consumerCheckTimeoutMs ?? 1000
  if (!Number.isFinite(consumerCheckTimeoutMs) || consumerCheckTimeoutMs <= 0) fail('"consumerCheckTimeoutMs" must be a positive number')
  const oneTimeMaxTtl = options.oneTimeMaxTtl ?? 3 * 366 * 86_400
  if (!Number.isFinite(oneTimeMaxTtl) || oneTimeMaxTtl <= 0) fail('"oneTimeMaxTtl" must be a positive number of seconds')
  if (options.onDisclosure !== undefined && typeof options.onDisclosure !== 'function') fail('"onDisclosure" must be a function')
  const disclosureMode = options.disclosureMode ?? 'fail-closed'
  if (disclosureMode !== 'fail-closed' && disclosureMode !== 'fire-and-forget')
    fail('"disclosureMode" must be "fail-closed" or "fire-and-forget"')
  if (options.onDisclosure === undefined && (options.disclosureMode !== undefined || options.disclosureTimeoutMs !== undefined))
    fail('"disclosureMode" and "disclosureTimeoutMs" need "onDisclosure"')
  const disclosureTimeoutMs = options.disclosureTimeoutMs ?? 2000
  if (!Number.isInteger(disclosureTimeoutMs) || disclosureTimeoutMs < 1 || disclosureTimeoutMs > 30_000)
    fail('"disclosureTimeoutMs" must be a whole number of milliseconds, 1-30000')
  if (
    options.delegationSources !== undefined &&
    (!Array.isArray(options.delegationSources) || !options.delegationSources.every((s) => typeof s === 'string'))
  ) {
    fail('"delegationSources" must be an array of strings')
  }
  const consumerAuthorities = options.consumerAuthorities ?? []
  // No colon and no space: the `<authority>:<id>` string form then names exactly one identifier.
  if (!Array.isArray(consumerAuthorities) || !consumerAuthorities.every((a) => typeof a === 'string' && AUTHORITY.test(a)))
    fail('"consumerAuthorities" must be an array of authority names (printable ASCII without spaces or colons, at most 256)')
  checkKeyOptions('keys', options.keys, fail)
  checkKeyOptions('altinn2Keys', options.altinn2Keys, fail)
  if (options.logger !== undefined && (typeof options.logger !== 'object' || typeof options.logger?.info !== 'function'))
    fail('"logger" must have an info method')
  if (options.onDecision !== undefined && typeof options.onDecision !== 'function') fail('"onDecision" must be a function')
  if (options.clock !== undefined && typeof options.clock !== 'function') fail('"clock" must be a function returning a Date')
  if (
    options.store !== undefined &&
    (typeof options.store !== 'object' || typeof options.store?.markUsed !== 'function' || typeof options.store.release !== 'function')
  )
    fail('"store" must have markUsed and release methods')
  const tokenCache = resolveTokenCache(options.tokenCache, fail)
  const overload = resolveOverload(options.overload, fail)
  const correlationHeader = options.correlationHeader ?? DEFAULT_CORRELATION_HEADER
  if (typeof correlationHeader !== 'string' || !HEADER_NAME.test(correlationHeader)) fail('"correlationHeader" must be an HTTP header name')
  return Object.freeze({
    issuer,
    jwksUri,
    consentHeader,
    altinn2JwksUri,
    altinn2MaxTokenAge,
    algorithms: Object.freeze([...algorithms]),
    clockTolerance,
    maxTokenAge,
    audience: audience && Object.freeze(audience),
    requireAudience,
    delegationSources: options.delegationSources && new Set(options.delegationSources),
    consumerAuthorities: new Set(consumerAuthorities),
    realm,
    storeTimeoutMs,
    consumerCheckTimeoutMs,
    oneTimeMaxTtl,
    disclosureMode: options.onDisclosure === undefined ? undefined : disclosureMode,
    disclosureTimeoutMs,
    clock: options.clock ?? (() => new Date()),
    tokenCache,
    overload,
    correlationHeader: correlationHeader.toLowerCase(),
  })
}

/** Refuses names the type does not know, suggesting the right spelling of a case typo. */
function checkNames(value: object, known: Readonly<Record<string, true>>, prefix: string): void {
  for (const name of Object.keys(value)) {
    if (Object.hasOwn(known, name)) continue
    const near = Object.keys(known).find((k) => k.toLowerCase() === name.toLowerCase())
    throw new ConsentGuardConfigError(
      'option_unknown',
      `consent-guard options: unknown option "${prefix}${name}"${near === undefined ? '' : ` (did you mean "${prefix}${near}"?)`}`,
    )
  }
}

/** `keys` and `altinn2Keys`: known names, numbers in range, a fetch function. */
function checkKeyOptions(name: 'keys' | 'altinn2Keys', value: unknown, fail: Fail): void {
  if (value === undefined) return
  if (typeof value !== 'object' || value === null) return fail(`"${name}" must be an object`)
  checkNames(value, KEY_OPTION_NAMES, `${name}.`)
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue
    if (key === 'fetch') {
      if (typeof v !== 'function') fail(`"${name}.fetch" must be a function`)
    } else if (key === 'maxResponseBytes' || key === 'maxKeys') {
      if (!Number.isSafeInteger(v) || (v as number) <= 0) fail(`"${name}.${key}" must be a positive integer`)
    } else if (key === 'timeoutMs') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`"${name}.timeoutMs" must be a positive number of ms`)
    } else if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      // cooldownMs, cacheMaxAgeMs, staleIfErrorMs: 0 is meaningful (strict), Infinity too (never).
      fail(`"${name}.${key}" must be a non-negative number of ms (default ${KEY_SET_DEFAULTS[key as keyof typeof KEY_SET_DEFAULTS]})`)
    }
  }
}

/**
 * Key-set URLs must be https (the TLS connection is what anchors trust in the keys), except on
 * loopback addresses so local emulators and tests work. No credentials, query or fragment.
 */
function checkJwksUri(value: string | URL, fail: Fail): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    return fail('"jwksUri" is not a URL')
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    fail('"jwksUri" must not carry credentials, a query or a fragment')
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url
  return fail('"jwksUri" must use https (http is allowed only for loopback addresses)')
}

function isLoopback(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1'
  return false
}
