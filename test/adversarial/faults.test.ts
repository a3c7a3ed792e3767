/**
 * Fault injection on every dependency, over HTTP, against Fastify, Express 5 and Express 4
 * (docs/security.md JWK-01..08, DOS-08..10, RPL-05/06, HTTP-12): the key-set endpoint down at cold
 * start, slow, returning garbage or a huge body, redirecting, rotating; the one-time store (a
 * private redis-server, and failing or hanging custom stores) down or slow; the consumer
 * allow-list failing. Each ends in the documented status within a bounded time; nothing hangs.
 *
 * Every scenario starts fresh apps (a cold key cache) on its own issuer.
 */
import { randomUUID } from 'node:crypto'
import type { ConsentGuardOptions, ConsentUseStore } from '@consent-guard/core'
import { consentGuard } from '@consent-guard/fastify'
import { createConsentGuard as createExpressGuard } from '@consent-guard/express'
import {
  createJwksServer,
  createTestIssuer,
  generateSigningKey,
  signCompact,
  type JwksBehaviour,
  type TestIssuer,
} from '@consent-guard/testkit'
import Fastify from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRedisConsentUseStore, type RedisConsentUseStore } from '../../packages/redis/src/index.js'
import { describeWithRedis, startRedisServer, type RedisServer } from '../../packages/redis/test/support/redis-server.js'
import { checkAnswer, ok, r401, r403, r503, type Expect } from './support/catalogue.js'
import { FNR_A, REALM, RESOURCE, SCOPE } from './support/fixtures.js'
import { send, type Seen } from './support/http.js'
import { errorRenderings, identityNumbersIn, LeakIndex, SENT_VALUES, tokensIn } from './support/privacy.js'
import { ADVERSARIAL_ROUTES, TARGETS, type AdversarialRoute, type RunningTarget } from './support/targets.js'

/** The ceiling of any one answer in this file: generous, yet far from a hang. */
const CEILING_MS = 3_000
const INCOME = `/income/2023/${FNR_A}`
const LOAN = `/loan-check/${FNR_A}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const open: RunningTarget[][] = []
const issuers: TestIssuer[] = []
afterEach(async () => {
  // LOG-01 on the failure paths too: nothing of a token or an identity number in what the apps logged.
  const index = new LeakIndex(tokensIn(SENT_VALUES))
  for (const app of open.flat()) {
    const text = [...app.logs, ...app.events.map((e) => JSON.stringify(e)), ...app.errors.map(errorRenderings)].join('\n')
    expect(identityNumbersIn(text, [FNR_A]), `${app.name}: identity number in logs`).toEqual([])
    expect(index.find(text), `${app.name}: token fragment in logs`).toEqual([])
  }
  await Promise.all(
    open
      .splice(0)
      .flat()
      .map((a) => a.close()),
  )
  await Promise.all(issuers.splice(0).map((i) => i.close()))
})

async function issuer(): Promise<TestIssuer> {
  const i = await createTestIssuer()
  issuers.push(i)
  return i
}

/** Fresh apps (cold caches) for every target. */
async function apps(
  iss: { issuer: string; jwksUri: string },
  extra: Partial<ConsentGuardOptions> = {},
  routes?: readonly AdversarialRoute[],
): Promise<RunningTarget[]> {
  const started = await Promise.all(
    TARGETS.map((t) =>
      t.start(
        { maskinporten: { issuer: iss.issuer, jwksUri: iss.jwksUri }, realm: REALM, ...extra },
        routes === undefined ? {} : { routes },
      ),
    ),
  )
  open.push(started)
  return started
}

const incomeToken = (iss: TestIssuer, options: Parameters<TestIssuer['consentToken']>[1] = {}) =>
  iss.consentToken({ scope: SCOPE, consent: { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } } }, options)
const loanToken = (iss: TestIssuer, id: string = randomUUID()) =>
  iss.consentToken({ scope: SCOPE, consent: { id, from: { person: FNR_A }, resource: 'example-loan-check' } })

/**
 * Sends `token` (or `token(i)` to app i) to every app, checks the answer like the catalogue does,
 * and bounds its time.
 */
async function expectAll(
  running: readonly RunningTarget[],
  tokens: string | ((i: number) => string),
  expected: Expect,
  label: string,
  path = INCOME,
  ceiling = CEILING_MS,
): Promise<Seen[]> {
  return Promise.all(
    running.map(async (app, i) => {
      const target = TARGETS[i] as (typeof TARGETS)[number]
      const token = typeof tokens === 'string' ? tokens : tokens(i)
      const probe = randomUUID()
      const seen = await send(
        app.baseUrl,
        {
          path,
          headers: [
            ['Authorization', `Bearer ${token}`],
            ['x-probe', probe],
          ],
        },
        ceiling + 500,
      )
      checkAnswer(`${target.name} · ${label}`, target, app, probe, 'GET', seen, expected, [token])
      expect(seen.ms, `${target.name} · ${label}: answered within ${ceiling} ms`).toBeLessThan(ceiling)
      return seen
    }),
  )
}

describe('JWK-01 key set down at cold start: 503, and the first request after the cooldown retries', () => {
  it.each<[string, JwksBehaviour]>([
    ['HTTP 500', 'status500'],
    ['connection reset', 'down'],
    ['HTML maintenance page', 'html'],
  ])('%s', async (_name, behaviour) => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { cooldownMs: 400 } })
    const token = await incomeToken(iss)
    iss.server.setBehaviour(behaviour)
    await expectAll(running, token, r503('jwks_unavailable'), 'cold start, endpoint failing')
    const fetched = iss.server.requests
    // A failure is remembered for the cooldown (no client drives fetches at a failing endpoint);
    // once the endpoint is back and the window over, so is the service.
    iss.server.setBehaviour('ok')
    await expectAll(running, token, r503('jwks_unavailable'), 'inside the cooldown after the failure')
    expect(iss.server.requests, 'no fetch inside the cooldown').toBe(fetched)
    await sleep(450)
    await expectAll(running, token, ok, 'endpoint back')
  })

  it('connection refused (nothing listens)', async () => {
    const iss = await issuer()
    const gone = await createJwksServer()
    const url = gone.url
    await gone.close()
    const running = await apps({ issuer: iss.issuer, jwksUri: url })
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'refused')
  })

  it('name resolution fails', async () => {
    const iss = await issuer()
    const running = await apps(
      { issuer: iss.issuer, jwksUri: 'https://consent-guard-adversarial.invalid/jwk' },
      { keys: { timeoutMs: 1_000 } },
    )
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'DNS failure')
  })
})

describe('JWK-02 key set slower than the fetch timeout', () => {
  it('fails at the timeout with 503, well before the endpoint would answer', async () => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { timeoutMs: 400 } })
    iss.server.setBehaviour({ delayMs: 5_000 })
    const seen = await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'slow endpoint')
    for (const s of seen) expect(s.ms).toBeGreaterThanOrEqual(350)
  })

  it('with the default 3 s timeout the answer still comes within a bounded time', async () => {
    const iss = await issuer()
    const running = await apps(iss)
    iss.server.setBehaviour({ delayMs: 10_000 })
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'default timeout', INCOME, 3_000 + 1_000)
  }, 15_000)
})

describe('JWK-03 garbage from the key-set endpoint', () => {
  it.each<[string, JwksBehaviour, Expect]>([
    ['invalid JSON', 'invalid-json', r503('jwks_unavailable')],
    ['{"foo":1}', 'not-a-set', r503('jwks_unavailable')],
    ['private key members (d, p, q…)', 'private-members', r503('jwks_unavailable')],
    ['a JSON array', { status: 200, body: '[]', headers: { 'content-type': 'application/json' } }, r503('jwks_unavailable')],
    [
      'a symmetric key (k)',
      {
        status: 200,
        body: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'mp-1' }] }),
        headers: { 'content-type': 'application/json' },
      },
      r503('jwks_unavailable'),
    ],
    ['HTTP 404', { status: 404, body: 'not found' }, r503('jwks_unavailable')],
    // Fetched fine, no key for the kid: the token, not the dependency, is at fault.
    ['{"keys":[]}', 'empty-keys', r401('token_key_unknown')],
  ])('%s', async (_name, behaviour, expected) => {
    const iss = await issuer()
    const running = await apps(iss)
    iss.server.setBehaviour(behaviour)
    await expectAll(running, await incomeToken(iss), expected, String(_name))
  })

  it.each([301, 302, 303, 307, 308] as const)('a %i redirect is never followed', async (status) => {
    const iss = await issuer()
    // The redirect points at a set that would verify the token: following it would accept.
    const elsewhere = await createJwksServer({ keys: [iss.signer] })
    try {
      const running = await apps(iss)
      iss.server.setBehaviour({ redirectTo: elsewhere.url, status })
      await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), `${status} redirect`)
      expect(elsewhere.requests).toBe(0)
    } finally {
      await elsewhere.close()
    }
  })
})

describe('JWK-07 oversized key set: 503 by the byte and key caps, no memory blow-up', () => {
  it.each([
    ['50 MB with Content-Length', { hugeBytes: 50 * 1024 * 1024 }],
    ['50 MB chunked', { hugeBytes: 50 * 1024 * 1024, chunked: true }],
    ['65 KiB + 1 chunked', { hugeBytes: 64 * 1024 + 1, chunked: true }],
  ] as const)('%s', async (_name, behaviour) => {
    const iss = await issuer()
    const running = await apps(iss)
    iss.server.setBehaviour(behaviour)
    const heapBefore = process.memoryUsage().heapUsed
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), _name)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024)
  })

  it('21 keys (cap 20)', async () => {
    const iss = await issuer()
    const extra = await Promise.all(Array.from({ length: 20 }, (_, i) => generateSigningKey({ alg: 'ES256', kid: `ec-${i}` })))
    iss.server.setKeys([iss.signer, ...extra])
    const running = await apps(iss)
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), '21 keys')
  })
})

describe('JWK-04 ambiguous or mismatched keys: 401', () => {
  it.each<[string, (jwk: Record<string, unknown>) => Record<string, unknown>[]]>([
    ['two keys with kid mp-1', (jwk) => [jwk, { ...jwk, n: `${String(jwk.n).slice(0, -4)}AAAA` }]],
    ['the mp-1 key marked use: enc', (jwk) => [{ ...jwk, use: 'enc' }]],
    ['the mp-1 key declared alg: RS512', (jwk) => [{ ...jwk, alg: 'RS512' }]],
    ['the mp-1 key with key_ops ["encrypt"]', (jwk) => [{ ...jwk, key_ops: ['encrypt'] }]],
  ])('%s', async (_name, keys) => {
    const iss = await issuer()
    iss.server.setKeys(keys({ ...iss.signer.publicJwk }) as never)
    const running = await apps(iss)
    await expectAll(running, await incomeToken(iss), r401('token_key_unknown'), _name)
  })

  it('kid mp-1 names an EC key', async () => {
    const iss = await issuer()
    const ec = await generateSigningKey({ alg: 'ES256', kid: 'mp-1' })
    iss.server.setKeys([ec])
    const running = await apps(iss)
    await expectAll(running, await incomeToken(iss), r401('token_key_unknown'), 'EC key under mp-1')
  })
})

describe('JWK-05 rotation', () => {
  it('a new kid: 401 inside the cooldown, 200 after it; a removed key: 401 once the cache refreshed; never 500', async () => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { cooldownMs: 400, cacheMaxAgeMs: 400 } })
    const old = await incomeToken(iss)
    await expectAll(running, old, ok, 'warm with mp-1')
    const fetched = iss.server.requests
    await iss.rotate()
    const rotated = await incomeToken(iss)
    await expectAll(running, rotated, r401('token_key_unknown'), 'mp-2 inside the cooldown')
    expect(iss.server.requests, 'no refetch inside the cooldown').toBe(fetched)
    await sleep(450)
    await expectAll(running, rotated, ok, 'mp-2 after the cooldown')
    iss.removeKey('mp-1')
    await sleep(450)
    // Past the max age the answer comes from the set in hand and the refresh runs in the background
    // (no request waits for the key endpoint); the removal counts as soon as that refresh lands.
    await expectAll(running, rotated, ok, 'mp-2 still fine')
    await vi.waitFor(() => expectAll(running, old, r401('token_key_unknown'), 'mp-1 after removal and refresh'), {
      timeout: 2_000,
      interval: 100,
    })
    await expectAll(running, rotated, ok, 'mp-2 still fine')
  })
})

describe('JWK-06 outage after warm-up', () => {
  it('stale-if-error (default 24 h): known kids keep verifying, unknown kids are 401', async () => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { cacheMaxAgeMs: 100, cooldownMs: 0 } })
    await expectAll(running, await incomeToken(iss), ok, 'warm')
    iss.server.setBehaviour('down')
    await sleep(150)
    await expectAll(running, await incomeToken(iss), ok, 'known kid while the endpoint is down')
    const stranger = await generateSigningKey({ kid: 'mp-9' })
    await expectAll(running, await incomeToken(iss, { key: stranger }), r401('token_key_unknown'), 'unknown kid while down')
  })

  it('strict (staleIfErrorMs 0): 503 once the cache is old', async () => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { cacheMaxAgeMs: 100, staleIfErrorMs: 0 } })
    await expectAll(running, await incomeToken(iss), ok, 'warm')
    iss.server.setBehaviour('status500')
    await sleep(150)
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'strict, endpoint failing')
  })

  it('past the stale window: 503', async () => {
    const iss = await issuer()
    const running = await apps(iss, { keys: { cacheMaxAgeMs: 50, staleIfErrorMs: 250, timeoutMs: 300 } })
    await expectAll(running, await incomeToken(iss), ok, 'warm')
    iss.server.setBehaviour({ delayMs: 5_000 })
    await sleep(300)
    await expectAll(running, await incomeToken(iss), r503('jwks_unavailable'), 'stale window over', INCOME)
  })
})

describe('JWK-08 key-set URL hygiene: the adapters refuse to start', () => {
  it.each([
    'http://maskinporten.example/jwk',
    'https://user:pw@maskinporten.no/jwk',
    'https://maskinporten.no/jwk?x=1',
    'https://maskinporten.no/jwk#f',
    'file:///etc/passwd',
  ])('%s', async (jwksUri) => {
    const options = { maskinporten: { issuer: 'https://maskinporten.no/', jwksUri } }
    expect(() => createExpressGuard(options)).toThrow(/jwksUri/)
    const app = Fastify({ logger: false })
    await expect(app.register(consentGuard, options).ready()).rejects.toThrow(/jwksUri/)
    await app.close()
  })
})

describe('DOS-08/09/10 key-set fetch discipline over HTTP', () => {
  /** Every adapter with a fresh issuer of its own, so each key-set fetch count starts at zero. */
  async function startWithOwnIssuers() {
    const issuersPerApp = await Promise.all(TARGETS.map(() => issuer()))
    const running = await Promise.all(
      issuersPerApp.map((iss, i) =>
        (TARGETS[i] as (typeof TARGETS)[number]).start({ maskinporten: { issuer: iss.issuer, jwksUri: iss.jwksUri }, realm: REALM }),
      ),
    )
    open.push(running)
    return { issuersPerApp, running }
  }

  it('DOS-10 fifty concurrent cold requests: one fetch per app, all accepted', async () => {
    const { issuersPerApp, running } = await startWithOwnIssuers()
    await Promise.all(
      running.map(async (app, i) => {
        const iss = issuersPerApp[i] as TestIssuer
        const token = await incomeToken(iss)
        const answers = await Promise.all(
          Array.from({ length: 50 }, () => send(app.baseUrl, { path: INCOME, headers: [['Authorization', `Bearer ${token}`]] })),
        )
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 200))
        expect(iss.server.requests, `${app.name}: one fetch`).toBe(1)
      }),
    )
  })

  it('DOS-08 300 unknown kids within the cooldown: at most one refetch; DOS-09 300 bad signatures under the good kid: none', async () => {
    const { issuersPerApp, running } = await startWithOwnIssuers()
    await Promise.all(
      running.map(async (app, i) => {
        const iss = issuersPerApp[i] as TestIssuer
        const good = await incomeToken(iss)
        expect((await send(app.baseUrl, { path: INCOME, headers: [['Authorization', `Bearer ${good}`]] })).status).toBe(200)
        const [h, p] = good.split('.') as [string, string]
        const flood = async (tokens: string[], code: string) => {
          for (let at = 0; at < tokens.length; at += 50) {
            const batch = await Promise.all(
              tokens.slice(at, at + 50).map((t) => send(app.baseUrl, { path: INCOME, headers: [['Authorization', `Bearer ${t}`]] })),
            )
            for (const a of batch) expect([a.status, (a.body as { code?: string }).code]).toEqual([401, code])
          }
        }
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>
        const unknownKids = Array.from({ length: 300 }, (_, n) =>
          signCompact({ alg: 'RS256', kid: `rnd-${n}` }, claims, iss.signer.privateKey),
        )
        await flood(unknownKids, 'token_key_unknown')
        expect(iss.server.requests, `${app.name}: warm-up + at most one refetch`).toBeLessThanOrEqual(2)
        const before = iss.server.requests
        const badSignatures = Array.from(
          { length: 300 },
          () => `${h}.${p}.${Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url')}`,
        )
        await flood(badSignatures, 'token_signature_invalid')
        expect(iss.server.requests, `${app.name}: no fetch for bad signatures`).toBe(before)
      }),
    )
  })
})

// ---------------------------------------------------------------------------------------------
// The one-time store (RPL-05/06)
// ---------------------------------------------------------------------------------------------
describe('RPL-05 custom stores that fail: 503, never 200', () => {
  const failing: ConsentUseStore = {
    markUsed: () => Promise.reject(new Error('store down')),
    release: () => Promise.reject(new Error('store down')),
  }
  const hanging: ConsentUseStore = { markUsed: () => new Promise(() => {}), release: () => new Promise(() => {}) }
  const slowThenFirst: ConsentUseStore = {
    markUsed: () => new Promise((resolve) => setTimeout(() => resolve(true), 2_000)),
    release: async () => undefined,
  }
  const garbage: ConsentUseStore = { markUsed: () => Promise.resolve('yes' as unknown as boolean), release: async () => undefined }

  it.each<[string, ConsentUseStore, Expect]>([
    ['rejects', failing, r503('store_unavailable')],
    ['never answers', hanging, r503('store_unavailable')],
    ['answers after the store timeout', slowThenFirst, r503('store_unavailable')],
    // Anything but `true` is not a first use: fail closed.
    ['answers neither true nor false', garbage, r403('consent_already_used')],
  ])('a store that %s', async (_name, store, expected) => {
    const iss = await issuer()
    const running = await apps(iss, { store, storeTimeoutMs: 300 })
    await expectAll(running, await loanToken(iss), expected, `store ${_name}`, LOAN)
    // Ordinary routes never touch the store.
    await expectAll(running, await incomeToken(iss), ok, 'ordinary route beside a broken store')
  })
})

describe('RPL-05 a store that throws synchronously', () => {
  const throwing: ConsentUseStore = {
    markUsed: () => {
      throw new Error('store threw synchronously')
    },
    release: async () => undefined,
  }
  it('is never accepted (fails closed)', async () => {
    const iss = await issuer()
    const running = await apps(iss, { store: throwing })
    const token = await loanToken(iss)
    await Promise.all(
      running.map(async (app) =>
        expect((await send(app.baseUrl, { path: LOAN, headers: [['Authorization', `Bearer ${token}`]] })).status).not.toBe(200),
      ),
    )
  })
  it('answers 503 store_unavailable', async () => {
    const iss = await issuer()
    const running = await apps(iss, { store: throwing })
    await expectAll(running, await loanToken(iss), r503('store_unavailable'), 'store throws synchronously', LOAN)
  })
})

describeWithRedis('RPL-05 one-time consents on a real Redis that dies and hangs', () => {
  let redis: RedisServer
  let store: RedisConsentUseStore
  beforeAll(async () => {
    redis = await startRedisServer()
    store = createRedisConsentUseStore({ url: redis.url, commandTimeoutMs: 200 })
    await store.ready()
  })
  afterAll(async () => {
    redis?.resume()
    await store?.close()
    await redis?.stop()
  })

  it('serves, refuses reuse, answers 503 while Redis is hung or dead, and recovers', async () => {
    const iss = await issuer()
    const running = await apps(iss, { store, storeTimeoutMs: 500 })
    const used = await loanToken(iss)
    await Promise.all(
      running.map(async (app, i) => {
        // One consent per app: the apps share one Redis, so the first use on any of them counts.
        const token = i === 0 ? used : await loanToken(iss)
        expect((await send(app.baseUrl, { path: LOAN, headers: [['Authorization', `Bearer ${token}`]] })).status).toBe(200)
      }),
    )
    // The record is shared: every instance refuses the consent one of them served.
    await expectAll(running, used, r403('consent_already_used'), 'reuse across instances', LOAN)

    redis.pause()
    try {
      await expectAll(running, await loanToken(iss), r503('store_unavailable'), 'Redis hung (SIGSTOP)', LOAN)
      await expectAll(running, await incomeToken(iss), ok, 'ordinary route while Redis hangs')
    } finally {
      redis.resume()
    }
    await redis.kill()
    await expectAll(running, await loanToken(iss), r503('store_unavailable'), 'Redis dead', LOAN)
    await redis.restart()
    await store.ready(5_000)
    // The apps share one Redis: each needs its own consent to be a first use.
    const fresh = await Promise.all(running.map(() => loanToken(iss)))
    await expectAll(running, (i) => fresh[i] as string, ok, 'Redis back', LOAN)
  }, 20_000)
})

describe('RPL-06 the record outlives the consent; past validTo the consent itself refuses', () => {
  it('before validTo: 403 already used; after: 403 expired, never 200', async () => {
    const iss = await issuer()
    let offset = 0
    const running = await apps(iss, { clock: () => new Date(Date.now() + offset * 1000) })
    const now = Math.floor(Date.now() / 1000)
    const token = await iss.consentToken({
      scope: SCOPE,
      lifetimeSeconds: 600,
      consent: { id: randomUUID(), from: { person: FNR_A }, resource: 'example-loan-check', validTo: now + 60 },
    })
    // Each app has its own in-memory store, so one token serves all three.
    await expectAll(running, token, ok, 'first use', LOAN)
    await expectAll(running, token, r403('consent_already_used'), 'just before validTo', LOAN)
    offset = 61
    await expectAll(running, token, r403('consent_expired'), 'just after validTo', LOAN)
    offset = 400
    await expectAll(running, token, r403('consent_expired'), 'long after validTo', LOAN)
  })
})

describe('HTTP-12 the consumer allow-list (a dependency of the check)', () => {
  const hangingConsumers: AdversarialRoute = {
    method: 'GET',
    path: '/income/:year/:personId',
    requirement: { ...(ADVERSARIAL_ROUTES[0] as AdversarialRoute).requirement, consumers: () => new Promise<boolean>(() => {}) },
  }

  it('an allow-list lookup that never answers ends in 503 within a bounded time', async () => {
    const iss = await issuer()
    const running = await apps(iss, { storeTimeoutMs: 500 }, [hangingConsumers])
    await expectAll(running, await incomeToken(iss), r503('consumer_check_unavailable'), 'hanging allow-list', INCOME, 2_500)
  })
})
