/**
 * The adapters under attack, each serving {@link ADVERSARIAL_ROUTES} on 127.0.0.1: the Fastify
 * plugin, and the Express middleware under Express 5 and Express 4. Wired as their docs show
 * (Fastify's default error handler; Express with `consentErrorHandler()`), like
 * test/conformance/targets.ts, with more routes (organisation subject, subject from the query,
 * delegation denied, legacy service, POST, failing requirement functions) and with every
 * handled request, audit event and thrown error recorded for the assertions.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { maskIdentityNumbers, type AuditEvent, type ConsentGuardOptions, type ConsentRequirement } from '@consent-guard/core'
import { consentErrorHandler, createConsentGuard, getConsent as expressConsent } from '@consent-guard/express'
import { consentGuard, getConsent as fastifyConsent } from '@consent-guard/fastify'
import express5, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { pino, stdSerializers, type Logger } from 'pino'
import { RESOURCE, SCOPE } from './fixtures.js'

/** The part of a Fastify or Express request the requirements read. */
export interface NeutralRequest {
  readonly params: unknown
  readonly query: unknown
}

const param =
  (name: string) =>
  (req: NeutralRequest): string | undefined =>
    (req.params as Record<string, string | undefined>)[name]
const queryValue =
  (name: string) =>
  (req: NeutralRequest): string | undefined =>
    (req.query as Record<string, string | undefined>)[name]

export interface AdversarialRoute {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly requirement: ConsentRequirement<NeutralRequest>
}

const income = { scope: SCOPE, resource: RESOURCE, subjectType: 'person', metadata: { inntektsaar: { equals: param('year') } } } as const

export const ADVERSARIAL_ROUTES: readonly AdversarialRoute[] = [
  { method: 'GET', path: '/income/:year/:personId', requirement: { ...income, subject: param('personId') } },
  { method: 'POST', path: '/income/:year/:personId', requirement: { ...income, subject: param('personId') } },
  {
    method: 'GET',
    path: '/income-period/:personId',
    requirement: {
      scope: SCOPE,
      resource: 'example-income-period',
      subject: param('personId'),
      period: {
        start: 'fraogmed',
        end: 'tilogmed',
        requested: (req) => ({ from: queryValue('from')(req) ?? '', to: queryValue('to')(req) ?? '' }),
      },
    },
  },
  // The subject comes from the query: `?person=` absent is CON-03, given twice is BND-09.
  { method: 'GET', path: '/income-by-query/:year', requirement: { ...income, subject: queryValue('person') } },
  {
    method: 'GET',
    path: '/company/:orgno',
    requirement: { scope: SCOPE, resource: 'example-company', subjectType: 'organization', subject: param('orgno') },
  },
  {
    method: 'GET',
    path: '/loan-check/:personId',
    requirement: { scope: SCOPE, resource: 'example-loan-check', subject: param('personId'), oneTime: true },
  },
  { method: 'GET', path: '/no-delegation/:year/:personId', requirement: { ...income, subject: param('personId'), delegation: 'deny' } },
  {
    method: 'GET',
    path: '/legacy-income/:year/:personId',
    requirement: { ...income, subject: param('personId'), altinn2: { serviceCode: '4629', serviceEdition: '2' } },
  },
  // A requirement function that throws: a programming error, which must never let the request
  // through. (Its message reaches Fastify's default 500 body as it is: see docs/security.md.)
  {
    method: 'GET',
    path: '/throwing-subject/:personId',
    requirement: {
      scope: SCOPE,
      resource: RESOURCE,
      subject: () => {
        throw new Error('subject lookup failed')
      },
    },
  },
  // An allow-list lookup that fails: the documented 503 consumer_check_unavailable.
  {
    method: 'GET',
    path: '/consumer-check-fails/:year/:personId',
    requirement: { ...income, subject: param('personId'), consumers: async () => Promise.reject(new Error('allow-list service down')) },
  },
]

/** A request that reached a protected handler. `probe` is the request's `x-probe` header. */
export interface Handled {
  readonly probe: string | undefined
  readonly method: string
  readonly route: string
  readonly url: string
  readonly consentId: string
}

export interface RunningTarget {
  readonly name: string
  readonly baseUrl: string
  readonly handled: Handled[]
  /** Every audit event (`onDecision`). */
  readonly events: AuditEvent[]
  /** Every error that reached the framework's error handling. */
  readonly errors: unknown[]
  /**
   * Every log line: Fastify's own request and error logs plus the audit events it routes through
   * `request.log`; under Express the guard's audit events (its `logger` option).
   */
  readonly logs: string[]
  close(): Promise<void>
}

export interface StartExtras {
  readonly routes?: readonly AdversarialRoute[]
}

/**
 * A pino logger writing to memory. Requests are logged by method and path only, with identity
 * numbers masked, the way an application should configure its access log (the examples do): what
 * remains in these lines comes from the frameworks' error logging and from the library.
 */
function memoryLogger(lines: string[]): Logger {
  return pino(
    {
      level: 'info',
      serializers: {
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          path: maskIdentityNumbers(String(req.url ?? '').split('?')[0] as string),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: stdSerializers.err,
      },
    },
    { write: (line: string) => void lines.push(line) },
  )
}

export interface Target {
  readonly name: string
  /** Content type of error bodies (Fastify's default handler vs. `consentErrorHandler`). */
  readonly errorContentType: RegExp
  start(options: ConsentGuardOptions, extras?: StartExtras): Promise<RunningTarget>
}

const probeOf = (headers: Record<string, string | string[] | undefined>): string | undefined => {
  const value = headers['x-probe']
  return typeof value === 'string' ? value : undefined
}

const baseUrlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`

function withEvents(options: ConsentGuardOptions, events: AuditEvent[]): ConsentGuardOptions {
  const user = options.onDecision
  return {
    ...options,
    onDecision: (event) => {
      events.push(event)
      user?.(event)
    },
  }
}

const fastifyTarget: Target = {
  name: 'fastify',
  errorContentType: /^application\/json/,
  async start(options, extras = {}) {
    const logs: string[] = []
    const app = Fastify({ loggerInstance: memoryLogger(logs) as FastifyBaseLogger })
    const handled: Handled[] = []
    const events: AuditEvent[] = []
    const errors: unknown[] = []
    app.addHook('onError', async (_request, _reply, error) => {
      errors.push(error)
    })
    // Key sets load on the first token here, as in the Express targets: the fault rows (JWK-01, cold
    // start) are about that first fetch. Prefetching in onReady is tested in packages/fastify.
    await app.register(consentGuard, { ...withEvents(options, events), prefetchKeys: false })
    for (const route of extras.routes ?? ADVERSARIAL_ROUTES) {
      app.route({
        method: route.method,
        url: route.path,
        config: { consent: route.requirement },
        handler: async (request) => {
          const consent = fastifyConsent(request)
          handled.push({
            probe: probeOf(request.headers),
            method: request.method,
            route: route.path,
            url: request.url,
            consentId: consent.id,
          })
          return {
            route: route.path,
            consentId: consent.id,
            subject: consent.subject.id,
            kind: consent.kind,
            twoToken: consent.consentToken !== undefined,
          }
        },
      })
    }
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { name: 'fastify', baseUrl: baseUrlOf(app.server), handled, events, errors, logs, close: () => app.close() }
  },
}

function expressTarget(name: string, createApp: typeof express5): Target {
  return {
    name,
    errorContentType: /^application\/problem\+json/,
    async start(options, extras = {}) {
      const app = createApp()
      const handled: Handled[] = []
      const events: AuditEvent[] = []
      const errors: unknown[] = []
      const logs: string[] = []
      const guard = createConsentGuard(withEvents({ ...options, logger: memoryLogger(logs) }, events))
      for (const route of extras.routes ?? ADVERSARIAL_ROUTES) {
        const method = route.method === 'GET' ? 'get' : 'post'
        app[method](route.path, guard.require(route.requirement), (req, res) => {
          const consent = expressConsent(req)
          handled.push({ probe: probeOf(req.headers), method: req.method, route: route.path, url: req.originalUrl, consentId: consent.id })
          res.json({
            route: route.path,
            consentId: consent.id,
            subject: consent.subject.id,
            kind: consent.kind,
            twoToken: consent.consentToken !== undefined,
          })
        })
      }
      const record: ErrorRequestHandler = (err, _req, _res, next) => {
        errors.push(err)
        next(err)
      }
      app.use(record)
      app.use(consentErrorHandler())
      // Anything else (a requirement function that threw) is a 500 with a fixed body, never a stack.
      const last: ErrorRequestHandler = (_err, _req, res, _next) => {
        res.status(500).json({ error: 'internal' })
      }
      app.use(last)
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s)).once('error', reject)
      })
      return {
        name,
        baseUrl: baseUrlOf(server),
        handled,
        events,
        errors,
        logs,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      }
    },
  }
}

export const TARGETS: readonly Target[] = [
  fastifyTarget,
  expressTarget('express 5', express5),
  expressTarget('express 4', express4 as unknown as typeof express5),
]
