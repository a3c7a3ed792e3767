// Strict RFC 3339 date-time with a mandatory offset. `Date.parse` is not used on its own: it rolls
// 2026-02-30 over to March, reads offset-less times as local time and answers NaN for garbage,
// which makes naive comparisons fail open (docs/security.md CON-18).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 timestamp such as Altinn's `2026-02-03T10:14:05.419279+00:00` (up to 9
 * fraction digits, `Z` or `±hh:mm`). Returns epoch milliseconds, or undefined when the text is
 * not a real instant.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  // Field by field, no intermediate arrays: this runs for every consent of every uncached token.
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = Number(m[6])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (m[8] !== undefined) {
    const oh = Number(m[9])
    const om = Number(m[10])
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis)
  // Date.UTC maps years 0-99 to 1900-1999; such years are not plausible consent times anyway.
  if (year < 1970) return undefined
  return utc - offsetMinutes * 60_000
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Strict `YYYY-MM` used by period metadata such as `fraogmed`/`tilogmed`. */
export function isYearMonth(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text)
}

const PERIOD_VALUE = /^(\d{4})-(0[1-9]|1[0-2])(?:-(\d{2}))?$/

/**
 * Reads one bound of a period (`fraogmed`/`tilogmed` metadata, or a requested period) as the
 * inclusive calendar day it stands for: `YYYY-MM-DD` is that day; `YYYY-MM` is the month's first day
 * as a start and its last day as an end. Returns `YYYY-MM-DD` (which orders like the days it names),
 * or undefined for anything else, including days that do not exist (`2026-02-30`).
 */
export function periodDay(text: string, side: 'start' | 'end'): string | undefined {
  const m = PERIOD_VALUE.exec(text)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const last = daysInMonth(year, month)
  if (m[3] !== undefined) {
    const day = Number(m[3])
    return day >= 1 && day <= last ? text : undefined
  }
  return `${text}-${side === 'start' ? '01' : String(last).padStart(2, '0')}`
}
