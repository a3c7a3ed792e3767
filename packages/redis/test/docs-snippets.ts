/* eslint-disable @typescript-eslint/no-misused-promises -- the docs show the usual SIGTERM handler form */
// Code blocks of packages/redis/README.md and docs/one-time-consent.md that use this package;
// compiled by `pnpm typecheck`, kept identical by test/docs/snippets.test.ts.
import type { IncomingMessage } from 'node:http'
import { createConsentGuard, optionsFromEnv } from '@consent-guard/core'
import { createRedisConsentUseStore, redisStoreOptionsFromEnv } from '@consent-guard/redis'
import type { FastifyInstance } from 'fastify'

type LoanRequest = IncomingMessage & { params: { personId: string } }
declare const logger: { warn(fields: object, message: string): void }
declare const app: FastifyInstance

export async function readme() {
  // #region readme
const store = createRedisConsentUseStore({ url: process.env.REDIS_URL }) // redis://host:6379/0, rediss:// for TLS
await store.ready() // optional: until connected, one-time routes answer 503

const guard = createConsentGuard({ maskinporten: 'prod', store })
const loanCheck = guard.compile<LoanRequest>({ resource: 'bank-loan-check', subject: (req) => req.params.personId, oneTime: true })

// on shutdown
await store.close()
  // #endregion readme
  return loanCheck
}

export async function oneTimeDoc() {
  // #region one-time-redis
const store = createRedisConsentUseStore({
  url: process.env.REDIS_URL,            // e.g. redis://redis:6379/0, rediss://… for TLS
  keyPrefix: 'loan-api:',                // optional, when several applications share a database
  onError: (err) => logger.warn({ err }, 'redis'),
})
await store.ready()                      // before listening; until then one-time routes answer 503
const guard = createConsentGuard({ maskinporten: 'prod', store, storeTimeoutMs: 1000 })

process.on('SIGTERM', async () => { await app.close(); await store.close() })
  // #endregion one-time-redis
  return guard
}

export function topologies() {
  // #region topologies
// Sentinel, two replicas, each mark confirmed by one of them
const store = createRedisConsentUseStore({
  sentinels: [{ host: 'sentinel-a', port: 26379 }, { host: 'sentinel-b', port: 26379 }, { host: 'sentinel-c', port: 26379 }],
  name: 'consents',
  minReplicas: 1,
})
// Cluster
const clusterStore = createRedisConsentUseStore({ nodes: [{ host: 'redis-0', port: 6379 }], minReplicas: 1 })
  // #endregion topologies
  return [store, clusterStore]
}

export function fromEnv() {
  // #region from-env
const redis = redisStoreOptionsFromEnv(process.env)
const store = redis && createRedisConsentUseStore({ ...redis, onError: (err) => logger.warn({ err }, 'redis') })
const guard = createConsentGuard({ ...optionsFromEnv(process.env), ...(store && { store }) })
  // #endregion from-env
  return guard
}
