/**
 * Route coverage (docs/security.md HTTP-10) for both example APIs and the three adapters: HEAD,
 * OPTIONS, trailing slash, case variants (Express routes case-insensitively by default), encoded
 * slashes, `//`, dot segments, a `;x` suffix, percent-encoded digits. Whatever variant reaches a
 * protected handler must have been checked: without a token no variant yields data; with a valid
 * token every variant that is served was accepted by the guard in that very request (one accepted
 * audit decision per served request), and the set of served variants is pinned per app.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp as buildExpressApp } from '../../examples/express-income-api/src/app.js'
import { loadConfig as loadExpressConfig } from '../../examples/express-income-api/src/config.js'
import { buildApp as buildFastifyApp } from '../../examples/fastify-income-api/src/app.js'
import { loadConfig as loadFastifyConfig } from '../../examples/fastify-income-api/src/config.js'
import { send, type Method, type Seen } from './support/http.js'
import { TARGETS, type RunningTarget } from './support/targets.js'

const F = TEST_IDENTITIES.personA
const encodedDigits = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('')

interface PathVariant {
  readonly name: string
  readonly method: Method
  readonly path: string
}

/** Variants of GET /income/2023/<fnr>. */
const VARIANTS: readonly PathVariant[] = [
  { name: 'canonical', method: 'GET', path: `/income/2023/${F}` },
  { name: 'HEAD', method: 'HEAD', path: `/income/2023/${F}` },
  { name: 'OPTIONS', method: 'OPTIONS', path: `/income/2023/${F}` },
  { name: 'trailing slash', method: 'GET', path: `/income/2023/${F}/` },
  { name: 'upper-case path', method: 'GET', path: `/INCOME/2023/${F}` },
  { name: 'mixed-case path', method: 'GET', path: `/Income/2023/${F}` },
  { name: '%2F between all segments', method: 'GET', path: `/income%2F2023%2F${F}` },
  { name: '%2F between year and person', method: 'GET', path: `/income/2023%2F${F}` },
  { name: '%2f (lower case) after the person', method: 'GET', path: `/income/2023/${F}%2f` },
  { name: '// at the start', method: 'GET', path: `//income/2023/${F}` },
  { name: '// inside', method: 'GET', path: `/income//2023/${F}` },
  { name: ';x suffix', method: 'GET', path: `/income/2023/${F};x` },
  { name: ';x on the first segment', method: 'GET', path: `/income;x/2023/${F}` },
  { name: 'percent-encoded digits', method: 'GET', path: `/income/2023/${encodedDigits(F)}` },
  { name: 'percent-encoded route name', method: 'GET', path: `/%69ncome/2023/${F}` },
  { name: '/./ segment', method: 'GET', path: `/income/./2023/${F}` },
  { name: '/x/../ segment', method: 'GET', path: `/income/x/../2023/${F}` },
  { name: '%00 suffix', method: 'GET', path: `/income/2023/${F}%00` },
  { name: 'backslashes', method: 'GET', path: `/income\\2023\\${F}` },
  { name: 'empty query', method: 'GET', path: `/income/2023/${F}?` },
]

/** One run of all variants: what each answered, with and without a token. */
interface Observation {
  readonly withoutToken: Seen
  readonly withToken: Seen
  /** Accepted audit decisions the request with the token caused. */
  readonly acceptedDecisions: number
  /** Accepted audit decisions the request without a token caused (must be none). */
  readonly acceptedWithoutToken: number
}

/** True when an answer carries the handler's data. */
const served = (seen: Seen, method: Method): boolean => seen.status === 200 && (method === 'HEAD' || seen.text.includes('consentId'))

async function observe(baseUrl: string, token: string, decisions: () => { accepted: number }): Promise<Map<string, Observation>> {
  const out = new Map<string, Observation>()
  for (const v of VARIANTS) {
    const d0 = decisions()
    const withoutToken = await send(baseUrl, { method: v.method, path: v.path, headers: [] })
    const d1 = decisions()
    const withToken = await send(baseUrl, { method: v.method, path: v.path, headers: [['Authorization', `Bearer ${token}`]] })
    const d2 = decisions()
    out.set(v.name, {
      withoutToken,
      withToken,
      acceptedDecisions: d2.accepted - d1.accepted,
      acceptedWithoutToken: d1.accepted - d0.accepted,
    })
  }
  return out
}

/**
 * The invariants of HTTP-10, for every variant. `ownNotFound`: the app answers 404 itself without
 * repeating the URL (the examples do; the bare adapter apps keep the frameworks' default 404 pages,
 * which repeat it, so their 404s are not the guard's answers to judge).
 */
function checkCoverage(where: string, observations: Map<string, Observation>, ownNotFound: boolean): string[] {
  const servedNames: string[] = []
  for (const v of VARIANTS) {
    const o = observations.get(v.name) as Observation
    // Without a token: never data, never an accepted decision.
    expect(served(o.withoutToken, v.method), `${where} · ${v.name}: data without a token (${o.withoutToken.status})`).toBe(false)
    if (ownNotFound || o.withoutToken.status !== 404)
      expect(o.withoutToken.text.includes(F), `${where} · ${v.name}: identity number echoed`).toBe(false)
    expect(o.acceptedWithoutToken, `${where} · ${v.name}: accepted without a token`).toBe(0)
    if (o.withoutToken.status === 200) expect(v.method, `${where} · ${v.name}: a 200 without a token`).toBe('OPTIONS')
    else expect([400, 401, 404], `${where} · ${v.name}: status without a token`).toContain(o.withoutToken.status)
    // With a token: served exactly when the guard accepted this request.
    if (served(o.withToken, v.method)) {
      servedNames.push(v.name)
      expect(o.acceptedDecisions, `${where} · ${v.name}: served without an accepted check`).toBe(1)
      expect(o.withToken.headers['cache-control'], `${where} · ${v.name}: no-store`).toBe('no-store')
    } else {
      expect(o.acceptedDecisions, `${where} · ${v.name}: accepted but not served`).toBe(0)
    }
  }
  return servedNames
}

/** Which variants each app serves with a valid token (pinned: a change in routing must be a decision). */
const FASTIFY_SERVES = ['canonical', 'HEAD', 'percent-encoded digits', 'percent-encoded route name', 'empty query']
const EXPRESS_SERVES = [
  'canonical',
  'HEAD',
  'trailing slash',
  'upper-case path',
  'mixed-case path',
  'percent-encoded digits',
  'empty query',
]

let issuer: TestIssuer
let token: string
beforeAll(async () => {
  issuer = await createTestIssuer()
  token = await issuer.consentToken({
    scope: 'example:income',
    consent: { from: { person: F }, resource: 'example-income', metadata: { inntektsaar: '2023' } },
  })
})
afterAll(() => issuer?.close())

const decisionsIn = (lines: readonly string[]) => () => {
  const records = lines
    .map((l) => JSON.parse(l) as { event?: string; decision?: string })
    .filter((r) => r.event === 'consent_guard.decision')
  return { accepted: records.filter((r) => r.decision === 'accepted').length }
}

describe('HTTP-10 route coverage of the example APIs', () => {
  const examples = [
    {
      name: 'fastify-income-api',
      serves: FASTIFY_SERVES,
      async start(env: Record<string, string>, lines: string[]) {
        const app = await buildFastifyApp(loadFastifyConfig(env), { logSink: { write: (line: string) => lines.push(line) } })
        await app.listen({ port: 0, host: '127.0.0.1' })
        return { baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() }
      },
    },
    {
      name: 'express-income-api',
      serves: EXPRESS_SERVES,
      async start(env: Record<string, string>, lines: string[]) {
        const app = buildExpressApp(loadExpressConfig(env), { logSink: { write: (line: string) => lines.push(line) } })
        const server = await new Promise<Server>((resolve, reject) => {
          const s = app.listen(0, '127.0.0.1', () => resolve(s)).once('error', reject)
        })
        return {
          baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          close: () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            }),
        }
      },
    },
  ]

  it.each(examples)('$name: every served variant was checked; served: the pinned set', async (example) => {
    const lines: string[] = []
    const app = await example.start(
      { MASKINPORTEN_ISSUER: issuer.issuer, MASKINPORTEN_JWKS_URI: issuer.jwksUri, PORT: '0', LOG_LEVEL: 'info' },
      lines,
    )
    try {
      const observations = await observe(app.baseUrl, token, decisionsIn(lines))
      expect(checkCoverage(example.name, observations, true)).toEqual(example.serves)

      // A HEAD on a one-time route is checked too, and uses the consent up.
      const loan = await issuer.consentToken({
        scope: 'example:loan-check',
        consent: { from: { person: F }, resource: 'example-loan-check' },
      })
      const headers: [string, string][] = [['Authorization', `Bearer ${loan}`]]
      expect((await send(app.baseUrl, { method: 'HEAD', path: `/loan-check/${F}`, headers })).status).toBe(200)
      const after = await send(app.baseUrl, { path: `/loan-check/${F}`, headers })
      expect([after.status, (after.body as { code?: string }).code]).toEqual([403, 'consent_already_used'])
      // The unguarded route stays reachable, and is the only one that is.
      expect((await send(app.baseUrl, { path: '/health', headers: [] })).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe('HTTP-10 route coverage of the adapters', () => {
  const running: RunningTarget[] = []
  beforeAll(async () => {
    for (const t of TARGETS) running.push(await t.start({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } }))
  })
  afterAll(async () => {
    await Promise.all(running.map((a) => a.close()))
  })

  it.each(TARGETS.map((t, i) => [t.name, i] as const))(
    '%s: every request that reached the handler was accepted by the guard first',
    async (name, i) => {
      const app = running[i] as RunningTarget
      const accepted = () => ({ accepted: app.events.filter((e) => e.decision === 'accepted').length })
      const observations = await observe(app.baseUrl, token, accepted)
      const servedNames = checkCoverage(name, observations, false)
      expect(servedNames).toEqual(name === 'fastify' ? FASTIFY_SERVES : EXPRESS_SERVES)
      // Each handled request came after its own accepted decision: as many handled as accepted.
      expect(app.handled.length).toBe(app.events.filter((e) => e.decision === 'accepted').length)
    },
  )
})
