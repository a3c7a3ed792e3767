import { Validator } from '@seriousme/openapi-schema-validator'

/**
 * Problems with an OpenAPI 3.1 document: what the official 3.1 schema refuses, plus what a schema
 * check cannot see: a `$ref` to a component that is not there, a security requirement naming an
 * undeclared scheme. Empty when the document is sound.
 */
export async function openApi31Problems(document: unknown): Promise<string[]> {
  const validator = new Validator()
  // The validator keeps a reference; give it a copy so it cannot change the caller's object.
  const result = await validator.validate(structuredClone(document) as Record<string, unknown>)
  const problems: string[] = []
  if (!result.valid) problems.push(...[result.errors ?? []].flat().map((e) => JSON.stringify(e)))
  if (validator.version !== '3.1') problems.push(`version ${String(validator.version)}, not 3.1`)
  const doc = document as { components?: Record<string, Record<string, unknown>>; paths?: Record<string, Record<string, unknown>> }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(value) ?? []
          if (kind === undefined || name === undefined || doc.components?.[kind]?.[name] === undefined)
            problems.push(`unresolved $ref ${value}`)
        } else walk(value)
      }
    }
  }
  walk(document)
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(item))
      for (const requirement of (op as { security?: Record<string, unknown>[] }).security ?? [])
        for (const scheme of Object.keys(requirement))
          if (doc.components?.securitySchemes?.[scheme] === undefined) problems.push(`${method} ${path}: unknown security scheme ${scheme}`)
  return problems
}
