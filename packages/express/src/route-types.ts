/**
 * Path-parameter types for Express routes, so a requirement's functions see the parameters its
 * route path declares. Parses the Express 4 and 5 path syntax at the type level: `:name`
 * parameters (optional inside `{...}` or with a trailing `?`), and `*name` wildcards (arrays in
 * Express 5, which the guard refuses as a subject or value: 400, never coerced).
 */
import type { ConsentRequirement } from '@consent-guard/core'
import type { NextFunction, Request, Response } from 'express'

type Lower =
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'e'
  | 'f'
  | 'g'
  | 'h'
  | 'i'
  | 'j'
  | 'k'
  | 'l'
  | 'm'
  | 'n'
  | 'o'
  | 'p'
  | 'q'
  | 'r'
  | 's'
  | 't'
  | 'u'
  | 'v'
  | 'w'
  | 'x'
  | 'y'
  | 'z'
type NameChar = Lower | Uppercase<Lower> | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '_' | '$'

/** `[name, rest]`: the identifier at the start of `S` and what follows it. */
type TakeName<S extends string, Name extends string = ''> = S extends `${infer C}${infer Rest}`
  ? C extends NameChar
    ? TakeName<Rest, `${Name}${C}`>
    : [Name, S]
  : [Name, '']

type Merge<T> = { [K in keyof T]: T[K] }

/** The parameters of a path without any: the empty object type, the identity of `&` in {@link Plain}. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `Record<string, never>` would forbid every key in an intersection
type NoParams = {}

/** Parameters of a path with no `{...}` groups. */
type Plain<S extends string, Optional extends boolean> = S extends `${string}${':' | '*'}${infer Rest}`
  ? (S extends `${infer Before}${'*'}${Rest}` ? (Before extends `${string}:${string}` ? ':' : '*') : ':') extends infer Kind
    ? TakeName<Rest> extends [infer Name extends string, infer After extends string]
      ? (Name extends ''
          ? NoParams
          : After extends `?${string}`
            ? { [K in Name]?: Kind extends '*' ? string[] : string }
            : Optional extends true
              ? { [K in Name]?: Kind extends '*' ? string[] : string }
              : { [K in Name]: Kind extends '*' ? string[] : string }) &
          Plain<After, Optional>
      : NoParams
    : NoParams
  : NoParams

type Parse<S extends string> = S extends `${infer Before}{${infer Inside}}${infer After}`
  ? Plain<Before, false> & Plain<Inside, true> & Parse<After>
  : Plain<S, false>

/**
 * The `req.params` of a route path: `PathParams<'/income/:year/:personId'>` is
 * `{ year: string; personId: string }`. A path that is not a literal gives `Record<string, string>`.
 */
export type PathParams<Path extends string> = string extends Path ? Record<string, string> : Merge<Parse<Path>>

/** A route path (`'/income/:year/:personId'`) or the params object type itself. */
export type RouteOrParams = string | object

/** `req.params` for a {@link RouteOrParams}. */
export type ParamsOf<Route extends RouteOrParams> = Route extends string ? PathParams<Route> : Route

/**
 * The request a requirement's functions receive: `req.params` from the route generic, strings
 * for named parameters. Without a generic, `Record<string, string>`.
 */
export type ConsentRequest<Route extends RouteOrParams = string> = Request<ParamsOf<Route>>

/** A consent requirement whose functions read an Express request for the route `Route`. */
export type ExpressConsentRequirement<Route extends RouteOrParams = string> = ConsentRequirement<ConsentRequest<Route>>

/**
 * The middleware `require` returns. Generic in the params, so the route's own handlers keep the
 * params Express infers from the path (`app.get('/x/:id', consent.require(...), (req) => req.params.id)`).
 */
export type ConsentMiddleware = <P>(req: Request<P>, res: Response, next: NextFunction) => void
