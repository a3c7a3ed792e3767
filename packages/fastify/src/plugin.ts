import {
  GUARDED_RESPONSE_HEADERS,
  createConsentGuard,
  headersFromNodeRequest,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentGuardOptions,
  type ConsentRequirement,
  type VerifiedConsent,
} from '@consent-guard/core'
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  RouteGenericInterface,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { wireDisclosures } from './disclosure.js'
import { addCorrelation, consentProblemHandler } from './operations.js'
import { checkOpenApiOptions, createOpenApiDescriber, type ConsentOpenApiOptions } from './openapi.js'
import type { FastifyConsentRequirement, NoParameters, RouteConsentRequest } from './route-types.js'

/**
 * The request a requirement's functions receive on a route that declares no types: path
 * parameters are the URL's strings and query values strings or string arrays (the check runs in
 * `onRequest`, before validation). Routes with declared types get {@link RouteConsentRequest}.
 */
export type FastifyConsentRequest = RouteConsentRequest

export type { FastifyConsentRequirement, RouteConsentRequest } from './route-types.js'

/** Options of the plugin: every `createConsentGuard` option, plus a default requirement. */
export interface ConsentGuardPluginOptions extends ConsentGuardOptions {
  /**
   * Protects every route declared after the plugin in its scope, except routes with their own
   * `config.consent` (which wins) or `config.consent: false` (which opts out).
   */
  readonly global?: FastifyConsentRequirement
  /**
   * Fetch the key sets in `onReady`, so the first request does not wait for them and
   * `readiness()` turns ready without any token. Default true. A failed prefetch is logged at
   * warn and does not stop start-up: `/ready` reports it, and the next check or `ready()` retries.
   */
  readonly prefetchKeys?: boolean
  /**
   * Answer errors in this scope as RFC 9457 `application/problem+json` (see
   * `consentProblemHandler`). Default false: Fastify's own error handler.
   */
  readonly problemDetails?: boolean
  /**
   * With @fastify/swagger registered, guarded routes are described in its document (security,
   * error responses, `x-altinn-consent`). Default `{ errorFormat: 'fastify' }`; `false` turns it off.
   */
  readonly openapi?: ConsentOpenApiOptions | false
}

/**
 * A hook that checks one requirement and sets `request.consent`. Usable as `onRequest`,
 * `preHandler` or inside `@fastify/auth`. Rejects with a `ConsentGuardError`.
 */
export type ConsentHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified consent on a guarded route; `null` on routes the guard does not protect. */
    consent: VerifiedConsent | null
  }
  interface FastifyContextConfig {
    /**
     * What this route requires (checked in `onRequest`), or `false` to opt out of `global`. On
     * `fastify.get(...)` and `fastify.route(...)` the requirement is typed with the route's own
     * generics (see `RouteConsentRequest`); this fallback type knows no parameters, so a name
     * that the route does not declare never compiles through it.
     */
    consent?: FastifyConsentRequirement<{ Params: NoParameters; Querystring: NoParameters }> | false
  }
  interface FastifyInstance {
    /** The core guard behind the plugin: `release(consent)`, `keySet.state()`, `options`. */
    consentGuard: ConsentGuard
    /**
     * Compiles `requirement` now and returns a hook for `preHandler` or `@fastify/auth`. Pass the
     * route's generic (`requireConsent<{ Params: { orgno: string } }>(...)`) to type its functions.
     */
    requireConsent<RouteGeneric extends RouteGenericInterface = RouteGenericInterface>(
      requirement: FastifyConsentRequirement<RouteGeneric>,
    ): ConsentHook
  }
}

/** Marks route options this plugin's `onRoute` hook has handled. */
const kSeen = Symbol('consent-guard.route-seen')

/** Why a route is answered with 500 instead of being served unguarded. */
class UnguardedRouteError extends Error {
  override readonly name = 'ConsentGuardUnguardedRouteError'
  readonly code = 'CONSENT_GUARD_ROUTE_NOT_GUARDED'
  readonly statusCode = 500
}

function hookFor(guard: ConsentGuard, compiled: CompiledRequirement<FastifyConsentRequest>): ConsentHook {
  return async function consentGuardHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.consent = await guard.check(
      // `request.raw` keeps every header line (rawHeaders); `raw.url` is the URL as sent.
      {
        headers: headersFromNodeRequest(request.raw),
        request: request as FastifyConsentRequest,
        url: request.raw.url,
        logger: request.log,
        requestId: request.id,
        correlationId: request.correlationId,
      },
      compiled,
    )
    reply.headers(GUARDED_RESPONSE_HEADERS)
  }
}

const consentGuardPlugin: FastifyPluginAsync<ConsentGuardPluginOptions> = async (fastify: FastifyInstance, options) => {
  const { global: globalRequirement, prefetchKeys, problemDetails, openapi, ...guardOptions } = options
  const guard = createConsentGuard(guardOptions)
  const describer =
    openapi === false
      ? undefined
      : createOpenApiDescriber(fastify, guard, {
          // Problem answers are what the routes send when problemDetails is on.
          ...(problemDetails === true && { errorFormat: 'problem' as const }),
          ...checkOpenApiOptions(openapi),
        })
  addCorrelation(fastify, guard)
  if (problemDetails === true) fastify.setErrorHandler(consentProblemHandler())
  if (prefetchKeys !== false) {
    fastify.addHook('onReady', async () => {
      await guard.ready().catch((err: unknown) => {
        fastify.log.warn({ event: 'consent_guard.key_set', cause: (err as { cause?: unknown }).cause }, 'key sets not ready at start-up')
      })
    })
  }
  const globalCompiled = globalRequirement === undefined ? undefined : guard.compile(globalRequirement, 'consent-guard option "global"')

  fastify.decorateRequest('consent', null)
  fastify.decorate('consentGuard', guard)
  fastify.decorate('requireConsent', (requirement: FastifyConsentRequirement) =>
    hookFor(guard, guard.compile(requirement as ConsentRequirement<FastifyConsentRequest>, 'requireConsent()')),
  )
  wireDisclosures(fastify, guard)

  fastify.addHook('onRoute', (routeOptions: RouteOptions) => {
    // The route's requirement was type-checked against its own request type; at run time every
    // requirement reads the same Fastify request.
    const declared = routeOptions.config?.consent as ConsentRequirement<FastifyConsentRequest> | false | undefined
    routeOptions.config = { ...routeOptions.config, [kSeen]: true } as FastifyContextConfig
    if (declared === false) return
    const compiled =
      declared === undefined ? globalCompiled : guard.compile(declared, `route ${String(routeOptions.method)} ${routeOptions.url}`)
    if (compiled === undefined) return
    describer?.annotate(routeOptions, compiled as CompiledRequirement<never>)
    const hook = hookFor(guard, compiled) as onRequestHookHandler
    const existing = routeOptions.onRequest
    // A new array: Fastify shares the original with the HEAD twin of a GET route, which runs
    // through this hook again and must end up with exactly one check.
    routeOptions.onRequest = existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing]
  })

  if (describer !== undefined) fastify.addHook('onReady', async () => describer.install())

  // Safety net. `onRoute` sees only routes declared after the plugin has loaded: a route declared
  // before (e.g. `app.register(consentGuard)` without `await`, then `app.get(...)`) would be served
  // with no check. Hooks added here reach every route of the scope, so such a route is refused.
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.is404) return done()
    const config = request.routeOptions.config as { consent?: unknown; [kSeen]?: true }
    if (config[kSeen] === true || config.consent === false || (config.consent === undefined && globalCompiled === undefined)) return done()
    done(
      new UnguardedRouteError(
        `consent-guard: route ${request.routeOptions.method} ${request.routeOptions.url} was declared before the plugin loaded, ` +
          'so its consent requirement was never compiled; `await fastify.register(consentGuard, ...)` before declaring routes',
      ),
    )
  })
}

/**
 * Fastify plugin guarding routes with Maskinporten tokens carrying Altinn consent.
 *
 * Routes declare what they require as data in `config.consent`; the requirement is compiled when
 * the route is declared (a mistake fails start-up) and checked in `onRequest`, before any body is
 * parsed. On success `request.consent` holds the frozen {@link VerifiedConsent}. On failure the
 * hook throws a `ConsentGuardError`, and Fastify's error handler answers with its status,
 * `WWW-Authenticate`, `Cache-Control: no-store` and a JSON body carrying the stable `code`.
 * Decisions are logged through `request.log`.
 *
 * Registered with `fastify-plugin`, so it applies to the scope that registers it: register it with
 * `await` before declaring the routes it guards.
 *
 * @example
 * await fastify.register(consentGuard, { maskinporten: 'test' })
 * fastify.get('/income/:year/:personId', {
 *   config: { consent: { scope: 'example:income', resource: 'example-income',
 *     subject: (request) => request.params.personId } },
 * }, async (request) => ({ consentId: request.consent?.id }))
 */
export const consentGuard = fp(consentGuardPlugin, { name: '@consent-guard/fastify', fastify: '5.x' })

/**
 * The verified consent of a guarded request. Throws (a 500, a programming error) when the route
 * is not guarded, so handlers get a non-null type without `!`.
 */
export function getConsent(request: FastifyRequest): VerifiedConsent {
  if (request.consent === null || request.consent === undefined) {
    throw new Error('consent-guard: getConsent() called on a route without a consent requirement')
  }
  return request.consent
}
