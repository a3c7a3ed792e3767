/**
 * Case folding of metadata keys. Altinn compares metadata keys with .NET's ordinal-ignore-case
 * compare; JavaScript's `toLowerCase` folds more than that (U+212A KELVIN SIGN becomes `k`, while
 * .NET's upper-casing leaves it apart from `K`), and .NET folds some letters JavaScript's lower-casing
 * keeps apart (U+017F LONG S and U+0131 DOTLESS I upper-case to `S` and `I`). Folding ASCII letters
 * only is the part both agree on; a key that folds to an ASCII key only through a non-ASCII letter
 * is refused (see {@link foldsToAsciiOnlyThroughUnicode}), so no spelling is read differently here
 * and in Altinn.
 */
export function foldKey(key: string): string {
  return key.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}

// U+0307 COMBINING DOT ABOVE: what U+0130 leaves behind after lower-casing.
const COMBINING_DOT = /\u0307/g

/**
 * True for a key with a non-ASCII character that some Unicode case mapping turns into ASCII
 * letters (`inn\u212Atektsaar`, `\u0130nntektsaar`, `\u0131nntektsaar`, `inntekt\u017Faar`): a
 * spelling another reader may take for an ASCII key.
 */
export function foldsToAsciiOnlyThroughUnicode(key: string): boolean {
  if (/^[\x00-\x7F]*$/.test(key)) return false
  return [key.toLowerCase(), key.toUpperCase(), key.toUpperCase().toLowerCase(), key.toLowerCase().toUpperCase()].some((mapped) =>
    /^[\x00-\x7F]*$/.test(mapped.replace(COMBINING_DOT, '')),
  )
}
