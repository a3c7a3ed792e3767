import { ConsentGuardError } from '../errors.js'
import type { ParsedConsent } from '../consent/parse.js'
import { ALTINN2_ISSUER } from '../consent/altinn2.js'
import { norwegianOrganization, sameOrganization } from '../consent/organization.js'
import { claimsAltinn2Issuer, verifyAltinn2Token, type Altinn2Rules, type Altinn2Token } from './verify-altinn2.js'
import { verifyMaskinportenToken, type MaskinportenToken, type TokenRules } from './verify-token.js'

/** A verified consent token of two-token mode: Altinn 3 (a Maskinporten token) or legacy Altinn 2. */
export type ConsentToken = MaskinportenToken | Altinn2Token

/** How the consent token of two-token mode is verified. */
export interface ConsentTokenRules {
  /** Rules for an Altinn 3 consent token (the access token's own). */
  readonly tokens: TokenRules
  /** Rules for Altinn 2 consent tokens; undefined when the legacy path is off. */
  readonly altinn2: Altinn2Rules | undefined
}

/**
 * Two-token mode: verifies the consent header's token on its own, then binds it to the access
 * token. Missing → 403 `consent_missing`; an Altinn 2 token without the legacy path → 401
 * `legacy_token_not_accepted`; tokens that do not belong together → 403 `token_binding_mismatch`.
 */
export async function verifyConsentToken(
  raw: string | undefined,
  accessToken: MaskinportenToken,
  rules: ConsentTokenRules,
): Promise<ConsentToken> {
  if (raw === undefined) throw new ConsentGuardError('consent_missing')
  let consentToken: ConsentToken
  // A token cached as an Altinn 3 consent token was verified under the configured issuer: skip
  // decoding its payload just to read `iss` (the verifier re-checks its time claims).
  const cachedAltinn3 = rules.tokens.issuer !== ALTINN2_ISSUER && rules.tokens.cache?.get(raw) !== undefined
  if (!cachedAltinn3 && claimsAltinn2Issuer(raw)) {
    if (rules.altinn2 === undefined) throw new ConsentGuardError('legacy_token_not_accepted')
    consentToken = await verifyAltinn2Token(raw, rules.altinn2)
  } else {
    consentToken = await verifyMaskinportenToken(raw, rules.tokens)
  }
  checkBinding(accessToken, consentToken)
  return consentToken
}

/**
 * Each token alone is valid; together they must describe the same consumer. Altinn 3: the same
 * `consumer` and `supplier` (BND-01, BND-05). Altinn 2: a third party named in `HandledBy` must be
 * the Maskinporten token's supplier (LEG-05).
 */
export function checkBinding(accessToken: MaskinportenToken, consentToken: ConsentToken): void {
  const bound =
    consentToken.kind === 'altinn2'
      ? consentToken.consent.handledBy === undefined ||
        sameOrganization(norwegianOrganization(consentToken.consent.handledBy), accessToken.supplierIdentifier)
      : // Authority and ID compared exactly: the same digits under another authority are another organisation.
        sameOrganization(consentToken.consumerIdentifier, accessToken.consumerIdentifier) &&
        sameOrganization(consentToken.supplierIdentifier, accessToken.supplierIdentifier)
  if (!bound) throw new ConsentGuardError('token_binding_mismatch')
}

/** The consents a verified token carries. */
export function carriedConsents(token: ConsentToken): readonly ParsedConsent[] {
  return token.kind === 'altinn2' ? [token.consent] : token.consents
}
