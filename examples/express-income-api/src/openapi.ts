import {
  addConsentComponents,
  addConsentToOperation,
  describeConsentMiddleware,
  isConsentMiddleware,
  type BindingDescription,
} from '@consent-guard/express'
import type { Express } from 'express'

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean>; stack: { handle: unknown }[] }
}

/**
 * An OpenAPI 3.1 document of the app's routes: path parameters from the path, and for routes with
 * a consent middleware what it checks (security, error responses, `x-altinn-consent`) and the query
 * parameters it reads. Walks the app's router (Express 5 `app.router`, Express 4 `app._router`).
 */
export function openApiDocument(app: Express, info: { title: string; version: string }): Record<string, unknown> {
  const document: Record<string, unknown> & { paths: Record<string, Record<string, unknown>> } = { openapi: '3.1.0', info, paths: {} }
  const router =
    (app as unknown as { router?: { stack: RouterLayer[] }; _router?: { stack: RouterLayer[] } }).router ??
    (app as never as { _router: { stack: RouterLayer[] } })._router
  for (const { route } of router.stack) {
    if (route === undefined || typeof route.path !== 'string' || route.path === '/openapi.json') continue
    const path = route.path.replace(/:(\w+)/g, '{$1}')
    const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    for (const method of Object.keys(route.methods).filter((m) => route.methods[m] === true && m !== '_all')) {
      let operation: Record<string, unknown> = { responses: { '200': { description: 'OK' } } }
      const check = route.stack.map((layer) => layer.handle).find(isConsentMiddleware)
      const parameters: object[] = [...pathParameters]
      if (check !== undefined) {
        const { operation: fragment, components } = describeConsentMiddleware(check)
        operation = addConsentToOperation(operation, fragment)
        addConsentComponents(document, components)
        // Query parameters and headers the consent check reads (path parameters are listed already).
        const x = fragment['x-altinn-consent']
        const bindings: BindingDescription[] = [
          x.subject.from,
          ...Object.values(x.metadata).flatMap((m) => (m.from ? [m.from] : [])),
          ...(x.period?.from ?? []),
        ]
        for (const b of bindings)
          if ('in' in b && (b.in === 'query' || b.in === 'header'))
            parameters.push({ name: b.name, in: b.in, required: true, schema: { type: 'string' } })
      }
      if (parameters.length > 0) operation = { parameters, ...operation }
      document.paths[path] = { ...document.paths[path], [method]: operation }
    }
  }
  return document
}
