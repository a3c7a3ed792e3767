import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBrokenNorwegian, parseRfc3339 } from '../src/pipeline.js'

// The definitions the hand-written readers replaced (regex and split), kept as the reference:
// both readers must give the same answer for every input.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/
function referenceRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i])) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
  if (month < 1 || month > 12 || day < 1 || day > days) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offset = 0
  if (m[8] !== undefined) {
    const oh = Number(m[9])
    const om = Number(m[10])
    if (oh > 23 || om > 59) return undefined
    offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  if (year < 1970) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000
}

const ALPHABET = '0123456789-:T.Z+z t٣'.split('')
/** Timestamps, near-timestamps (one character changed, dropped or added) and noise. */
const candidates = fc.oneof(
  fc
    .tuple(
      fc.date({ min: new Date('1960-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 10 }),
      fc.constantFrom('Z', '+00:00', '-01:30', '+14:00', '+24:00', '-00:60', 'z', ''),
    )
    .map(([d, fraction, zone]) => {
      const base = d.toISOString().slice(0, 19)
      const digits = String(d.getTime()).padStart(10, '7').slice(-10).slice(0, fraction)
      return `${base}${fraction === 0 ? '' : `.${digits}`}${zone}`
    }),
  fc
    .tuple(
      fc.constantFrom('2026-02-03T10:14:05.419279+00:00', '2024-02-29T23:59:59Z', '2025-02-29T00:00:00Z', '1970-01-01T00:00:00Z'),
      fc.nat(40),
      fc.constantFrom(...ALPHABET),
      fc.constantFrom('replace', 'insert', 'delete'),
    )
    .map(([text, at, c, op]) => {
      const i = at % (text.length + 1)
      return op === 'replace'
        ? text.slice(0, i) + c + text.slice(i + 1)
        : op === 'insert'
          ? text.slice(0, i) + c + text.slice(i)
          : text.slice(0, i) + text.slice(i + 1)
    }),
  fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 40 }),
)

describe('parseRfc3339', () => {
  it('reads Altinn timestamps to epoch ms', () => {
    expect(parseRfc3339('2026-02-03T10:14:05.419279+00:00')).toBe(Date.UTC(2026, 1, 3, 10, 14, 5, 419))
    expect(parseRfc3339('2026-02-03T10:14:05Z')).toBe(Date.UTC(2026, 1, 3, 10, 14, 5))
    expect(parseRfc3339('2026-02-03T12:14:05.4+02:00')).toBe(Date.UTC(2026, 1, 3, 10, 14, 5, 400))
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29))
  })

  it.each([
    '2025-02-29T00:00:00Z',
    '2026-02-03T10:14:05.+00:00',
    '2026-02-03T10:14:05.1234567890Z',
    '2026-02-03 10:14:05Z',
    '2026-02-03T10:14:05z',
    '2026-02-03T10:14:05',
    '2026-02-03T24:00:00Z',
    '2026-02-03T10:14:05+24:00',
    '1969-12-31T23:59:59Z',
    '2026-02-03T10:14:05Z ',
    '٢٠٢٦-02-03T10:14:05Z',
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined()
  })

  it('answers exactly as the regular-expression reader for any input', () => {
    fc.assert(
      fc.property(candidates, (text) => {
        expect(parseRfc3339(text)).toBe(referenceRfc3339(text))
      }),
      { numRuns: 5_000 },
    )
  })
})

describe('isBrokenNorwegian', () => {
  const reference = (id: string): boolean => {
    const [icd, orgno] = id.split(':')
    return icd === '0192' && (orgno === undefined || !/^[0-9]{9}$/.test(orgno))
  }
  it('answers exactly as the split-based reader', () => {
    const ids = fc.oneof(
      fc.constantFrom(
        '0192:991825827',
        '0192',
        '0192:',
        '0192:99182582',
        '0192:991825827:x',
        '0193:1',
        ':0192',
        '0192::991825827',
        'NTRNO-1',
      ),
      fc.string({ unit: fc.constantFrom('0', '1', '9', '2', ':', 'x'), maxLength: 16 }),
    )
    fc.assert(
      fc.property(ids, fc.constantFrom('iso6523-actorid-upis', 'other'), (id, authority) => {
        expect(isBrokenNorwegian({ authority, id })).toBe(authority === 'iso6523-actorid-upis' && reference(id))
      }),
      { numRuns: 3_000 },
    )
  })
})
