import { maskPersonId } from '../emulator/identifiers.js'

/** Where the CLI writes. Tests pass collectors; the binary passes process streams. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  /** Aborting stops a long-running command (`emulator`). */
  readonly signal?: AbortSignal
  /** Environment (defaults to `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/** A usage mistake: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/**
 * Masks every run of exactly 11 digits (a Norwegian person id) as `25*******09`. Organisation
 * numbers (9 digits) and epoch timestamps (10 or 13 digits) are left alone.
 */
export function maskPii(text: string): string {
  return text.replace(/(?<![0-9])[0-9]{11}(?![0-9])/g, (id) => maskPersonId(id))
}

/** Parses `--at`/`--now`: an ISO 8601 date-time, or epoch seconds. */
export function parseInstant(value: string, flag: string): Date {
  if (/^[0-9]{9,11}(\.[0-9]+)?$/.test(value)) return new Date(Number(value) * 1000)
  const ms = Date.parse(value)
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new UsageError(`${flag} must be an ISO 8601 date-time or epoch seconds, got ${JSON.stringify(value)}`)
  return new Date(ms)
}

/** Parses repeated `key=value` flags into an object. */
export function parsePairs(values: readonly string[] | undefined, flag: string): Record<string, string> | undefined {
  if (values === undefined || values.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const pair of values) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`${flag} takes key=value, got ${JSON.stringify(pair)}`)
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/** Splits repeated or space-separated scope flags. */
export function splitScopes(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(' ')).filter((s) => s !== '')
}

/** `in 95 s` / `3 min ago`. */
export function relative(targetMs: number, nowMs: number): string {
  const diff = Math.round((targetMs - nowMs) / 1000)
  const abs = Math.abs(diff)
  const text =
    abs < 120
      ? `${abs} s`
      : abs < 7200
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} days`
  return diff >= 0 ? `in ${text}` : `${text} ago`
}

export function isoSeconds(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : 'invalid date'
}
