/**
 * The table runner of the HTTP-level catalogue suite. A row names a docs/security.md case, builds its
 * request variants once, and states the expected answer; the runner sends every variant to every
 * target (Fastify, Express 5, Express 4) in every mode the row applies to, and checks status,
 * `WWW-Authenticate` (its `error` attribute or its absence), the body's `code`,
 * `Cache-Control: no-store`, that nothing of the token or an identity number is echoed, and, through
 * the `x-probe` header each request carries, that the protected handler ran exactly when accepted.
 */
import { randomUUID } from 'node:crypto'
import type { ConsentGuardErrorCode, ConsentGuardOptions } from '@consent-guard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSENT_HEADER, createKit, FNR_A, FNR_B, incomePath, NOW_DATE, PROD_ISSUER, REALM, TEST_ISSUER, type Kit } from './fixtures.js'
import { CONNECTION_RESET, send, sendOrReset, type HeaderLine, type Method, type Seen } from './http.js'
import { errorRenderings, identityNumbersIn, LeakIndex, SENT_VALUES, tokensIn } from './privacy.js'
import { TARGETS, type RunningTarget, type Target } from './targets.js'

/** Guard configurations the rows run against (one server per target each). */
export type AppKind =
  | 'single' // prod issuer, single-token (Altinn 3 default)
  | 'twoToken' // prod issuer, consent token in AltinnSamtykke
  | 'legacy' // two-token plus Altinn 2 legacy tokens
  | 'testEnv' // test issuer with its own key set (ISS-01/02)
  | 'tol0' // clock tolerance 0 (CLM-01)
  | 'audLax' // audience configured, unrestricted tokens allowed (requireAudience: false, ISS-07)
  | 'audStrict' // audience required (ISS-07)
  | 'delegation' // delegation sources restricted to production Altinn (ISS-08)

/** Where a row's token goes: the only token, the access-token slot, the consent slot, or wherever the variant's own headers say. */
export type Placement = 'single' | 'access' | 'consent' | 'custom'

export interface Mode {
  readonly app: AppKind
  readonly placement: Placement
}

export const SINGLE: Mode = { app: 'single', placement: 'single' }
export const TWO_ACCESS: Mode = { app: 'twoToken', placement: 'access' }
export const TWO_CONSENT: Mode = { app: 'twoToken', placement: 'consent' }
/** Token-level cases: either token may be the bad one. */
export const TOKEN_MODES: readonly Mode[] = [SINGLE, TWO_ACCESS, TWO_CONSENT]
/** Consent-level cases: the consent travels in the single token or in the consent token. */
export const CONSENT_MODES: readonly Mode[] = [SINGLE, TWO_CONSENT]
/** Access-token-only rules (scope, credentials): the single token or the Authorization slot. */
export const ACCESS_MODES: readonly Mode[] = [SINGLE, TWO_ACCESS]
export const TWO_MODES: readonly Mode[] = [TWO_ACCESS]

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | null

export type Expect =
  | { readonly status: 200 }
  /**
   * Node's HTTP parser refuses before any application code (headers over 16 KiB): 431 on Node 20/22,
   * a connection reset on Node 24. What is asserted is the security property, not the transport
   * detail: refused either way, the handler never ran, and the server still answers afterwards.
   */
  | { readonly status: 431; readonly node: true }
  /** The application's own code failed (a requirement function threw): the framework's 500. */
  | { readonly status: 500; readonly internal: true }
  | { readonly status: 400 | 401 | 403 | 503; readonly error: BearerError; readonly code: ConsentGuardErrorCode; readonly scope?: string }

export const ok: Expect = { status: 200 }
export const r431: Expect = { status: 431, node: true }
export const r500: Expect = { status: 500, internal: true }
export const r400 = (code: ConsentGuardErrorCode): Expect => ({ status: 400, error: 'invalid_request', code })
export const r401 = (code: ConsentGuardErrorCode): Expect => ({ status: 401, error: 'invalid_token', code })
export const r403 = (code: ConsentGuardErrorCode, scope?: string): Expect => ({
  status: 403,
  error: 'insufficient_scope',
  code,
  ...(scope !== undefined && { scope }),
})
export const r503 = (code: ConsentGuardErrorCode): Expect => ({ status: 503, error: null, code })
/** No usable credentials: 401 with a bare challenge (RFC 6750 §3). */
export const noCredentials: Expect = { status: 401, error: null, code: 'credentials_missing' }

export interface Variant {
  readonly label: string
  /** The token under test, placed per the mode; omit when `headers` says everything. */
  readonly token?: string
  /** Header lines replacing the mode's default ones (the function form sees the mode). */
  readonly headers?: readonly HeaderLine[] | ((mode: Mode, kit: Kit) => readonly HeaderLine[])
  readonly path?: string
  readonly method?: Method
  readonly body?: string
  readonly expect?: Expect | ((mode: Mode) => Expect)
}

export interface Row {
  /** Catalogue id, e.g. `SIG-03`. */
  readonly id: string
  readonly title: string
  readonly modes: readonly Mode[]
  /** Built once per row, shared by every mode and target. */
  readonly variants: (kit: Kit) => Variant[] | Promise<Variant[]>
  readonly expect?: Expect | ((mode: Mode) => Expect)
  /** Every answer must arrive within this many ms (DoS-shaped input is refused at once). */
  readonly maxMs?: number
  /** No key set may be fetched while the row runs (decided before any key lookup). */
  readonly noKeyFetch?: boolean
  /** Extra checks after all requests of one mode, e.g. on audit events. */
  readonly after?: (ctx: { kit: Kit; apps: readonly RunningTarget[]; mode: Mode }) => void | Promise<void>
  /**
   * Set when the library is known to be wrong here: the row runs as `it.fails`, so it turns red
   * the day the defect is fixed and the marker must be removed. Names the defect.
   */
  readonly defect?: string
}

const guardOptions = (kit: Kit, app: AppKind): ConsentGuardOptions => {
  const clock = () => NOW_DATE
  const prod = { maskinporten: { issuer: PROD_ISSUER, jwksUri: kit.prod.jwksUri }, realm: REALM, clock }
  switch (app) {
    case 'single':
      return prod
    case 'twoToken':
      return { ...prod, consentHeader: CONSENT_HEADER }
    case 'legacy':
      return { ...prod, consentHeader: CONSENT_HEADER, altinn2: { jwksUri: kit.altinn2.jwksUri } }
    case 'testEnv':
      return { maskinporten: { issuer: TEST_ISSUER, jwksUri: kit.env2.jwksUri }, realm: REALM, clock }
    case 'tol0':
      return { ...prod, clockTolerance: 0 }
    case 'audLax':
      return { ...prod, audience: 'https://our.api/', requireAudience: false }
    case 'audStrict':
      return { ...prod, audience: 'https://our.api/', requireAudience: true }
    case 'delegation':
      return { ...prod, delegationSources: ['https://www.altinn.no/'] }
  }
}

/** The header lines a mode sends for a token under test. */
export function placeToken(mode: Mode, token: string, kit: Kit): HeaderLine[] {
  switch (mode.placement) {
    case 'single':
      return [['Authorization', `Bearer ${token}`]]
    case 'access':
      return [
        ['Authorization', `Bearer ${token}`],
        [CONSENT_HEADER, kit.goodConsent],
      ]
    case 'consent':
      return [
        ['Authorization', `Bearer ${kit.goodAccess}`],
        [CONSENT_HEADER, token],
      ]
    case 'custom':
      throw new Error('a custom placement needs the variant to give its headers')
  }
}

const modeName = (mode: Mode): string =>
  mode.placement === 'custom' || (mode.app === 'single' && mode.placement === 'single') ? mode.app : `${mode.app}/${mode.placement}`

const resolve = (value: Expect | ((mode: Mode) => Expect) | undefined, mode: Mode): Expect | undefined =>
  typeof value === 'function' ? value(mode) : value

/** What a protected handler answers with (targets.ts). */
interface HandlerBody {
  route: string
  consentId: string
  subject: string
}

export interface Checked {
  readonly target: Target
  readonly app: RunningTarget
  readonly seen: Seen
}

/**
 * Checks one answer against an expectation. Exported for the other adversarial suites.
 */
export function checkAnswer(
  where: string,
  target: Target,
  app: RunningTarget,
  probe: string,
  method: Method,
  seen: Seen,
  expected: Expect,
  sentValues: readonly string[],
): void {
  const ran = app.handled.filter((h) => h.probe === probe)
  if (expected.status === 431) {
    expect([431, CONNECTION_RESET], `${where}: refused by Node (431 or a reset), got ${seen.status}`).toContain(seen.status)
    expect(ran, `${where}: the protected handler never ran`).toHaveLength(0)
    return
  }
  expect(seen.status, `${where}: status (body ${seen.text.slice(0, 200)})`).toBe(expected.status)
  expect(seen.headers['x-injected'], `${where}: no injected header`).toBeUndefined()
  if (expected.status === 500) {
    expect(ran, `${where}: the protected handler never ran`).toHaveLength(0)
    expect(seen.headers['www-authenticate'], `${where}: no challenge on 500`).toBeUndefined()
    for (const fnr of [FNR_A, FNR_B]) expect(seen.text.includes(fnr), `${where}: identity number echoed`).toBe(false)
    return
  }
  expect(seen.headers['cache-control'], `${where}: Cache-Control`).toBe('no-store')
  if (expected.status === 200) {
    expect(ran, `${where}: the handler ran exactly once`).toHaveLength(1)
    expect(seen.headers['www-authenticate'], `${where}: no challenge on 200`).toBeUndefined()
    if (method !== 'HEAD') expect((seen.body as HandlerBody).consentId, `${where}: consent handed to the handler`).toBe(ran[0]?.consentId)
    return
  }
  expect(ran, `${where}: the protected handler never ran`).toHaveLength(0)
  const challenge = seen.headers['www-authenticate']
  if (expected.status === 503) {
    expect(challenge, `${where}: no challenge on 503`).toBeUndefined()
    expect(seen.headers['retry-after'], `${where}: Retry-After`).toMatch(/^\d+$/)
  } else if (expected.error === null) {
    expect(challenge, `${where}: bare challenge`).toBe(`Bearer realm="${REALM}"`)
  } else {
    expect(challenge, `${where}: challenge`).toMatch(
      new RegExp(`^Bearer realm="${REALM}", error="${expected.error}", error_description="[^"]+"`),
    )
    if (expected.scope !== undefined) expect(challenge, `${where}: scope in the challenge`).toContain(`scope="${expected.scope}"`)
  }
  if (method !== 'HEAD') {
    expect(seen.headers['content-type'], `${where}: error content type`).toMatch(target.errorContentType)
    expect((seen.body as { code?: unknown } | undefined)?.code, `${where}: body code`).toBe(expected.code)
  }
  // HTTP-11: nothing of the request's identity numbers or tokens comes back.
  for (const fnr of [FNR_A, FNR_B])
    expect(seen.text.includes(fnr) || String(challenge ?? '').includes(fnr), `${where}: identity number echoed`).toBe(false)
  for (const value of sentValues) {
    if (value.length <= 40) continue
    const tail = value.slice(-40)
    expect(seen.text.includes(tail) || String(challenge ?? '').includes(tail), `${where}: token echoed`).toBe(false)
  }
}

/**
 * `it.fails` for a case the library gets wrong today: it passes while the defect is there and
 * fails the day it is fixed (then remove the marker). `ADVERSARIAL_DEFECTS=show` runs these as
 * plain tests, to see exactly how each one fails.
 */
export const knownDefect = (name: string, fn: () => unknown): void => {
  if (process.env.ADVERSARIAL_DEFECTS === 'show') it(name, fn)
  else it.fails(name, fn)
}

export interface CatalogueHandle {
  readonly kit: () => Kit
  readonly apps: (app: AppKind) => readonly RunningTarget[]
}

/**
 * Declares the suite for `rows`: starts every needed app once per target in `beforeAll`, then one
 * `it` per row and mode.
 */
export function defineCatalogue(title: string, rows: readonly Row[], extra?: () => void): CatalogueHandle {
  let kit: Kit
  const running = new Map<AppKind, RunningTarget[]>()
  const needed = new Set(rows.flatMap((row) => row.modes.map((m) => m.app)))
  const built = new Map<Row, Promise<Variant[]>>()
  const variantsOf = (row: Row): Promise<Variant[]> => {
    let v = built.get(row)
    if (v === undefined) {
      v = Promise.resolve(row.variants(kit))
      built.set(row, v)
    }
    return v
  }

  describe(title, () => {
    beforeAll(async () => {
      kit = await createKit()
      await Promise.all(
        [...needed].map(async (app) => {
          const apps = await Promise.all(TARGETS.map((t) => t.start(guardOptions(kit, app))))
          running.set(app, apps)
          // Warm every key cache, so rows can assert that nothing made the guard fetch keys.
          const token =
            app === 'testEnv'
              ? kit.sign(kit.claims({ iss: TEST_ISSUER }), { alg: 'RS256', kid: 'env2-1' }, kit.env2.signer.privateKey)
              : kit.good
          await Promise.all(apps.map((a) => send(a.baseUrl, { path: incomePath(), headers: [['Authorization', `Bearer ${token}`]] })))
        }),
      )
    })
    afterAll(async () => {
      await Promise.all([...running.values()].flat().map((a) => a.close()))
      await kit?.close()
    })

    for (const row of rows) {
      for (const mode of row.modes) {
        const name = `${row.id} ${row.title} [${modeName(mode)}]`
        const run = async (): Promise<void> => {
          const variants = await variantsOf(row)
          expect(variants.length, 'a row needs variants').toBeGreaterThan(0)
          const apps = running.get(mode.app) as RunningTarget[]
          const fetchesBefore = [kit.prod.server.requests, kit.env2.server.requests, kit.attackerJwks.requests]
          for (const variant of variants) {
            const expected = resolve(variant.expect, mode) ?? resolve(row.expect, mode)
            if (expected === undefined) throw new Error(`${row.id} ${variant.label}: no expectation`)
            let headers: readonly HeaderLine[]
            if (variant.headers !== undefined)
              headers = typeof variant.headers === 'function' ? variant.headers(mode, kit) : variant.headers
            else if (variant.token !== undefined) headers = placeToken(mode, variant.token, kit)
            else throw new Error(`${row.id} ${variant.label}: neither token nor headers`)
            const method = variant.method ?? 'GET'
            await Promise.all(
              TARGETS.map(async (target, i) => {
                const app = apps[i] as RunningTarget
                const probe = randomUUID()
                const refusedByNode = expected.status === 431
                const seen = await (refusedByNode ? sendOrReset : send)(app.baseUrl, {
                  method,
                  path: variant.path ?? incomePath(),
                  headers: [...headers, ['x-probe', probe]],
                  ...(variant.body !== undefined && { body: variant.body }),
                })
                checkAnswer(
                  `${target.name} · ${variant.label}`,
                  target,
                  app,
                  probe,
                  method,
                  seen,
                  expected,
                  headers.map(([, v]) => v),
                )
                if (row.maxMs !== undefined) expect(seen.ms, `${target.name} · ${variant.label}: answered in time`).toBeLessThan(row.maxMs)
                if (refusedByNode) {
                  // The server survived the refusal: a plain request still gets its 401.
                  const after = await send(app.baseUrl, { path: incomePath(), headers: [] })
                  expect(after.status, `${target.name} · ${variant.label}: the server still answers`).toBe(401)
                }
              }),
            )
          }
          if (row.noKeyFetch === true) {
            expect([kit.prod.server.requests, kit.env2.server.requests, kit.attackerJwks.requests], 'no key set was fetched').toEqual(
              fetchesBefore,
            )
          }
          expect(kit.attackerJwks.requests, 'the attacker key set is never fetched').toBe(0)
          await row.after?.({ kit, apps, mode })
        }
        if (row.defect !== undefined) knownDefect(`${name} — KNOWN DEFECT: ${row.defect}`, run)
        else it(name, run)
      }
    }
    // Hand-written cases (stateful sequences) that share these apps.
    extra?.()

    // Last: every path above ran with identity numbers and real tokens; none may have left a trace.
    it('LOG-01/LOG-02 no token fragment or identity number in any log line, audit event or error of the runs above', () => {
      const index = new LeakIndex(tokensIn(SENT_VALUES))
      expect(index.size, 'tokens were sent').toBeGreaterThan(100)
      let lines = 0
      for (const [kind, apps] of running) {
        for (const app of apps) {
          const texts: [string, string][] = [
            ['log', app.logs.join('\n')],
            ['audit events', app.events.map((e) => JSON.stringify(e)).join('\n')],
            ['errors', app.errors.map(errorRenderings).join('\n')],
          ]
          lines += app.logs.length
          for (const [what, text] of texts) {
            expect(identityNumbersIn(text, [FNR_A, FNR_B]), `${app.name} (${kind}) ${what}: identity numbers`).toEqual([])
            expect(index.find(text), `${app.name} (${kind}) ${what}: token fragments`).toEqual([])
          }
        }
      }
      expect(lines, 'log lines were captured').toBeGreaterThan(rows.length)
    })
  })

  return { kit: () => kit, apps: (app) => running.get(app) ?? [] }
}
