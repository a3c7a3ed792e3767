/**
 * `@consent-guard/testkit`: test helpers for services that verify Maskinporten access tokens
 * carrying Altinn consent (`authorization_details` of type `urn:altinn:consent`).
 *
 * - Keys: {@link generateSigningKey}, {@link deterministicSigningKey} (checked-in, test-only keys).
 * - Claims shaped like real TT02 consent tokens: {@link maskinportenClaims}, {@link consentDetail},
 *   {@link consentTokenClaims} and identifier helpers.
 * - Low-level signing for negative tests: {@link signCompact}.
 * - A local JWKS server with failure modes: {@link createJwksServer}.
 * - Everything together: {@link createTestIssuer}.
 * - A Maskinporten + Altinn consent emulator: {@link startEmulator} (JWT-bearer grants, consent
 *   requests and their lifecycle, legacy Altinn 2 consent tokens, key rotation, fixed keys and an
 *   injectable clock), and the client side of a grant: {@link buildJwtGrant}, {@link requestToken}.
 * - Altinn 2 consent tokens: {@link altinn2Claims}, {@link createAltinn2Issuer}, {@link signAltinn2Token}.
 * - The `consent-guard` CLI (`bin/consent-guard.mjs`): `emulator`, `mint`, `inspect`, `jwks`.
 *
 * @packageDocumentation
 */

export {
  deterministicSigningKey,
  FIXED_KEY_NAMES,
  generateSigningKey,
  toPublicJwk,
  type DeterministicSigningKeyOptions,
  type FixedKeyName,
  type GenerateSigningKeyOptions,
  type RsaSigningAlgorithm,
  type SigningAlgorithm,
  type SigningKey,
} from './keys.js'

export { encodeSegment, signCompact, type CompactAlgorithm, type SegmentInput } from './sign.js'

export {
  ALTINN_CONSENT_TYPE,
  ALTINN_TT02_DELEGATION_SOURCE,
  altinnTimestamp,
  consentDetail,
  consentTokenClaims,
  DEFAULT_CONSENT_RESOURCE,
  DEFAULT_SCOPE,
  epochSeconds,
  ESEAL_AUTHORITY,
  esealConsumer,
  ISO6523_AUTHORITY,
  iso6523,
  MASKINPORTEN_PROD_ISSUER,
  MASKINPORTEN_TEST_ISSUER,
  maskinportenClaims,
  organizationUrn,
  personUrn,
  TEST_IDENTITIES,
  type AltinnTimestampOptions,
  type ClockSource,
  type ConsentDetailClaim,
  type ConsentDetailOptions,
  type ConsentParty,
  type ConsentRightClaim,
  type ConsentRightOptions,
  type ConsentTokenOptions,
  type EsealNames,
  type Instant,
  type MaskinportenClaims,
  type MaskinportenClaimsOptions,
  type OrgIdentifier,
} from './claims.js'

export { createJwksServer, type JwksBehaviour, type JwksKey, type JwksServer, type JwksServerOptions } from './jwks-server.js'

export { createTestIssuer, type RotateOptions, type SignOptions, type TestIssuer, type TestIssuerOptions } from './issuer.js'

export {
  altinn2Claims,
  altinn2SigningKey,
  createAltinn2Issuer,
  defaultAltinn2Key,
  signAltinn2Token,
  type Altinn2ClaimsOptions,
  type Altinn2Generation,
  type Altinn2Issuer,
  type Altinn2Service,
} from './altinn2.js'

export {
  startEmulator,
  SANDBOX_CLIENTS,
  ALTINN_CONSENT_SCOPES,
  CONSENT_REQUESTS_PATH,
  CONSENT_SCREEN_PATH,
  type Altinn2TokenResult,
  type Emulator,
  type EmulatorAltinn2TokenRequest,
  type EmulatorOptions,
  type EmulatorTokenRequest,
  type SandboxClient,
} from './emulator/emulator.js'
export {
  ConsentStore,
  type ConsentActor,
  type ConsentEventType,
  type ConsentLookup,
  type ConsentRequestDetails,
  type ConsentRequestEvent,
  type ConsentRequestStatus,
  type ConsentResourceDefinition,
  type ConsentRightRecord,
  type GrantConsentInput,
} from './emulator/consents.js'
export { ClientRegistry, type ClientRegistration, type ClientSummary, type RegisteredClient } from './emulator/clients.js'
export { ALTINN2_GENERATIONS, ALTINN2_JWKS_PATH, ALTINN2_TOKEN_PATH } from './emulator/altinn2.js'
export { buildJwtGrant, requestToken, type JwtGrantOptions, type TokenResponse, type TokenResult } from './emulator/grant-client.js'
export { JWT_BEARER_GRANT_TYPE, GRANT_ALGORITHMS, GRANT_MAX_LIFETIME } from './emulator/grant.js'
export { OAuthError, ProblemError, type ConsentRefusal } from './emulator/http.js'
export { isValidOrgno, isValidPersonId, maskPersonId } from './emulator/identifiers.js'
