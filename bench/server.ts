/**
 * One benchmark server variant, in its own process (started by bench/run.ts, pinned to one core).
 * Every variant answers GET /income/:year/:personId with the same small JSON body; logging is off.
 * Prints `LISTENING <port>` when ready.
 */
import type { AddressInfo } from 'node:net'
import { createPublicKey } from 'node:crypto'
import Fastify from 'fastify'
import express from 'express'
import fastifyJwt from '@fastify/jwt'
import { auth } from 'express-oauth2-jwt-bearer'
import { consentGuard } from '@consent-guard/fastify'
import { createConsentGuard as createExpressGuard } from '@consent-guard/express'
import type { ConsentGuardOptions } from '@consent-guard/core'
import type { ServerConfig } from './variants.js'

const PATH = '/income/:year/:personId'
const BODY = { hello: 'world' }

interface Params {
  personId: string
  year: string
}
const requirement = {
  scope: 'example:income',
  resource: 'example-income',
  subject: (r: { params: unknown }) => (r.params as Params).personId,
  metadata: { inntektsaar: { equals: (r: { params: unknown }) => (r.params as Params).year } },
}

function guardOptions(config: ServerConfig, variant: string): ConsentGuardOptions {
  return {
    maskinporten: { issuer: config.issuer, jwksUri: config.jwksUri },
    ...(variant.includes('-two') ? { consentHeader: 'AltinnSamtykke' } : {}),
    ...(variant.endsWith('-nocache') ? { tokenCache: false } : {}),
    ...(config.overload !== undefined ? { overload: config.overload } : {}),
  }
}

async function startFastify(config: ServerConfig): Promise<number> {
  const app = Fastify({ logger: false })
  const v = config.variant
  if (v.startsWith('fastify-guard')) {
    await app.register(consentGuard, guardOptions(config, v))
    app.get(PATH, { config: { consent: requirement } }, async () => BODY)
  } else if (v === 'fastify-jwt-one') {
    const pem = createPublicKey({ key: config.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    await app.register(fastifyJwt, {
      secret: { public: pem },
      verify: { algorithms: ['RS256'], allowedIss: config.issuer, allowedAud: config.audience },
    })
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify()
    })
    app.get(PATH, async () => BODY)
  } else {
    app.get(PATH, async () => BODY)
  }
  if (typeof globalThis.gc === 'function') {
    // The flood's server runs with --expose-gc: heap retained after a full collection, i.e. what
    // the cache and the process really hold, without the garbage RSS still carries.
    const gc = globalThis.gc
    app.get('/__bench/heap', async () => {
      gc()
      const m = process.memoryUsage()
      return { heapUsedMiB: m.heapUsed / 2 ** 20, externalMiB: m.external / 2 ** 20, rssMiB: m.rss / 2 ** 20 }
    })
  }
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

async function startExpress(config: ServerConfig): Promise<number> {
  const app = express()
  app.set('etag', false)
  app.disable('x-powered-by')
  const v = config.variant
  const send = (_req: unknown, res: express.Response) => void res.json(BODY)
  if (v.startsWith('express-guard')) {
    const guard = createExpressGuard(guardOptions(config, v))
    app.get(PATH, guard.require(requirement), send)
  } else if (v === 'express-auth0-one') {
    app.get(
      PATH,
      auth({ issuer: config.issuer, jwksUri: config.jwksUri, audience: config.audience, tokenSigningAlg: 'RS256', authRequired: true }),
      send,
    )
  } else {
    app.get(PATH, send)
  }
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

const config = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerConfig
const port = config.variant.startsWith('fastify') ? await startFastify(config) : await startExpress(config)
process.stdout.write(`LISTENING ${port}\n`)
// A clean exit on SIGTERM, so `node --cpu-prof` can write its profile when a run ends.
process.on('SIGTERM', () => process.exit(0))
