/**
 * Privacy scan of the example APIs (docs/security.md LOG-01..03): both examples, single-token and
 * two-token, are driven through acceptance and every kind of rejection (400, 401, 403, 404, 503)
 * with a marker fødselsnummer and real tokens, also in the query string; everything they log (the
 * Fastify and pino-http access logs, the audit events, error logs) and every response body is
 * scanned. The marker, any identity number, and any fragment of a token must never appear;
 * neither may a query-string `access_token`.
 *
 * The adapters' own logs, audit events and errors are scanned at the end of every catalogue run
 * (support/catalogue.ts), over all the paths the catalogue drives.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp as buildExpressApp } from '../../examples/express-income-api/src/app.js'
import { loadConfig as loadExpressConfig } from '../../examples/express-income-api/src/config.js'
import { buildApp as buildFastifyApp } from '../../examples/fastify-income-api/src/app.js'
import { loadConfig as loadFastifyConfig } from '../../examples/fastify-income-api/src/config.js'
import { send, type HeaderLine, type Seen } from './support/http.js'
import { identityNumbersIn, LeakIndex, SENT_VALUES, tokensIn } from './support/privacy.js'

/** The marker fødselsnummer: a synthetic 11-digit number used nowhere else in the repository. */
const MARKER_FNR = '31129956715'
const { consumerOrgno, otherOrgno } = TEST_IDENTITIES
const NUMBERS = [MARKER_FNR, TEST_IDENTITIES.personA, TEST_IDENTITIES.personB]

interface Running {
  readonly baseUrl: string
  readonly lines: string[]
  close(): Promise<void>
}

interface Example {
  readonly name: string
  start(env: Record<string, string>): Promise<Running>
}

const EXAMPLES: readonly Example[] = [
  {
    name: 'fastify-income-api',
    async start(env) {
      const lines: string[] = []
      const app = await buildFastifyApp(loadFastifyConfig(env), { logSink: { write: (line: string) => lines.push(line) } })
      await app.listen({ port: 0, host: '127.0.0.1' })
      return { baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, lines, close: () => app.close() }
    },
  },
  {
    name: 'express-income-api',
    async start(env) {
      const lines: string[] = []
      const app = buildExpressApp(loadExpressConfig(env), { logSink: { write: (line: string) => lines.push(line) } })
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s)).once('error', reject)
      })
      return {
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        lines,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      }
    },
  },
]

describe.each(EXAMPLES)('$name: logs and answers hold no identity number and no token', (example) => {
  let issuer: TestIssuer
  const apps: Running[] = []
  const answers: Seen[] = []
  let single: Running
  let two: Running
  let outage: Running

  const env = (extra: Record<string, string> = {}) => ({
    MASKINPORTEN_ISSUER: issuer.issuer,
    MASKINPORTEN_JWKS_URI: issuer.jwksUri,
    PORT: '0',
    LOG_LEVEL: 'info',
    ...extra,
  })
  const call = async (app: Running, path: string, headers: HeaderLine[], status: number, method: 'GET' | 'HEAD' = 'GET'): Promise<Seen> => {
    const seen = await send(app.baseUrl, { method, path, headers })
    answers.push(seen)
    expect(seen.status, `${method} ${path.slice(0, 60)}: ${seen.text.slice(0, 160)}`).toBe(status)
    return seen
  }
  const income = (scope = 'example:income', extra: Parameters<TestIssuer['consentToken']>[0] = {}) =>
    issuer.consentToken({
      scope,
      consent: { from: { person: MARKER_FNR }, resource: 'example-income', metadata: { inntektsaar: '2023' } },
      ...extra,
    })
  const bearer = (token: string): HeaderLine => ['Authorization', `Bearer ${token}`]

  beforeAll(async () => {
    issuer = await createTestIssuer()
    single = await example.start(env())
    two = await example.start(env({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke' }))
    // A key set that never answers: every data request is a 503 (logged by the frameworks as errors).
    outage = await example.start({ MASKINPORTEN_ISSUER: issuer.issuer, MASKINPORTEN_JWKS_URI: 'http://127.0.0.1:9/jwk', PORT: '0' })
    apps.push(single, two, outage)
  })
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()))
    await issuer?.close()
  })

  it('drives acceptance and every rejection with the marker fødselsnummer', async () => {
    const path = `/income/2023/${MARKER_FNR}`
    const good = await income()
    // Accepted, on every route.
    await call(single, path, [bearer(good)], 200)
    await call(single, `${path}?note=${MARKER_FNR}`, [bearer(good)], 200)
    await call(single, path, [bearer(good)], 200, 'HEAD')
    const period = await issuer.consentToken({
      scope: 'example:income',
      consent: { from: { person: MARKER_FNR }, resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
    })
    await call(single, `/income-period/${MARKER_FNR}?from=2024-02&to=2024-03`, [bearer(period)], 200)
    const company = await issuer.consentToken({
      scope: 'example:accounts',
      consent: { from: { organization: otherOrgno }, resource: 'example-company-accounts' },
    })
    await call(single, `/company/${otherOrgno}/accounts`, [bearer(company)], 200)
    const loan = await issuer.consentToken({
      scope: 'example:loan-check',
      consent: { from: { person: MARKER_FNR }, resource: 'example-loan-check' },
    })
    await call(single, `/loan-check/${MARKER_FNR}`, [bearer(loan)], 200)
    // 403: reuse, another year, another person, a missing scope, another consumer's consent.
    await call(single, `/loan-check/${MARKER_FNR}`, [bearer(loan)], 403)
    await call(single, `/income/2022/${MARKER_FNR}`, [bearer(good)], 403)
    await call(single, `/income/2023/${TEST_IDENTITIES.personB}`, [bearer(good)], 403)
    await call(single, path, [bearer(await income('example:accounts'))], 403)
    await call(single, path, [bearer(await income('example:income', { consumer: otherOrgno }))], 200)
    await call(
      single,
      path,
      [
        bearer(
          await issuer.consentToken({
            scope: 'example:income',
            consent: { from: { person: MARKER_FNR }, to: otherOrgno, resource: 'example-income', metadata: { inntektsaar: '2023' } },
          }),
        ),
      ],
      403,
    )
    // 401: none, malformed, expired, forged, and a token whose claims are broken after the signature.
    await call(single, path, [], 401)
    await call(single, path, [['Authorization', `Bearer ${good.slice(0, -5)}`]], 401)
    const now = Math.floor(Date.now() / 1000)
    await call(single, path, [bearer(await income('example:income', { iat: now - 600, exp: now - 300 }))], 401)
    const [h, , s] = good.split('.') as [string, string, string]
    const forgedPayload = Buffer.from(JSON.stringify({ iss: issuer.issuer, from: MARKER_FNR })).toString('base64url')
    await call(single, path, [['Authorization', `Bearer ${h}.${forgedPayload}.${s}`]], 401)
    await call(single, path, [bearer(await income('example:income', { extra: { consumer: { authority: 'x', ID: MARKER_FNR } } }))], 401)
    // 400: two Authorization lines, a token in the URL beside the header, a malformed subject.
    await call(single, path, [bearer(good), bearer(good)], 400)
    await call(single, `${path}?access_token=${good}`, [bearer(good)], 400)
    await call(single, `/income/2023/${MARKER_FNR}0`, [bearer(good)], 400)
    // 401: a token only in the query string (not accepted there).
    await call(single, `${path}?access_token=${good}`, [], 401)
    // 404 with the marker in the path and a token in the query.
    await call(single, `/nothing/${MARKER_FNR}?access_token=${good}`, [], 404)
    // Two-token mode: accepted, consent missing, consent in the query string, duplicated, legacy-shaped garbage.
    const access = await issuer.accessToken({ scope: 'example:income' })
    const consent = await issuer.consentToken({
      consent: { from: { person: MARKER_FNR }, resource: 'example-income', metadata: { inntektsaar: '2023' } },
    })
    await call(two, path, [bearer(access), ['AltinnSamtykke', consent]], 200)
    await call(two, path, [bearer(access)], 403)
    await call(two, `${path}?AltinnSamtykke=${consent}`, [bearer(access)], 403)
    await call(two, path, [bearer(access), ['AltinnSamtykke', consent], ['altinnsamtykke', consent]], 400)
    await call(two, path, [bearer(access), ['AltinnSamtykke', consent.split('.').reverse().join('.')]], 401)
    // 503: the key set cannot be had.
    await call(outage, path, [bearer(good)], 503)
    await call(outage, `${path}?access_token=${good}`, [], 401)
  })

  it('no refusal echoes an identity number or a token', () => {
    const index = new LeakIndex(tokensIn(SENT_VALUES))
    const refusals = answers.filter((a) => a.status >= 400)
    expect(refusals.length).toBeGreaterThan(15)
    // (Accepted answers carry the subject's own data, which is what the consent released.)
    for (const seen of refusals) {
      expect(identityNumbersIn(seen.text, NUMBERS)).toEqual([])
      expect(index.find(seen.text)).toEqual([])
      expect(index.find(JSON.stringify(seen.headers))).toEqual([])
    }
  })

  it('LOG-01 no log line holds an identity number or a token in the Authorization or consent header', () => {
    const text = apps.flatMap((a) => a.lines).join('\n')
    expect(apps.every((a) => a.lines.length > 0)).toBe(true)
    expect(identityNumbersIn(text, NUMBERS)).toEqual([])
    // Tokens that travelled in headers only (a query-string token is LOG-02, below).
    const inUrls = new Set(tokensIn(SENT_VALUES.filter((v) => v.startsWith('/'))))
    const headerOnly = tokensIn(SENT_VALUES.filter((v) => !v.startsWith('/'))).filter((t) => !inUrls.has(t))
    expect(headerOnly.length).toBeGreaterThanOrEqual(10)
    expect(new LeakIndex(headerOnly, [...inUrls]).find(text)).toEqual([])
    // No header of that name is ever logged (redacted or not).
    expect(text).not.toMatch(/"(authorization|altinnsamtykke)"\s*:/i)
  })

  // The access log writes the request URL with identity numbers masked, but with its query string,
  // so a token sent as ?access_token= (refused by the guard) is written to the log in clear.
  it(`LOG-02 a token in the query string never reaches the access log`, () => {
    const text = apps.flatMap((a) => a.lines).join('\n')
    expect(text).toContain('/income/2023/***********')
    expect(new LeakIndex(tokensIn(SENT_VALUES)).find(text)).toEqual([])
    expect(text).not.toMatch(/access_token=[A-Za-z0-9_-]{20}/)
  })

  it('LOG-03 the audit record of an acceptance: consent id, jti, consumer, resource, decision, time, subject only as a keyed hash', () => {
    const records = single.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === 'consent_guard.decision')
    const accepted = records.filter((r) => r.decision === 'accepted')
    expect(accepted.length).toBeGreaterThanOrEqual(5)
    for (const r of accepted) {
      expect(r).toMatchObject({
        consumer: expect.stringMatching(/^\d{9}$/),
        resource: expect.any(String),
        jti: expect.any(String),
        clientId: expect.any(String),
        consentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      })
      expect(typeof r.time).toBe('number')
      if (r.subjectType === 'person') expect(r.subjectRef).toMatch(/^hmac:[A-Za-z0-9_-]{22}$/)
    }
    // One person, one reference (correlatable by whoever holds the key), never the number itself.
    const refs = new Set(accepted.filter((r) => r.subjectType === 'person').map((r) => r.subjectRef))
    expect(refs.size).toBe(1)
    const rejected = records.filter((r) => r.decision === 'rejected')
    expect(rejected.map((r) => r.code)).toEqual(
      expect.arrayContaining([
        'consent_already_used',
        'consent_metadata_mismatch',
        'consent_subject_mismatch',
        'scope_missing',
        'credentials_missing',
        'token_expired',
      ]),
    )
    expect(consumerOrgno).toMatch(/^\d{9}$/)
  })

  it('LOG-03 the audit record names the metadata the consent was used for', () => {
    const accepted = single.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.event === 'consent_guard.decision' && r.decision === 'accepted' && r.resource === 'example-income')
    expect(accepted.length).toBeGreaterThan(0)
    for (const r of accepted) expect(r.metadata).toEqual({ inntektsaar: '2023' })
  })
})

describe('the scanner is not blind', () => {
  it('finds a planted payload segment, a signature fragment and an identity number', () => {
    const token =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6Im1wLTEifQ.eyJzY29wZSI6ImV4YW1wbGU6aW5jb21lIiwiaXNzIjoiaHR0cHM6Ly9tYXNraW5wb3J0ZW4ubm8vIiwiY29uc3VtZXIiOnt9fQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU'
    const [, payload, signature] = token.split('.') as [string, string, string]
    const index = new LeakIndex(tokensIn([`Bearer ${token}`]))
    expect(index.find(`{"msg":"x","p":"${payload}"}`)).toHaveLength(1)
    expect(index.find(`url=/x?access_token=${token}`)).not.toEqual([])
    expect(index.find(`sig ${signature.slice(5, 60)} end`)).toHaveLength(1)
    expect(index.find('{"jti":"jti-1","consentId":"6f1f1d1c-8a01-4a5e-9d43-0d3f6c2e6a0b"}')).toEqual([])
    expect(identityNumbersIn(`/income/2023/${MARKER_FNR}`, NUMBERS)).toEqual([MARKER_FNR])
    expect(identityNumbersIn('/income/2023/***********', NUMBERS)).toEqual([])
    expect(identityNumbersIn(`time 1${MARKER_FNR}`, NUMBERS)).toEqual([])
  })
})
