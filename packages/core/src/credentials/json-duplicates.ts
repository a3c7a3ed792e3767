/**
 * Reports whether a JSON text has an object with the same member name twice, at any depth.
 * `JSON.parse` silently keeps the last value, while another component (a proxy, an audit tool)
 * may keep the first; rejecting duplicates makes every reader see the same claims (RFC 7515 §4,
 * docs/security.md HDR-11/CLM-16). The text must already be valid JSON.
 */
export function hasDuplicateMembers(text: string): boolean {
  // Each open container: a Set of member names for objects, null for arrays.
  const stack: (Set<string> | null)[] = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      const start = i
      let escaped = false
      i++
      while (i < text.length) {
        const d = text.charCodeAt(i)
        if (d === 0x5c /* \ */) {
          escaped = true
          i += 2
        } else if (d === 0x22) break
        else i++
      }
      const top = stack[stack.length - 1]
      if (expectKey && top) {
        // Decode escapes so "a" and "\u0061" count as the same name (rare: only then parse).
        const name = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i)
        if (top.has(name)) return true
        top.add(name)
        expectKey = false
      }
    } else if (c === 0x7b /* { */) {
      stack.push(new Set())
      expectKey = true
    } else if (c === 0x5b /* [ */) {
      stack.push(null)
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set
    }
  }
  return false
}
