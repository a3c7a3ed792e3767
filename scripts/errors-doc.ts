/**
 * Writes docs/errors.md from core's ERROR_CODES (one section per code: the target of problem
 * `type` URIs). Run after adding a code:
 *   node --conditions=@consent-guard/source --import tsx scripts/errors-doc.ts > docs/errors.md
 * packages/core/test/errors-doc.test.ts checks the page against ERROR_CODES.
 */
import { ERROR_CODES } from '@consent-guard/core'
const advice: Record<number, string> = {
  400: 'The request itself is ambiguous or incomplete. The client fixes the request; retrying it unchanged gives the same answer.',
  401: 'A token is missing or unusable. The client gets a new Maskinporten token (and consent token) and retries.',
  403: 'The tokens are valid but do not authorise this request. The client must not retry with the same tokens; a new or different consent is needed.',
  503: 'A dependency of the data source failed; the client is not at fault. Retry after `Retry-After` seconds.',
}
const extra: Partial<Record<keyof typeof ERROR_CODES, string>> = {
  credentials_missing: 'No `Authorization: Bearer` header was sent. The challenge carries no `error` attribute (RFC 6750 §3).',
  credentials_in_url:
    'A token was sent in the query string (`access_token`, or a JWT-shaped value). Tokens belong in headers only; URLs end up in logs.',
  consent_already_used:
    'A one-time consent (engangssamtykke) was already used for this resource. See [one-time-consent.md](one-time-consent.md).',
  headers_too_many:
    "The request's header list reached Node's `maxHeadersCount` (by default 2 000 raw entries, about 1 000 lines), beyond which Node drops lines silently; a second credential could be among them. The client sends fewer header lines.",
  scope_missing: 'The challenge names the required scope(s) in `scope="..."`.',
  jwks_unavailable:
    "The issuer's key set could not be fetched and no usable stale copy exists. See [operations.md](operations.md#readiness-and-key-sets).",
  store_unavailable: 'The one-time consent store (e.g. Redis) did not answer within `storeTimeoutMs`. The consent is not used up.',
  consumer_check_unavailable: 'The `consumers` allow-list function threw, rejected or did not answer within `consumerCheckTimeoutMs`.',
  disclosure_log_unavailable:
    'The data source records every disclosure before the data leaves (`onDisclosure`, fail-closed), and the record could not be written within `disclosureTimeoutMs`. No data was sent; a one-time consent is not used up. See [disclosure-log.md](disclosure-log.md).',
  consent_not_for_consumer:
    'All consent mismatches share one description, so the answer is no oracle about the consent (security.md HTTP-13); the code says which rule refused.',
}
const lines = [
  '# Error codes',
  '',
  'Every rejection of the guard is a `ConsentGuardError` with one of the codes below. Problem',
  'answers (RFC 9457 `application/problem+json`, rendered by `problemFor`, the Express',
  '`consentErrorHandler` and the Fastify `problemDetails` option) carry `type`',
  '`https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#<code>`, which links to',
  "the code's section here. The status, the `WWW-Authenticate` error attribute and the description",
  'come from `ERROR_CODES` in core (docs/core.md lists the same table); this page is checked',
  'against it by a test.',
  '',
]
for (const [code, spec] of Object.entries(ERROR_CODES)) {
  lines.push(
    `## ${code}`,
    '',
    `Status ${spec.status}${spec.bearerError === null ? '' : `, \`error="${spec.bearerError}"\``}: ${spec.description}.`,
    '',
  )
  const note = extra[code as keyof typeof ERROR_CODES]
  if (note !== undefined) lines.push(note, '')
  lines.push(advice[spec.status] as string, '')
  // The guide's entries (same anchor) say what the consumer (the bank) should do, in both languages.
  lines.push(`For the consumer: [guide (English)](guide/en/errors.md#${code}) · [veiledning (norsk)](guide/nb/errors.md#${code}).`, '')
}
process.stdout.write(lines.join('\n'))
