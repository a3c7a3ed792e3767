/**
 * @consent-guard/core: framework-free verification of Maskinporten tokens carrying Altinn
 * consent (samtykke) for data sources. Adapters: `@consent-guard/fastify`, `@consent-guard/express`.
 * This entry holds what an application uses; the pipeline's rule functions, for tools that explain
 * a decision step by step, are in `@consent-guard/core/pipeline`.
 * @packageDocumentation
 */
export { createConsentGuard, oneTimeRecordKey, tokenRecordKey, type ConsentGuard, type GuardInput } from './guard.js'
export {
  PERFORMANCE_DEFAULTS,
  DEFAULT_ALGORITHMS,
  UNRESTRICTED_AUDIENCE,
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
  ERROR_CODES,
  PROBLEM_TYPE_BASE,
  DEFAULT_REALM,
  isConsentGuardError,
  type ConsentGuardConfigErrorCode,
  type ConsentGuardErrorCode,
  type ConsentGuardErrorOptions,
  type BearerErrorAttribute,
  type ErrorStage,
  type ProblemDetails,
} from './errors.js'
export { GUARDED_RESPONSE_HEADERS } from './result.js'
export {
  buildDisclosureRecord,
  carriesData,
  type DisclosureFacts,
  type DisclosureMode,
  type DisclosureRecord,
  type DisclosureRecorder,
  type DisclosureSink,
} from './disclosure.js'
export type { VerifiedConsent, ConsentRight, TokenInfo, Altinn2TokenInfo } from './result.js'
export type { Party, PartyType } from './consent/identifiers.js'
export type {
  ConsentRequirement,
  MetadataRule,
  PeriodRule,
  RequestedPeriod,
  RequestValue,
  ScopeRequirement,
  ConsumerAllowList,
} from './requirement/types.js'
export type { CompiledRequirement } from './requirement/compile.js'
export { headersFromNodeRequest, headersFromRecord, type HeaderSource, type NodeRequestLike } from './credentials/headers.js'
export {
  KEY_SET_DEFAULTS,
  type KeySet,
  type KeySetOptions,
  type KeySetState,
  type KeySetStatus,
  type KeySetFetchFailure,
} from './keys/key-set.js'
export type { FetchLike } from './keys/capped-fetch.js'
export {
  organizationText,
  sameOrganization,
  norwegianOrganization,
  organizationNumberOf,
  type OrganizationIdentifier,
} from './consent/organization.js'
export { migratedResourceId, type MigratedAltinn2Service } from './consent/migrated.js'
export { ALTINN2_DEPRECATION_CODE } from './deprecations.js'
export {
  MemoryConsentUseStore,
  ConsentUseStoreFullError,
  type ConsentUseStore,
  type MemoryConsentUseStoreOptions,
  type MarkUsedOptions,
} from './one-time/store.js'
export { type AuditEvent, type AuditLogger } from './audit.js'
export {
  maskIdentityNumbers,
  redactUrlForLog,
  redactHeadersForLog,
  redactLogLine,
  stripTokens,
  decodeLeniently,
  decodedForms,
  CREDENTIAL_HEADERS,
  type RedactOptions,
} from './logging/redact.js'
export { loggingPreset, serializeErrorForLog, type LoggingPreset, type LoggingPresetOptions } from './logging/preset.js'
export { optionsFromEnv, envValue, ConsentGuardEnvError, GUARD_ENV_VARIABLES, type GuardEnvVariable } from './env.js'
export { correlationIdFrom, DEFAULT_CORRELATION_HEADER } from './observability/correlation.js'
export {
  CHANNELS,
  publishCacheEvent,
  type CheckTraceContext,
  type KeySetEvent,
  type KeySetName,
  type KeySetFailureCause,
  type StoreEvent,
  type CacheEvent,
} from './observability/diagnostics.js'
export { type KeySetHealth, type GuardReadiness } from './observability/key-set-monitor.js'
export { problemFor, PROBLEM_CONTENT_TYPE, type ProblemResponse } from './problem.js'
export {
  fromParam,
  fromQuery,
  fromHeader,
  period,
  bindingOf,
  type RequestBinding,
  type KnowsNames,
  type ParamReader,
  type QueryReader,
} from './requirement/bindings.js'
export {
  describeConsentOperation,
  type AltinnConsentExtension,
  type BindingDescription,
  type ConsentComponents,
  type ConsentOperationDescription,
  type ConsentOperationFragment,
  type ErrorFormat,
  type OpenApiDescribeOptions,
  type OpenApiNames,
  type OpenApiObject,
} from './openapi/describe.js'
export { addConsentToOperation, addConsentComponents } from './openapi/merge.js'
export { possibleErrorCodes, type CodeContext } from './openapi/codes.js'
