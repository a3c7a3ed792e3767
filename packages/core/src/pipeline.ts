/**
 * `@consent-guard/core/pipeline`: the rule functions of the guard's pipeline, one per step of
 * docs/core.md's table, for tools that explain a decision step by step (the testkit's `inspect`)
 * instead of re-implementing the rules. Applications use the main entry (`createConsentGuard`).
 * Every function throws the same realm-less `ConsentGuardError` the guard would.
 * @packageDocumentation
 */
// 1. Credentials
export { extractCredentials, type Credentials, type ExtractOptions } from './credentials/extract.js'
// 2. Compact JWS syntax
export { parseCompactJws, parseJsonObject, MAX_TOKEN_BYTES, type CompactJws } from './credentials/compact-jws.js'
// 3. Key set
export { createKeySet } from './keys/key-set.js'
// 4. Signature and claims
export { verifyMaskinportenToken, mapJoseError, type MaskinportenToken, type TokenRules } from './tokens/verify-token.js'
export { verifyAltinn2Token, claimsAltinn2Issuer, type Altinn2Rules, type Altinn2Token } from './tokens/verify-altinn2.js'
// 5. Consent parsing
export { parseConsents, type ParsedConsent, type ParsedRight, type ParsedMetadata } from './consent/parse.js'
export { parseAltinn2Consent, ALTINN2_ISSUER, ALTINN2_SERVICE_TYPE } from './consent/altinn2.js'
export {
  ConsentDetailSchema,
  ConsentRightSchema,
  ConsentResourceSchema,
  Iso6523Schema,
  OrganizationIdentifierSchema,
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
} from './consent/identifiers.js'
export {
  parseOrganizationIdentifier,
  acceptOrganization,
  isBrokenNorwegian,
  organizationText,
  organizationFromText,
  sameOrganization,
  norwegianOrganization,
  organizationNumberOf,
  NORWEGIAN_ICD,
  type OrganizationIdentifier,
} from './consent/organization.js'
export { parseRfc3339, isYearMonth, periodDay } from './consent/time.js'
// 6. Two-token binding
export { verifyConsentToken, checkBinding, carriedConsents, type ConsentToken, type ConsentTokenRules } from './tokens/binding.js'
// 7. Route requirement
export { compileRequirement, isCompiledRequirement } from './requirement/compile.js'
export { checkAccess, checkScope, checkDelegation, checkConsumer, type AccessRules } from './requirement/access.js'
export { readRequestFacts, type RequestFacts } from './requirement/request-facts.js'
export {
  matchConsent,
  explainConsents,
  type ConsentMatch,
  type MatchContext,
  type ConsentFinding,
  type RightFinding,
  type MetadataFinding,
} from './requirement/evaluate.js'
// 8. One-time consents
export { createOneTimeBook, type OneTimeBook, type OneTimeRules, type OneTimeRecords, type OneTimeTrail } from './one-time/bookkeeping.js'
export { oneTimeRecordKey, tokenRecordKey } from './one-time/record-keys.js'
// 9. Decision
export { buildVerifiedConsent } from './result.js'
export { createDecisionAudit, loggerListens, SubjectHasher, type DecisionAudit, type DecisionTrail } from './audit.js'
// Start-up
export { resolveOptions } from './options.js'
export { withTimeout, type DependencyCode } from './timeout.js'
