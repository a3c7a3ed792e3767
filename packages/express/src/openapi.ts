import {
  describeConsentOperation,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentOperationDescription,
  type OpenApiDescribeOptions,
} from '@consent-guard/core'

const described = new WeakMap<object, { guard: ConsentGuard; compiled: CompiledRequirement<never> }>()

/** Records what a middleware from `require`/`requireConsent` checks, for {@link describeConsentMiddleware}. */
export function rememberCompiled(middleware: object, guard: ConsentGuard, compiled: CompiledRequirement<never>): void {
  described.set(middleware, { guard, compiled })
}

/** True for a middleware made by `require()` or `requireConsent()` (one {@link describeConsentMiddleware} can describe). */
export function isConsentMiddleware(value: unknown): boolean {
  return typeof value === 'function' && described.has(value)
}

/**
 * The OpenAPI 3.1 description of what a consent middleware checks (see core's
 * `describeConsentOperation`): security requirement, 400/401/403/503 responses and
 * `x-altinn-consent`, plus the components they refer to. The error body defaults to
 * `application/problem+json`, what `consentErrorHandler()` sends.
 *
 * @example
 * const income = consent.require<'/income/:year/:personId'>({ ... })
 * const { operation, components } = describeConsentMiddleware(income)
 */
export function describeConsentMiddleware(
  middleware: unknown,
  options: Omit<OpenApiDescribeOptions, 'guard'> = {},
): ConsentOperationDescription {
  const entry = typeof middleware === 'function' ? described.get(middleware) : undefined
  if (entry === undefined)
    throw new TypeError('consent-guard: describeConsentMiddleware() needs a middleware made by require() or requireConsent()')
  return describeConsentOperation(entry.compiled, { ...options, guard: entry.guard.options })
}
