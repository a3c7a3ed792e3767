import {
  ConsentGuardConfigError,
  addConsentComponents,
  addConsentToOperation,
  describeConsentOperation,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentOperationDescription,
  type ErrorFormat,
  type OpenApiNames,
  type OpenApiObject,
} from '@consent-guard/core'
import type { FastifyInstance, RouteOptions } from 'fastify'

/** How guarded routes appear in the document @fastify/swagger generates. */
export interface ConsentOpenApiOptions {
  /**
   * The error body to document. `fastify` (default): the `application/json` body of Fastify's
   * default error handler. `problem`: `application/problem+json`, for an app whose error handler
   * sends `error.toProblem()`.
   */
  readonly errorFormat?: ErrorFormat
  /** Names of the security schemes and the error schema, if the defaults clash with yours. */
  readonly names?: Partial<OpenApiNames>
}

/** Validates the plugin's `openapi` option at start-up. */
export function checkOpenApiOptions(value: unknown): ConsentOpenApiOptions {
  if (value === undefined) return {}
  const fail = (msg: string, code: 'option_unknown' | 'option_invalid' = 'option_invalid'): never => {
    throw new ConsentGuardConfigError(code, `consent-guard option "openapi": ${msg}`)
  }
  if (!isObject(value)) return fail('must be an object or false')
  for (const key of Object.keys(value)) if (key !== 'errorFormat' && key !== 'names') fail(`unknown field "${key}"`, 'option_unknown')
  if (value.errorFormat !== undefined && value.errorFormat !== 'fastify' && value.errorFormat !== 'problem')
    fail('"errorFormat" must be "fastify" or "problem"')
  if (value.names !== undefined) {
    if (!isObject(value.names)) fail('"names" must be an object')
    for (const [key, name] of Object.entries(value.names as OpenApiObject)) {
      if (!['bearer', 'consentToken', 'error'].includes(key)) fail(`unknown field "names.${key}"`, 'option_unknown')
      // OpenAPI component names: ^[a-zA-Z0-9.\-_]+$
      if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) fail(`"names.${key}" must be a component name`)
    }
  }
  return value
}

const SWAGGER = '@fastify/swagger'
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
const isObject = (value: unknown): value is OpenApiObject => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Describes guarded routes in @fastify/swagger's document. Each route gets `x-altinn-consent` in
 * its schema (which @fastify/swagger copies into the operation, through any `transform`); when the
 * document is generated, every operation carrying one of ours gets its security requirement and
 * error responses, and the document the schemes and schemas they refer to. The routes' own schemas
 * keep no response or security entries, so Fastify's validation and serialisation are unchanged.
 */
export function createOpenApiDescriber(fastify: FastifyInstance, guard: ConsentGuard, options: ConsentOpenApiOptions) {
  const byIdentity = new Map<object, ConsentOperationDescription>()
  const byContent = new Map<string, ConsentOperationDescription>()
  const describeOptions = {
    guard: guard.options,
    errorFormat: options.errorFormat ?? 'fastify',
    ...(options.names && { names: options.names }),
  }

  return {
    /** In `onRoute`: marks a guarded route, when @fastify/swagger is there to read the mark. */
    annotate(routeOptions: RouteOptions, compiled: CompiledRequirement<never>): void {
      if (!fastify.hasPlugin(SWAGGER)) return
      const description = describeConsentOperation(compiled, describeOptions)
      const extension = description.operation['x-altinn-consent']
      byIdentity.set(extension, description)
      byContent.set(JSON.stringify(extension), description)
      // Fastify ignores schema keys it does not know; @fastify/swagger copies `x-` keys.
      routeOptions.schema = { ...routeOptions.schema, 'x-altinn-consent': extension } as RouteOptions['schema']
    },

    /** In `onReady`: wraps the `swagger()` decorator so its document carries the descriptions. */
    install(): void {
      const original = (fastify as unknown as { swagger?: unknown }).swagger
      if (byIdentity.size === 0 || typeof original !== 'function') return
      const generate = original as (opts?: { yaml?: boolean }) => unknown
      const done = new WeakSet<object>()
      const swagger = function (this: unknown, opts?: { yaml?: boolean }): unknown {
        const document = generate.call(this, opts?.yaml === true ? {} : opts)
        if (isObject(document) && !done.has(document)) {
          done.add(document)
          enrich(document)
        }
        // JSON is YAML: the enriched object keeps one source of truth for both forms.
        return opts?.yaml === true ? JSON.stringify(document, null, 2) : document
      }
      ;(fastify as unknown as { swagger: unknown }).swagger = swagger
    },
  }

  function enrich(document: OpenApiObject): void {
    if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.') || !isObject(document.paths)) return
    for (const item of Object.values(document.paths)) {
      if (!isObject(item)) continue
      for (const [method, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method) || !isObject(operation)) continue
        const extension = operation['x-altinn-consent']
        if (!isObject(extension)) continue
        const description = byIdentity.get(extension) ?? byContent.get(JSON.stringify(extension))
        if (description === undefined) continue
        item[method] = addConsentToOperation(operation, description.operation)
        addConsentComponents(document, description.components)
      }
    }
  }
}
