import { ConsentGuardError } from '../errors.js'
import type { HeaderSource } from './headers.js'

/** The raw tokens found in a request, before any decoding. */
export interface Credentials {
  /** The bearer token from `Authorization`. */
  readonly accessToken: string
  /** The token from the consent header, in two-token (`header`) mode; absent when not sent. */
  readonly consentToken?: string
}

/** Where the guard looks for tokens. */
export interface ExtractOptions {
  /** Lower-case name of the consent header in two-token mode; undefined in single-token mode. */
  readonly consentHeader?: string
  /** The request URL (path and query), used only to refuse tokens sent in the query string. */
  readonly url?: string
}

const BEARER = 'bearer'

/**
 * Reads the credentials per RFC 6750 §2.1 with the stricter rules of docs/core.md (pipeline step 1): exactly
 * one `Authorization` line, scheme `Bearer` in any case, one or more spaces, no comma-joined
 * credentials, no token in the URL, at most one consent header.
 */
export function extractCredentials(headers: HeaderSource, options: ExtractOptions = {}): Credentials {
  // Lines beyond Node's header limit are invisible: never decide on a partial view of the request.
  if (headers.truncated === true) throw new ConsentGuardError('headers_too_many')
  const inUrl = options.url !== undefined && hasAccessTokenParam(options.url)
  const values = headers.getAll('authorization')
  if (values.length > 1) throw new ConsentGuardError('credentials_duplicated')
  const accessToken = values.length === 1 ? bearerToken(values[0] as string) : undefined
  if (values.length === 1 && accessToken !== undefined && inUrl) {
    throw new ConsentGuardError('credentials_in_url')
  }
  if (accessToken === undefined) throw new ConsentGuardError('credentials_missing')
  if (joinsCredentials(accessToken)) throw new ConsentGuardError('credentials_duplicated')

  if (options.consentHeader === undefined) return { accessToken }
  const consentValues = headers.getAll(options.consentHeader)
  if (consentValues.length > 1) throw new ConsentGuardError('consent_token_duplicated')
  const consentToken = consentValues[0]?.trim()
  if (consentToken === undefined || consentToken === '') return { accessToken }
  if (consentToken.includes(',') && consentToken.split(',').filter((part) => part.trim() !== '').length > 1) {
    throw new ConsentGuardError('consent_token_duplicated')
  }
  return { accessToken, consentToken }
}

/**
 * Returns the token of a `Bearer` credential, or undefined for another scheme or an empty token.
 * Hand-written instead of a regex, so no input can make it backtrack.
 */
function bearerToken(value: string): string | undefined {
  if (value.length <= BEARER.length || value.slice(0, BEARER.length).toLowerCase() !== BEARER) return undefined
  let i = BEARER.length
  if (value.charCodeAt(i) !== 32) return undefined
  while (value.charCodeAt(i) === 32) i++
  const token = value.slice(i)
  return token === '' ? undefined : token
}

/**
 * `Bearer A, Bearer B`: a proxy folded two Authorization lines into one (HTTP-06). Any other comma
 * is just an invalid token character and is left to the syntax check (401).
 */
function joinsCredentials(token: string): boolean {
  if (!token.includes(',')) return false
  return token
    .split(',')
    .slice(1)
    .some(
      (part) =>
        part
          .trimStart()
          .slice(0, BEARER.length + 1)
          .toLowerCase() === `${BEARER} `,
    )
}

function hasAccessTokenParam(url: string): boolean {
  const q = url.indexOf('?')
  if (q === -1) return false
  for (const part of url.slice(q + 1).split('&')) {
    const name = part.split('=', 1)[0] ?? ''
    let decoded = name
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '))
    } catch {
      // A malformed escape is not a token parameter.
    }
    if (decoded === 'access_token') return true
  }
  return false
}
