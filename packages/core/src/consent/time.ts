// Strict RFC 3339 date-time with a mandatory offset. `Date.parse` is not used on its own: it rolls
// 2026-02-30 over to March, reads offset-less times as local time and answers NaN for garbage,
// which makes naive comparisons fail open (docs/security.md CON-18).
/**
 * Parses an RFC 3339 timestamp such as Altinn's `2026-02-03T10:14:05.419279+00:00` (up to 9
 * fraction digits, `Z` or `±hh:mm`). Returns epoch milliseconds, or undefined when the text is
 * not a real instant. Read character by character (every verified token has two of these): the
 * accepted form is exactly
 * `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$` with ASCII digits.
 */
export function parseRfc3339(text: string): number | undefined {
  const n = text.length
  if (n < 20 || n > 35) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined
  if (!sep(text, 4, 0x2d) || !sep(text, 7, 0x2d) || !sep(text, 10, 0x54) || !sep(text, 13, 0x3a) || !sep(text, 16, 0x3a)) return undefined
  let i = 19
  let millis = 0
  if (sep(text, i, 0x2e /* . */)) {
    const from = ++i
    while (i < n && isDigit(text.charCodeAt(i))) i++
    const count = i - from
    if (count < 1 || count > 9) return undefined
    // Milliseconds: the first three fraction digits, padded with zeros.
    for (let k = 0; k < 3; k++) millis = millis * 10 + (k < count ? text.charCodeAt(from + k) - 0x30 : 0)
  }
  let offsetMinutes = 0
  if (sep(text, i, 0x5a /* Z */)) {
    if (i + 1 !== n) return undefined
  } else {
    const sign = text.charCodeAt(i)
    if ((sign !== 0x2b && sign !== 0x2d) || i + 6 !== n || !sep(text, i + 3, 0x3a)) return undefined
    const oh = digits(text, i + 1, 2)
    const om = digits(text, i + 4, 2)
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return undefined
    offsetMinutes = (sign === 0x2d ? -1 : 1) * (oh * 60 + om)
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  if (year < 1970) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
}

function sep(text: string, at: number, c: number): boolean {
  return text.charCodeAt(at) === c
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** The number written by `count` ASCII digits at `at`, or -1. */
function digits(text: string, at: number, count: number): number {
  let value = 0
  for (let k = at; k < at + count; k++) {
    const c = text.charCodeAt(k)
    if (!isDigit(c)) return -1
    value = value * 10 + (c - 0x30)
  }
  return value
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
