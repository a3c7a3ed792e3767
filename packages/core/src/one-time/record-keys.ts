/*
 * Record-key formats of one-time bookkeeping. Deployed stores (Redis) hold keys in these formats:
 * changing one makes every recorded use invisible, so a format change needs a new version segment.
 */

/** Key of the record that makes a token single-use on a one-time route: issuer + jti + resource. */
export function tokenRecordKey(issuer: string, jti: string, resource: string): string {
  return `consent-guard:jti:v1:${encodeURIComponent(issuer)}:${encodeURIComponent(jti)}:${resource}`
}

/**
 * Key of a one-time record: issuer + consent id + resource. Not the token string (a fresh token
 * for the same consent must be refused too, RPL-02), and per resource because one consent can
 * hold rights for several resources.
 */
export function oneTimeRecordKey(issuer: string, consentId: string, resource: string): string {
  return `consent-guard:used:v1:${encodeURIComponent(issuer)}:${consentId.toLowerCase()}:${resource}`
}
