/**
 * Types that carry a route's own generics (`Params`, `Querystring`, `Headers`) and type provider
 * (e.g. TypeBox) into `config.consent`, so `subject: (request) => request.params.personId` is
 * checked against the route's declared parameters.
 */
import type { ConsentRequirement } from '@consent-guard/core'
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyContextConfig,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  RouteOptions,
  RouteShorthandOptions as FastifyRouteShorthandOptions,
  RouteShorthandOptionsWithHandler,
} from 'fastify'

/** Query values as the URL carries them: declared strings stay, anything else is not yet coerced. */
type AsSent<Q> = { [K in keyof Q]: Q[K] extends string | undefined ? Q[K] : string | string[] | undefined }

/**
 * The request a route's consent functions receive. The check runs in `onRequest`, before
 * validation: path parameters are the URL's strings and query values are as sent, so declared
 * names are kept and declared non-string types (a TypeBox `Type.Number()`) read as the strings
 * they still are. Without declarations: `Record<string, string>` and
 * `Record<string, string | string[] | undefined>`. A value of the wrong type at run time (a
 * repeated query parameter) is refused by the guard with 400, never coerced.
 */
export type RouteConsentRequest<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
  RawServer extends RawServerBase = RawServerDefault,
  RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
  SchemaCompiler extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  ContextConfig = ContextConfigDefault,
  Logger extends FastifyBaseLogger = FastifyBaseLogger,
  Declared extends FastifyRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger> =
    FastifyRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger>,
> = FastifyRequest<
  RouteGeneric,
  RawServer,
  RawRequest,
  SchemaCompiler,
  TypeProvider,
  ContextConfig,
  Logger,
  {
    params: unknown extends Declared['params']
      ? Record<string, string>
      : { [K in keyof Declared['params']]: Declared['params'][K] extends string ? Declared['params'][K] : string }
    query: unknown extends Declared['query'] ? Record<string, string | string[] | undefined> : AsSent<Declared['query']>
    headers: Declared['headers']
    body: unknown
  }
>

/** A consent requirement for a route with these generics (`fastify.requireConsent<{ Params: ... }>`). */
export type FastifyConsentRequirement<RouteGeneric extends RouteGenericInterface = RouteGenericInterface> = ConsentRequirement<
  RouteConsentRequest<RouteGeneric>
>

declare const noParameters: unique symbol

/**
 * Parameters that know no name. The fallback type of `FastifyContextConfig['consent']` uses it, so
 * that a requirement the route-typed overloads refuse (a typo) is refused by Fastify's own too.
 */
export type NoParameters = { readonly [noParameters]?: never }

/** `config` of a route whose `consent` sees the route's own request type. */
type TypedConfig<Req, ContextConfig> = Omit<FastifyContextConfig, 'consent'> &
  ContextConfig & {
    /** What this route requires (checked in `onRequest`), or `false` to opt out of `global`. */
    consent: ConsentRequirement<Req> | false
  }

type WithTypedConfig<Options, Req, ContextConfig> = Omit<Options, 'config'> & { config: TypedConfig<Req, ContextConfig> }

// Overloads placed before Fastify's own: a route whose config has `consent` gets its requirement
// typed with the route's generics and type provider. Without `consent`, Fastify's own overloads apply.
declare module 'fastify' {
  interface RouteShorthandMethod<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
    >(
      path: string,
      opts: WithTypedConfig<
        FastifyRouteShorthandOptions<RawServer, RawRequest, RawReply, RouteGeneric, ContextConfig, SchemaCompiler, TypeProvider, Logger>,
        RouteConsentRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger>,
        ContextConfig
      >,
      handler: RouteHandlerMethod<RawServer, RawRequest, RawReply, RouteGeneric, ContextConfig, SchemaCompiler, TypeProvider, Logger>,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
    >(
      path: string,
      opts: WithTypedConfig<
        RouteShorthandOptionsWithHandler<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        RouteConsentRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger>,
        ContextConfig
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>
  }

  interface FastifyInstance<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  > {
    route<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
    >(
      opts: WithTypedConfig<
        RouteOptions<RawServer, RawRequest, RawReply, RouteGeneric, ContextConfig, SchemaCompiler, TypeProvider, Logger>,
        RouteConsentRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger>,
        ContextConfig
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>
  }
}
