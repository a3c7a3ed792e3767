/**
 * Reports whether a JSON text has an object with the same member name twice, at any depth.
 * `JSON.parse` silently keeps the last value, while another component (a proxy, an audit tool)
 * may keep the first; rejecting duplicates makes every reader see the same claims (RFC 7515 §4,
 * docs/security.md HDR-11/CLM-16). The text must already be valid JSON; pass its parsed value when it
 * is at hand, to save a second parse.
 *
 * How: every member name in the text is a string followed by `:`; `JSON.parse` keeps one own
 * property per distinct name of an object (escapes decoded, so `"a"` and `"\u0061"` are one). The
 * text has a duplicate exactly when it names more members than the parsed value holds. Counting
 * needs no names, no sets and no slicing, which keeps this off the hot path's profile.
 */
export function hasDuplicateMembers(text: string, parsed: unknown = JSON.parse(text)): boolean {
  return countMemberNames(text) !== countMembers(parsed)
}

function countMemberNames(text: string): number {
  let count = 0
  let i = text.indexOf('"')
  while (i !== -1) {
    // Find the closing quote: one not preceded by an odd number of backslashes.
    let end = text.indexOf('"', i + 1)
    while (end !== -1) {
      let backslashes = 0
      while (text.charCodeAt(end - 1 - backslashes) === 0x5c /* \ */) backslashes++
      if (backslashes % 2 === 0) break
      end = text.indexOf('"', end + 1)
    }
    if (end === -1) return count
    let j = end + 1
    let c = text.charCodeAt(j)
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++j)
    if (c === 0x3a /* : */) count++
    i = text.indexOf('"', j)
  }
  return count
}

function countMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  let count = 0
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item)
    return count
  }
  // JSON.parse makes every member an own enumerable property, so Object.keys lists them all.
  const keys = Object.keys(value)
  count += keys.length
  for (let i = 0; i < keys.length; i++) {
    const member = (value as Record<string, unknown>)[keys[i] as string]
    if (typeof member === 'object' && member !== null) count += countMembers(member)
  }
  return count
}
