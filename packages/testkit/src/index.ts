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
  type Instant,
  type MaskinportenClaims,
  type MaskinportenClaimsOptions,
  type OrgIdentifier,
} from './claims.js'

export {
  createJwksServer,
  type JwksBehaviour,
  type JwksKey,
  type JwksServer,
  type JwksServerOptions,
} from './jwks-server.js'

export {
  createTestIssuer,
  type RotateOptions,
  type SignOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './issuer.js'

export {
  altinn2Claims,
  createAltinn2Issuer,
  type Altinn2ClaimsOptions,
  type Altinn2Generation,
  type Altinn2Issuer,
  type Altinn2Service,
} from './altinn2.js'
