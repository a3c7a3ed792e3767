/**
 * The adapters under test, each serving {@link ROUTES} on a loopback port: the Fastify plugin,
 * and the Express middleware under Express 5 and Express 4.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { ConsentGuardOptions } from '@consent-guard/core'
import { consentErrorHandler, createConsentGuard, getConsent as expressConsent } from '@consent-guard/express'
import { consentGuard, getConsent as fastifyConsent } from '@consent-guard/fastify'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { handlerBody, HandlerFailure, ROUTES, type HandledCall } from './routes.js'

export interface RunningTarget {
  readonly baseUrl: string
  /** Every call that reached a protected handler, in order. */
  readonly handled: HandledCall[]
  close(): Promise<void>
}

export interface Target {
  readonly name: string
  /** Content type of error bodies (Fastify's default handler vs. `consentErrorHandler`). */
  readonly errorContentType: RegExp
  start(options: ConsentGuardOptions): Promise<RunningTarget>
}

const baseUrlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const fastifyTarget: Target = {
  name: 'fastify',
  errorContentType: /^application\/json/,
  async start(options) {
    const app = Fastify({ logger: false })
    // Lazy key loading, as in the Express targets: the key-set outage scenarios start cold.
    await app.register(consentGuard, { ...options, prefetchKeys: false })
    const handled: HandledCall[] = []
    for (const route of ROUTES) {
      app.get(route.path, { config: { consent: route.requirement } }, async (request) => {
        handled.push({ path: route.path, consent: request.consent })
        const consent = fastifyConsent(request)
        if (route.failsAndReleases === true) {
          await app.consentGuard.release(consent)
          throw new HandlerFailure('the data store failed')
        }
        return handlerBody(route.path, consent)
      })
    }
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { baseUrl: baseUrlOf(app.server), handled, close: () => app.close() }
  },
}

function expressTarget(name: string, createApp: typeof express5): Target {
  return {
    name,
    errorContentType: /^application\/problem\+json/,
    async start(options) {
      const app = createApp()
      const guard = createConsentGuard(options)
      const handled: HandledCall[] = []
      for (const route of ROUTES) {
        app.get(route.path, guard.require(route.requirement), (req, res, next) => {
          handled.push({ path: route.path, consent: req.consent })
          const consent = expressConsent(req)
          if (route.failsAndReleases === true) {
            guard.release(consent).then(() => next(new HandlerFailure('the data store failed')), next)
            return
          }
          res.json(handlerBody(route.path, consent))
        })
      }
      app.use(consentErrorHandler())
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s)).once('error', reject)
      })
      return {
        baseUrl: baseUrlOf(server),
        handled,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    },
  }
}

export const TARGETS: readonly Target[] = [fastifyTarget, expressTarget('express 5', express5), expressTarget('express 4', express4)]
