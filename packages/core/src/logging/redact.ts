/**
 * Text redaction for logs: identity numbers and token-shaped values, in the raw and in every
 * percent-decoded form of what a client sent (a fødselsnummer sent as `%32%35...` is still one).
 */

/** Any run of 11 or more digits: a fødselsnummer or D-nummer, alone or inside a longer digit run. */
const IDENTITY_RUN = /[0-9]{11,}/g
/** A UUID (matched whole, so digits inside it are not taken for an identity number), or such a run. */
const UUID_OR_IDENTITY_RUN =
  /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(?<!"time":)(?<![0-9.])[0-9]{11,}/g
/** Exactly nine digits: an organisation number (masked only where configured). */
const ORGANIZATION_RUN = /(?<![0-9])[0-9]{9}(?![0-9])/g
/** A JWS-shaped value: three base64url runs joined by dots. */
const JWS_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/
/** A compact JWS or JWE always starts with a base64url JSON object (`{"` → `eyJ`). */
const JOSE_HEADER_GLOBAL = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){1,4}/g
/** In free text, where short dotted names abound (hostnames), only long JWS-shaped runs count. */
const JWS_LIKE_TEXT_GLOBAL = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g

/** Options of the URL and text redaction functions. */
export interface RedactOptions {
  /** Also mask organisation numbers (runs of exactly nine digits). Default false. */
  readonly maskOrganizationNumbers?: boolean
}

/**
 * Masks Norwegian identity numbers in free text: every run of 11 or more digits becomes as many
 * `*` (`/income/2024/25922947409` → `/income/2024/***********`). A longer run is masked whole,
 * because a fødselsnummer inside it (`0025922947409`) is still recoverable.
 */
export function maskIdentityNumbers(text: string): string {
  return text.replace(IDENTITY_RUN, (run) => '*'.repeat(run.length))
}

/** Replaces token-shaped values (compact JWS/JWE) in free text with `[redacted]`. */
export function stripTokens(text: string): string {
  return text.replace(JOSE_HEADER_GLOBAL, '[redacted]').replace(JWS_LIKE_TEXT_GLOBAL, '[redacted]')
}

/**
 * Every form of `text` a decoder may see: raw, then decoded once, twice, ... (a double-encoded
 * `%2532` is a `2` to anyone who decodes twice). Malformed escapes are kept. Never throws.
 */
export function decodedForms(text: string, plusIsSpace = false): string[] {
  const forms = [text]
  let current = plusIsSpace ? text.replace(/\+/g, ' ') : text
  if (current !== text) forms.push(current)
  for (let i = 0; i < 4 && current.includes('%'); i++) {
    const next = current.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        // A run that is not valid UTF-8: decode the ASCII escapes (digits, dots) one by one.
        return run.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      }
    })
    if (next === current) break
    forms.push(next)
    current = next
  }
  return forms
}

/** The most decoded form of `text` (see {@link decodedForms}). */
export function decodeLeniently(text: string, plusIsSpace = false): string {
  return decodedForms(text, plusIsSpace).at(-1) as string
}

const hasToken = (form: string): boolean => JWS_LIKE.test(form) || /eyJ[A-Za-z0-9_-]*\./.test(form)
const hasIdentity = (form: string, options: RedactOptions): boolean =>
  /[0-9]{11}/.test(form) || (options.maskOrganizationNumbers === true && /(?<![0-9])[0-9]{9}(?![0-9])/.test(form))

/**
 * Redacts one piece of text in all its decoded forms: `undefined` when harmless; `[redacted]`
 * when a form holds a token; else the shallowest form holding an identity number, masked.
 */
function redactForms(forms: readonly string[], options: RedactOptions): string | undefined {
  if (forms.some(hasToken)) return '[redacted]'
  const form = forms.find((f) => hasIdentity(f, options))
  if (form === undefined) return undefined
  const masked = maskIdentityNumbers(form)
  return options.maskOrganizationNumbers === true ? masked.replace(ORGANIZATION_RUN, '*********') : masked
}

/** Redacts one URL component: kept raw when harmless, else its masked form re-encoded. */
function redactComponent(raw: string, plusIsSpace: boolean, options: RedactOptions): string {
  const masked = redactForms(decodedForms(raw, plusIsSpace), options)
  if (masked === undefined) return raw
  if (masked === '[redacted]') return masked
  // Re-encoded so the logged URL stays unambiguous; `*` stays readable.
  return encodeURIComponent(masked).replace(/%2A/g, '*')
}

const CREDENTIAL_PARAMS = new Set(['access_token', 'id_token', 'token', 'altinnsamtykke', 'assertion', 'client_assertion'])

/**
 * Makes a request URL safe for access logs. Each path segment and query name and value is
 * examined raw and in every decoded form (leniently, repeatedly). Where a form holds an identity
 * number (any run of 11 or more digits), the component is logged with the digits masked; where a
 * form holds a token-shaped value (anywhere: path segment, query name or value, dots sent as
 * `%2E`), the component becomes `[redacted]`, as does the value of a credential parameter
 * (`access_token`, `AltinnSamtykke`, ...). The guard refuses tokens in URLs, but a client may
 * still send them (docs/security.md LOG-02, HTTP-08).
 */
export function redactUrlForLog(url: string, options: RedactOptions = {}): string {
  const q = url.indexOf('?')
  const path = (q === -1 ? url : url.slice(0, q))
    .split('/')
    .map((segment) => redactComponent(segment, false, options))
    .join('/')
  if (q === -1) return path
  const query = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=')
      const rawName = eq === -1 ? part : part.slice(0, eq)
      const name = redactComponent(rawName, true, options)
      if (eq === -1) return name
      if (CREDENTIAL_PARAMS.has(decodeLeniently(rawName, true).toLowerCase())) return `${name}=[redacted]`
      return `${name}=${redactComponent(part.slice(eq + 1), true, options)}`
    })
    .join('&')
  return `${path}?${query}`
}

/**
 * Masks a whole serialized log line (defence in depth behind the serializers): runs of 11 or more
 * digits (except pino's epoch-millisecond `"time"`) and token-shaped values, also where they are
 * percent-encoded (`%32%35...`).
 */
export function redactLogLine(line: string): string {
  let out = line
  if (out.includes('%')) {
    out = out.replace(/[A-Za-z0-9_.+-]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9_.+-]*)+/g, (run) => {
      const masked = redactForms(decodedForms(run), {})
      if (masked === undefined) return run
      return masked === '[redacted]' ? masked : encodeURIComponent(masked).replace(/%2A/g, '*')
    })
  }
  // Spared: pino's epoch-ms `"time"`, fractions (`"responseTime":1.23456789012345`) and UUIDs (consent
  // ids, whose last group may hold 11 digits in a row by chance, and which operators need whole).
  out = out.replace(UUID_OR_IDENTITY_RUN, (run) => (run.length === 36 && run.includes('-') ? run : '*'.repeat(run.length)))
  return stripTokens(out)
}

/** Header names whose values are credentials: never logged. */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])

/**
 * Makes request headers safe to log: credential headers (and `extraSecret`, e.g. the consent
 * header) become `[redacted]`; every other value has identity numbers masked and token-shaped
 * values stripped, in its decoded forms too.
 */
export function redactHeadersForLog(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  extraSecret: readonly string[] = [],
  options: RedactOptions = {},
): Record<string, string> {
  const secret = new Set([...CREDENTIAL_HEADERS, ...extraSecret.map((h) => h.toLowerCase())])
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const lower = name.toLowerCase()
    const text = typeof value === 'string' ? value : value.join(', ')
    out[lower] = secret.has(lower) ? '[redacted]' : stripTokens(redactForms(decodedForms(text), options) ?? text)
  }
  return out
}
