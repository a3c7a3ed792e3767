/**
 * Property-based fuzzing over HTTP, every adapter (docs/security.md, issue 7):
 * - random and mutated Authorization headers: never a 5xx, never a crash, the handler never runs;
 * - random claim sets and consent shapes signed with the trusted key: a 200 only when an
 *   independent reference check, written here from the spec and not calling the core, accepts too;
 * - the same two properties for the consent header of two-token mode, beside a valid access token.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, maskinportenClaims, signCompact, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { send } from '../conformance/client.js'
import { TARGETS, type RunningTarget } from '../conformance/targets.js'

const SCOPE = 'example:income'
const RESOURCE = 'example-income'
const PERSON = TEST_IDENTITIES.personA
const OTHER = TEST_IDENTITIES.personB
const CONSUMER = TEST_IDENTITIES.consumerOrgno
const T = 10 // the guard's default clock tolerance, seconds
const RUNS = Number(process.env.FUZZ_RUNS ?? 150)

let issuer: TestIssuer
const running = new Map<string, RunningTarget>()
/** The same adapters in two-token mode (consent token in AltinnSamtykke). */
const runningTwo = new Map<string, RunningTarget>()
let validToken = ''
let accessToken = ''

beforeAll(async () => {
  issuer = await createTestIssuer()
  for (const target of TARGETS) {
    running.set(target.name, await target.start({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri }, realm: 'conformance' }))
    runningTwo.set(
      target.name,
      await target.start({
        maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
        realm: 'conformance',
        consentHeader: 'AltinnSamtykke',
      }),
    )
  }
  validToken = await issuer.consentToken({
    scope: SCOPE,
    consent: { from: { person: PERSON }, resource: RESOURCE, metadata: { inntektsaar: '2024' } },
  })
  accessToken = await issuer.accessToken({ scope: SCOPE, consumer: CONSUMER })
})
afterAll(async () => {
  for (const r of [...running.values(), ...runningTwo.values()]) await r.close()
  await issuer.close()
})

// ---- The reference check: Digdir's and Altinn's rules, stated directly. ----------------------
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined)
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
function instant(v: unknown): number | undefined {
  if (typeof v !== 'string' || !RFC3339.test(v)) return undefined
  const t = Date.parse(v)
  return Number.isNaN(t) ? undefined : t / 1000
}
/**
 * `asConsentToken`: the claims travel as the consent token of two-token mode, beside a valid access
 * token of CONSUMER with the scope. Then the scope is the access token's business; the consent
 * token must still be a valid Maskinporten token of the same consumer (and no supplier).
 */
function referenceAccepts(claims: unknown, year: string, personId: string, now: number, asConsentToken = false): boolean {
  if (!isObj(claims)) return false
  const exp = own(claims, 'exp')
  const iat = own(claims, 'iat')
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) return false
  if (!(exp > now - T) || iat > now + T || exp - iat > 3600 || exp <= iat) return false
  if (own(claims, 'iss') !== issuer.issuer) return false
  const jti = own(claims, 'jti')
  const clientId = own(claims, 'client_id')
  if (typeof jti !== 'string' || jti === '' || typeof clientId !== 'string' || clientId === '') return false
  const scope = own(claims, 'scope')
  if (asConsentToken) {
    if (scope !== undefined && typeof scope !== 'string') return false
    if (Object.hasOwn(claims, 'supplier')) return false
  } else if (typeof scope !== 'string' || !scope.split(' ').includes(SCOPE)) return false
  const consumer = own(claims, 'consumer')
  if (!isObj(consumer) || own(consumer, 'authority') !== 'iso6523-actorid-upis' || own(consumer, 'ID') !== `0192:${CONSUMER}`) return false
  const details = own(claims, 'authorization_details')
  if (!Array.isArray(details)) return false
  return details.some((d) => {
    if (!isObj(d) || own(d, 'type') !== 'urn:altinn:consent') return false
    if (own(d, 'from') !== `urn:altinn:person:identifier-no:${personId}`) return false
    const to = own(d, 'to')
    if (!isObj(to) || own(to, 'ID') !== `0192:${CONSUMER}` || own(to, 'authority') !== 'iso6523-actorid-upis') return false
    const consented = instant(own(d, 'consented'))
    const validTo = instant(own(d, 'validTo'))
    if (consented === undefined || validTo === undefined || consented > now + T || validTo <= now) return false
    const rights = own(d, 'consentRights')
    if (!Array.isArray(rights)) return false
    return rights.some((r) => {
      if (!isObj(r)) return false
      const action = own(r, 'action')
      const resource = own(r, 'resource')
      if (!Array.isArray(action) || !action.includes('consent') || !Array.isArray(resource)) return false
      if (!resource.some((x) => isObj(x) && own(x, 'type') === 'urn:altinn:resource' && own(x, 'value') === RESOURCE)) return false
      const md = own(r, 'metadata') ?? own(r, 'metaData')
      if (!isObj(md)) return false
      const keys = Object.keys(md)
      return keys.length === 1 && keys[0]?.toLowerCase() === 'inntektsaar' && md[keys[0]] === year
    })
  })
}

// ---- Generators --------------------------------------------------------------------------------
// The first value is the valid one and comes up most often (15 to 1), so accepted requests occur in
// every run: with about twenty such fields, roughly one request in eight is fully valid.
const maybe = <T>(good: T, ...bad: unknown[]) =>
  fc.oneof({ weight: 15, arbitrary: fc.constant(good as unknown) }, { weight: 1, arbitrary: fc.constantFrom(...bad) })

const consentArb = (now: number) =>
  fc.record({
    type: maybe('urn:altinn:consent', 'urn:altinn:concent', 'urn:altinn:Consent', 42),
    id: maybe('f70542a8-d97a-40a8-9ef7-221603ffd5e6', 'not-a-uuid', '', 7),
    from: maybe(
      `urn:altinn:person:identifier-no:${PERSON}`,
      `urn:altinn:person:identifier-no:${OTHER}`,
      `URN:ALTINN:PERSON:IDENTIFIER-NO:${PERSON}`,
      `urn:altinn:organization:identifier-no:${CONSUMER}`,
      12,
    ),
    to: maybe(
      { authority: 'iso6523-actorid-upis', ID: `0192:${CONSUMER}` },
      { authority: 'iso6523-actorid-upis', ID: `0192:${TEST_IDENTITIES.otherOrgno}` },
      `urn:altinn:organization:identifier-no:${CONSUMER}`,
      { authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` },
    ),
    consented: maybe(
      new Date((now - 86_400) * 1000).toISOString(),
      new Date((now + 3600) * 1000).toISOString(),
      '2026-02-30T00:00:00Z',
      'yesterday',
    ),
    validTo: maybe(
      new Date((now + 86_400) * 1000).toISOString(),
      new Date((now - 1) * 1000).toISOString(),
      '2030-01-01T00:00:00',
      1_900_000_000,
    ),
    consentRights: fc.array(
      fc.record({
        action: maybe(['consent'], ['read'], [], 'consent'),
        resource: maybe(
          [{ type: 'urn:altinn:resource', value: RESOURCE }],
          [{ type: 'urn:altinn:resource', value: 'other' }],
          [{ id: 'urn:altinn:resource', value: RESOURCE }],
          [],
        ),
        metadata: maybe(
          { inntektsaar: '2024' },
          { INNTEKTSAAR: '2024' },
          { inntektsaar: '2023' },
          { inntektsaar: 2024 },
          { inntektsaar: '0x7E8' },
          {},
          null,
          { inntektsaar: '2024', formaal: 'x' },
        ),
      }),
      { minLength: 0, maxLength: 3 },
    ),
  })

const claimsArb = (now: number) =>
  fc.record({
    iss: maybe(issuer.issuer, 'https://maskinporten.no/', issuer.issuer.slice(0, -1), [issuer.issuer]),
    scope: maybe(SCOPE, `other ${SCOPE}`, 'other', '', [SCOPE], undefined),
    exp: maybe(now + 120, now - 11, now + 7200, 'soon', 1e20, undefined),
    iat: maybe(now, now + 60, now - 4000, null, undefined),
    jti: maybe('jti-1', '', 5, undefined),
    client_id: maybe('c-1', undefined, 9),
    consumer: maybe(
      { authority: 'iso6523-actorid-upis', ID: `0192:${CONSUMER}` },
      { authority: 'iso6523-actorid-upis', ID: CONSUMER },
      `0192:${CONSUMER}`,
      undefined,
    ),
    authorization_details: fc.oneof(
      { weight: 5, arbitrary: fc.array(consentArb(now), { minLength: 1, maxLength: 2 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, {}, ['x']) },
    ),
  })

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

describe.each(TARGETS.map((t) => t.name))('%s', (name) => {
  it('never answers 200 unless the reference check accepts, and never 5xx', async () => {
    const target = running.get(name) as RunningTarget
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(
        claimsArb(Math.floor(Date.now() / 1000)),
        maybe('2024', '2023') as fc.Arbitrary<string>,
        maybe(PERSON, OTHER) as fc.Arbitrary<string>,
        async (raw, year, personId) => {
          const claims = stripUndefined(raw as Record<string, unknown>)
          const token = signCompact({ alg: 'RS256', kid: issuer.signer.kid }, claims, issuer.signer.privateKey)
          const before = target.handled.length
          const res = await send(target.baseUrl, { path: `/income/${year}/${personId}`, headers: [['Authorization', `Bearer ${token}`]] })
          const now = Math.floor(Date.now() / 1000)
          expect(res.status).not.toBe(500)
          expect([200, 400, 401, 403]).toContain(res.status)
          if (res.status === 200) {
            accepted++
            expect(referenceAccepts(claims, year, personId, now)).toBe(true)
            expect(target.handled.length).toBe(before + 1)
          } else {
            expect(target.handled.length).toBe(before)
          }
        },
      ),
      { numRuns: RUNS },
    )
    // The generators must reach the accepting path, or the property above proves little.
    expect(accepted).toBeGreaterThan(0)
    if (process.env.FUZZ_REPORT) console.log(`${name}: ${accepted}/${RUNS} accepted`)
  })

  it('answers every mutated or random Authorization header with 400/401/403 and never runs the handler', async () => {
    const target = running.get(name) as RunningTarget
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 })
    const mutated = fc.tuple(fc.nat(), fc.constantFrom('drop', 'flip', 'insert', 'truncate', 'dup-dot'), printable).map(([pos, op, s]) => {
      const i = pos % validToken.length
      if (op === 'drop') return validToken.slice(0, i) + validToken.slice(i + 1)
      if (op === 'flip') return validToken.slice(0, i) + (validToken[i] === 'A' ? 'B' : 'A') + validToken.slice(i + 1)
      if (op === 'insert') return validToken.slice(0, i) + (s[0] ?? '.') + validToken.slice(i)
      if (op === 'truncate') return validToken.slice(0, i)
      return validToken.slice(0, i) + '.' + validToken.slice(i)
    })
    const header = fc.oneof(
      printable,
      printable.map((s) => `Bearer ${s}`),
      mutated.map((t) => `Bearer ${t}`),
      fc.constantFrom('Bearer', 'bearer  ', 'Basic x', `Bearer ${validToken}, Bearer ${validToken}`),
    )
    await fc.assert(
      fc.asyncProperty(header, async (value) => {
        const trimmed = value.trim()
        fc.pre(trimmed !== `Bearer ${validToken}` && trimmed.replace(/^bearer +/i, 'Bearer ') !== `Bearer ${validToken}`)
        const before = target.handled.length
        const res = await send(target.baseUrl, {
          path: `/income/2024/${PERSON}`,
          headers: trimmed === '' ? [] : [['Authorization', value]],
        })
        expect([400, 401, 403]).toContain(res.status)
        expect(target.handled.length).toBe(before)
      }),
      { numRuns: RUNS },
    )
  })
})

describe.each(TARGETS.map((t) => t.name))('%s, two-token mode', (name) => {
  it('never answers 200 unless the reference check accepts the consent token, and never 5xx', async () => {
    const target = runningTwo.get(name) as RunningTarget
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(
        claimsArb(Math.floor(Date.now() / 1000)),
        maybe('2024', '2023') as fc.Arbitrary<string>,
        maybe(PERSON, OTHER) as fc.Arbitrary<string>,
        async (raw, year, personId) => {
          const claims = stripUndefined(raw as Record<string, unknown>)
          const consent = signCompact({ alg: 'RS256', kid: issuer.signer.kid }, claims, issuer.signer.privateKey)
          const before = target.handled.length
          const res = await send(target.baseUrl, {
            path: `/income/${year}/${personId}`,
            headers: [
              ['Authorization', `Bearer ${accessToken}`],
              ['AltinnSamtykke', consent],
            ],
          })
          const now = Math.floor(Date.now() / 1000)
          expect([200, 400, 401, 403]).toContain(res.status)
          if (res.status === 200) {
            accepted++
            expect(referenceAccepts(claims, year, personId, now, true)).toBe(true)
            expect(target.handled.length).toBe(before + 1)
          } else {
            expect(target.handled.length).toBe(before)
          }
        },
      ),
      { numRuns: RUNS },
    )
    expect(accepted).toBeGreaterThan(0)
  })

  it('answers every mutated or random consent header with 400/401/403 and never runs the handler', async () => {
    const target = runningTwo.get(name) as RunningTarget
    const printable = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 300,
    })
    const mutated = fc
      .tuple(fc.nat(), fc.constantFrom('drop', 'flip', 'insert', 'truncate', 'dup-dot', 'swap-segments'), printable)
      .map(([pos, op, s]) => {
        const i = pos % validToken.length
        if (op === 'drop') return validToken.slice(0, i) + validToken.slice(i + 1)
        if (op === 'flip') return validToken.slice(0, i) + (validToken[i] === 'A' ? 'B' : 'A') + validToken.slice(i + 1)
        if (op === 'insert') return validToken.slice(0, i) + (s[0] ?? '.') + validToken.slice(i)
        if (op === 'truncate') return validToken.slice(0, Math.max(i, 1))
        if (op === 'swap-segments') return validToken.split('.').reverse().join('.')
        return validToken.slice(0, i) + '.' + validToken.slice(i)
      })
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(printable, mutated, fc.constantFrom(`${validToken}, ${validToken}`, `${validToken},x`, `Bearer ${validToken}`)),
        async (value) => {
          fc.pre(value.trim() !== validToken)
          const before = target.handled.length
          const res = await send(target.baseUrl, {
            path: `/income/2024/${PERSON}`,
            headers: [
              ['Authorization', `Bearer ${accessToken}`],
              ['AltinnSamtykke', value],
            ],
          })
          expect([400, 401, 403]).toContain(res.status)
          expect(target.handled.length).toBe(before)
        },
      ),
      { numRuns: RUNS },
    )
  })
})

it('the reference check accepts the baseline token (it is not vacuous)', () => {
  const now = Math.floor(Date.now() / 1000)
  const claims = maskinportenClaims({ iss: issuer.issuer, scope: SCOPE, now })
  const detail = {
    type: 'urn:altinn:consent',
    id: 'f70542a8-d97a-40a8-9ef7-221603ffd5e6',
    from: `urn:altinn:person:identifier-no:${PERSON}`,
    to: { authority: 'iso6523-actorid-upis', ID: `0192:${CONSUMER}` },
    consented: new Date((now - 60) * 1000).toISOString(),
    validTo: new Date((now + 3600) * 1000).toISOString(),
    consentRights: [
      { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: RESOURCE }], metadata: { inntektsaar: '2024' } },
    ],
  }
  expect(referenceAccepts({ ...claims, authorization_details: [detail] }, '2024', PERSON, now)).toBe(true)
  expect(referenceAccepts({ ...claims, authorization_details: [detail] }, '2023', PERSON, now)).toBe(false)
  // As a consent token the scope is not its business, but the consumer binding is.
  expect(referenceAccepts({ ...claims, scope: 'other', authorization_details: [detail] }, '2024', PERSON, now, true)).toBe(true)
  expect(referenceAccepts({ ...claims, scope: 'other', authorization_details: [detail] }, '2024', PERSON, now)).toBe(false)
})
