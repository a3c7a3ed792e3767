import type { ConsentComponents, ConsentOperationFragment, OpenApiObject } from './describe.js'

const isObject = (value: unknown): value is OpenApiObject => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Returns `operation` with the consent fragment merged in: the fragment's security requirement
 * (replacing the operation's own: the guard is what the route enforces), the error responses for
 * the statuses the operation does not describe itself, and `x-altinn-consent`.
 */
export function addConsentToOperation<T extends OpenApiObject>(
  operation: T,
  fragment: ConsentOperationFragment,
): T & ConsentOperationFragment {
  const responses = isObject(operation.responses) ? operation.responses : {}
  const merged: OpenApiObject = { ...responses }
  for (const [status, response] of Object.entries(fragment.responses)) if (!(status in merged)) merged[status] = response
  return { ...operation, security: fragment.security, responses: merged, 'x-altinn-consent': fragment['x-altinn-consent'] } as T &
    ConsentOperationFragment
}

/** Adds the consent security schemes and schemas to `document.components` (in place), keeping any of the same name. */
export function addConsentComponents<T extends OpenApiObject>(document: T, components: ConsentComponents): T {
  const target = isObject(document.components) ? document.components : ((document as OpenApiObject).components = {})
  for (const part of ['securitySchemes', 'schemas'] as const) {
    const existing = isObject(target[part]) ? target[part] : (target[part] = {})
    for (const [name, value] of Object.entries(components[part])) if (!(name in existing)) existing[name] = value
  }
  return document
}
