/**
 * Leak detection for the privacy scan (docs/security.md LOG-01/02): finds any fragment of a token that
 * was sent, and any identity number, in captured log output, audit events and errors.
 *
 * Tokens are indexed by 32-character windows at every 16th position; a captured text leaks when
 * one of its base64url runs of 48 characters or more contains an indexed window. Any 48-character
 * stretch of a token contains an aligned window, so every leaked fragment of 48 characters or more
 * (a whole token, its payload or signature segment, or a long piece of one) is found, in time
 * linear in the text.
 */
import { inspect } from 'node:util'

const WINDOW = 32
const STRIDE = 16
const RUN = /[A-Za-z0-9_-]{48,}/g

/** Every header value sent by this test file (http.ts records them). */
export const SENT_VALUES: string[] = []

/** Token-like strings (compact JWS pieces) inside sent header values, scheme and commas removed. */
export function tokensIn(values: readonly string[]): string[] {
  const out = new Set<string>()
  for (const value of values) {
    for (const piece of value.split(/[\s,=;]+/)) {
      for (const segment of piece.split('.'))
        if (segment.length >= 48 && /^[A-Za-z0-9_-]+$/.test(segment) && !/^(.)\1+$/.test(segment)) out.add(segment)
    }
  }
  return [...out]
}

export class LeakIndex {
  readonly #windows = new Map<string, string>()

  /**
   * `ignore`: tokens whose appearance is judged elsewhere. Their windows are dropped, so a text
   * holding one of them is not blamed on another token that shares a stretch with it (the
   * payloads of similar tokens begin with the same JSON, hence the same base64url).
   */
  constructor(secrets: readonly string[], ignore: readonly string[] = []) {
    for (const secret of secrets) {
      for (let at = 0; at + WINDOW <= secret.length; at += STRIDE) this.#windows.set(secret.slice(at, at + WINDOW), secret)
    }
    for (const other of ignore) for (let at = 0; at + WINDOW <= other.length; at++) this.#windows.delete(other.slice(at, at + WINDOW))
  }

  get size(): number {
    return this.#windows.size
  }

  /** Secrets (by their first 24 characters) of which `text` holds a fragment of 48+ characters. */
  find(text: string): string[] {
    const found = new Set<string>()
    for (const match of text.matchAll(RUN)) {
      const run = match[0]
      for (let at = 0; at + WINDOW <= run.length; at++) {
        const secret = this.#windows.get(run.slice(at, at + WINDOW))
        if (secret !== undefined) found.add(`${secret.slice(0, 24)}… (in "${run.slice(0, 60)}…")`)
      }
    }
    return [...found]
  }
}

/** Identity numbers (11 digits, not part of a longer number) found in `text`. */
export function identityNumbersIn(text: string, numbers: readonly string[]): string[] {
  return numbers.filter((n) => new RegExp(`(?<![0-9])${n}(?![0-9])`).test(text))
}

/** Everything an error can turn into when logged or reported. */
export function errorRenderings(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err)
  const e = err as { message?: unknown; stack?: unknown }
  let json = ''
  try {
    json = JSON.stringify(err)
  } catch {
    json = '[unserialisable]'
  }
  return [String(e.message), String(e.stack), json, String(err), inspect(err, { depth: 6 })].join('\n')
}
