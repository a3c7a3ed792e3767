/**
 * `Array.isArray` for options that are typed but may come from JavaScript or JSON as anything: it checks
 * at run time without narrowing the typed value to `any[]` (what `Array.isArray`'s own signature does).
 */
export function isArray(value: unknown): boolean {
  return Array.isArray(value)
}
