import type { RequestedPeriod } from './types.js'

/** Where a requirement reads a value from: a path parameter, a query parameter or a header. */
export interface RequestBinding {
  readonly in: 'path' | 'query' | 'header'
  readonly name: string
}

const BINDING: unique symbol = Symbol.for('consent-guard.request-binding') as never

/**
 * `unknown` when a parameter object of type `T` may hold every name in `K`: `T` declares them, or
 * is an open record (`Record<string, string>`); `never` otherwise, which makes a typo a compile error.
 */
export type KnowsNames<T, K extends string> = string extends keyof T ? unknown : [K] extends [keyof T] ? unknown : never

/** A function of a request whose `params` must know the name(s) `K`. */
export type ParamReader<K extends string, R = string | undefined> = <T>(request: { readonly params: T & KnowsNames<T, K> }) => R

/** A function of a request whose `query` must know the name(s) `K`. */
export type QueryReader<K extends string, R = string | undefined> = <T>(request: { readonly query: T & KnowsNames<T, K> }) => R

type Bound<F> = F & { readonly [BINDING]: readonly RequestBinding[] }

function bind<F>(
  fn: (request: { readonly params?: unknown; readonly query?: unknown; readonly headers?: unknown }) => unknown,
  bindings: readonly RequestBinding[],
): F {
  Object.defineProperty(fn, BINDING, { value: Object.freeze(bindings.map((b) => Object.freeze({ ...b }))) })
  return fn as F
}

/**
 * The request values a function made by {@link fromParam}, {@link fromQuery}, {@link fromHeader}
 * or {@link period} reads; `undefined` for any other function (its source is not known).
 */
export function bindingOf(value: unknown): readonly RequestBinding[] | undefined {
  return typeof value === 'function' ? (value as Partial<Bound<unknown>>)[BINDING] : undefined
}

/**
 * One value of a parsed query or parameter object, as sent. A repeated query parameter (an array)
 * is passed on unchanged: the guard refuses any non-string with 400 `request_parameter_invalid`.
 */
function valueOf(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null || !Object.hasOwn(source, name)) return undefined
  return (source as Record<string, unknown>)[name] as string | undefined
}

/**
 * Reads the path parameter `name` (`:personId`). The request type must declare it, so a typo in
 * the name does not compile where the route's parameters are typed.
 *
 * @example
 * subject: fromParam('personId')
 */
export function fromParam<K extends string>(name: K): ParamReader<K> {
  return bind((request) => valueOf(request.params, name), [{ in: 'path', name }])
}

/**
 * Reads the query parameter `name` (`?inntektsaar=2024`).
 *
 * @example
 * metadata: { inntektsaar: { equals: fromQuery('year') } }
 */
export function fromQuery<K extends string>(name: K): QueryReader<K> {
  return bind((request) => valueOf(request.query, name), [{ in: 'query', name }])
}

/**
 * Reads the header `name` (case-insensitive; Node gives header names in lower case). A header sent
 * twice reaches the guard as a non-string and is refused (400).
 */
export function fromHeader(name: string): (request: { readonly headers: unknown }) => string | undefined {
  const lower = name.toLowerCase()
  return bind((request) => valueOf(request.headers, lower), [{ in: 'header', name: lower }])
}

/** Ready-made `period.requested` functions. */
export const period = Object.freeze({
  /**
   * The period `?{from}=YYYY-MM&{to}=YYYY-MM` (or `YYYY-MM-DD`) asks for. Either parameter missing or
   * empty is 400 `request_parameter_missing`; given twice, or neither `YYYY-MM` nor `YYYY-MM-DD`, 400
   * `request_parameter_invalid`.
   * Where the route's query is typed, both names must be declared in it.
   *
   * @example
   * period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') }
   */
  fromQuery<F extends string, T extends string>(from: F, to: T): QueryReader<F | T, RequestedPeriod | undefined> {
    return bind(
      (request) => {
        const first = valueOf(request.query, from)
        const last = valueOf(request.query, to)
        if (first === undefined || first === '' || last === undefined || last === '') return undefined
        // Arrays pass through on purpose: the guard answers 400 `request_parameter_invalid`.
        return { from: first, to: last }
      },
      [
        { in: 'query', name: from },
        { in: 'query', name: to },
      ],
    )
  },
})
