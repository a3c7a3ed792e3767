import { randomUUID } from 'node:crypto'

/** Default header of the correlation id. Skatteetaten's APIs use `Korrelasjonsid`. */
export const DEFAULT_CORRELATION_HEADER = 'x-correlation-id'

// Conservative: what UUIDs, ULIDs and most correlation schemes produce. Anything else (a header
// carrying a fødselsnummer, a token, a log-injection attempt) is replaced by a fresh id.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/**
 * The correlation id of a request: the incoming header's value when it is one safe token (up
 * to 128 characters of `A-Z a-z 0-9 . _ : -`, no run of 11 digits, no token shape), else a new
 * random UUID. Adapters echo it on the response and in problem bodies, and the guard puts it in
 * the audit event, so a consumer and a data source can trace one call together.
 */
export function correlationIdFrom(value: string | readonly string[] | undefined): string {
  const first = typeof value === 'string' ? value : value?.length === 1 ? value[0] : undefined
  const trimmed = first?.trim()
  if (trimmed !== undefined && SAFE_ID.test(trimmed) && !/[0-9]{11}/.test(trimmed) && !/eyJ|\..*\./.test(trimmed)) return trimmed
  return randomUUID()
}
