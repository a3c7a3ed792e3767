/**
 * @consent-guard/core: framework-free verification of Maskinporten tokens carrying Altinn
 * consent (samtykke) for data sources. Adapters: `@consent-guard/fastify`, `@consent-guard/express`.
 * @packageDocumentation
 */
export { createConsentGuard, oneTimeRecordKey, tokenRecordKey, type ConsentGuard, type GuardInput } from './guard.js'
export {
  resolveOptions,
  MASKINPORTEN_ENVIRONMENTS,
  ALTINN2_ENVIRONMENTS,
  type Altinn2Environment,
  type ConsentGuardOptions,
  type MaskinportenEnvironment,
  type ResolvedOptions,
} from './options.js'
export {
  ConsentGuardError,
  ConsentGuardConfigError,
  CONFIG_ERROR_CODES,
  type ConsentGuardConfigErrorCode,
  ERROR_CODES,
  PROBLEM_TYPE_BASE,
  DEFAULT_REALM,
  isConsentGuardError,
  type ConsentGuardErrorCode,
  type ConsentGuardErrorOptions,
  type BearerErrorAttribute,
  type ProblemDetails,
} from './errors.js'
export { GUARDED_RESPONSE_HEADERS } from './result.js'
export type { VerifiedConsent, ConsentRight, TokenInfo, Altinn2TokenInfo } from './result.js'
export { parseAltinn2Consent, ALTINN2_ISSUER, ALTINN2_SERVICE_TYPE } from './consent/altinn2.js'
export { verifyAltinn2Token, claimsAltinn2Issuer, type Altinn2Rules, type Altinn2Token } from './tokens/verify-altinn2.js'
export type {
  ConsentRequirement,
  MetadataRule,
  PeriodRule,
  RequestedPeriod,
  RequestValue,
  ScopeRequirement,
  ConsumerAllowList,
} from './requirement/types.js'
export { compileRequirement, isCompiledRequirement, type CompiledRequirement } from './requirement/compile.js'
export {
  matchConsent,
  explainConsents,
  type ConsentMatch,
  type MatchContext,
  type ConsentFinding,
  type RightFinding,
  type MetadataFinding,
} from './requirement/evaluate.js'
export { readRequestFacts, type RequestFacts } from './requirement/request-facts.js'
export { headersFromNodeRequest, headersFromRecord, type HeaderSource, type NodeRequestLike } from './credentials/headers.js'
export { extractCredentials, type Credentials } from './credentials/extract.js'
export { parseCompactJws, parseJsonObject, MAX_TOKEN_BYTES, type CompactJws } from './credentials/compact-jws.js'
export { createKeySet, KEY_SET_DEFAULTS, type KeySet, type KeySetOptions, type KeySetState } from './keys/key-set.js'
export type { FetchLike } from './keys/capped-fetch.js'
export { verifyMaskinportenToken, type MaskinportenToken, type TokenRules } from './tokens/verify-token.js'
export { parseConsents, type ParsedConsent, type ParsedRight, type ParsedMetadata } from './consent/parse.js'
export {
  ConsentDetailSchema,
  ConsentRightSchema,
  ConsentResourceSchema,
  Iso6523Schema,
  CONSENT_TYPE,
  RESOURCE_TYPE,
  CONSENT_LIMITS,
  type ConsentDetail,
  type ConsentRightDetail,
} from './consent/schema.js'
export {
  parsePartyUrn,
  partyFromIdentifier,
  parseIso6523,
  PERSON_URN_PREFIX,
  ORGANIZATION_URN_PREFIX,
  ISO6523_AUTHORITY,
  type Party,
  type PartyType,
} from './consent/identifiers.js'
export { parseRfc3339, isYearMonth, periodDay } from './consent/time.js'
export {
  MemoryConsentUseStore,
  ConsentUseStoreFullError,
  type ConsentUseStore,
  type MemoryConsentUseStoreOptions,
} from './one-time/store.js'
export { maskIdentityNumbers, redactUrlForLog, SubjectHasher, type AuditEvent, type AuditLogger } from './audit.js'
