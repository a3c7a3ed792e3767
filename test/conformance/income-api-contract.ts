/**
 * The HTTP contract both example servers (examples/fastify-income-api, examples/express-income-api)
 * promise, as one vitest suite each example's tests call with its own `buildApp`. Also checks that
 * no log line, access log included, carries an identity number or a token.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createAltinn2Issuer, createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { describeWithRedis, startRedisServer, type RedisServer } from '../../packages/redis/test/support/redis-server.js'
import {
  startCluster,
  startSentinelSetup,
  type ClusterSetup,
  type SentinelSetup,
} from '../../packages/redis/test/support/redis-topology.js'
import {
  describeWithPostgres,
  startPostgresServer,
  type PostgresServer,
} from '../../packages/disclosure-log/test/support/postgres-server.js'
import { createDisclosureLog } from '@consent-guard/disclosure-log'
import { main as cli } from '../../packages/testkit/src/cli/main.js'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const { personA, personB, consumerOrgno, otherOrgno } = TEST_IDENTITIES

/** Collects log lines. */
export class LogCollector {
  readonly lines: string[] = []
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((line) => line !== ''))
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

export interface RunningApp {
  readonly baseUrl: string
  close(): Promise<void>
}

export interface ExampleUnderTest {
  /** Example directory name under examples/. */
  readonly name: string
  /** Builds the app from an environment (through the example's own loadConfig) and listens on loopback. */
  start(env: Record<string, string>, logSink: LogCollector): Promise<RunningApp>
  /** The example's loadConfig. */
  loadConfig(env: Record<string, string | undefined>): unknown
  /** The example's scripts/dev-issuer.ts (the README's local walk-through). */
  startDevIssuer(port: number): Promise<{
    issuer: { close(): Promise<void> }
    env: Record<string, string>
    tokens: Record<'INCOME_TOKEN' | 'PERIOD_TOKEN' | 'COMPANY_TOKEN' | 'LOAN_TOKEN', string>
  }>
}

const income2023 = { resource: 'example-income', metadata: { inntektsaar: '2023' } }
const periodConsent = { resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } }
const orgConsent = { from: { organization: otherOrgno }, resource: 'example-company-accounts' }

export function defineIncomeApiContract(example: ExampleUnderTest): void {
  let issuer: TestIssuer
  const logs = new LogCollector()
  const tokens: string[] = []
  const apps: RunningApp[] = []
  const env = (extra: Record<string, string> = {}) => ({
    MASKINPORTEN_ISSUER: issuer.issuer,
    MASKINPORTEN_JWKS_URI: issuer.jwksUri,
    PORT: '0',
    ...extra,
  })

  beforeAll(async () => {
    issuer = await createTestIssuer()
  })
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
    await issuer.close()
  })

  async function start(extra?: Record<string, string>): Promise<supertest.Agent> {
    const app = await example.start(env(extra), logs)
    apps.push(app)
    return supertest(app.baseUrl)
  }
  const remember = (token: string): string => {
    tokens.push(token)
    return token
  }
  const consentToken = async (claims: Parameters<TestIssuer['consentToken']>[0]) => remember(await issuer.consentToken(claims))
  const problemCode = (text: string): unknown => (JSON.parse(text) as { code?: unknown }).code

  describe(`${example.name}: HTTP contract`, () => {
    let api: supertest.Agent
    beforeAll(async () => {
      api = await start()
    })

    it('GET /health answers 200 without credentials', async () => {
      const res = await api.get('/health')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ status: 'ok' })
    })

    it('GET /income/:year/:personId answers income for the consented person and year', async () => {
      const consentId = crypto.randomUUID()
      const token = await consentToken({ scope: 'example:income', consent: { ...income2023, id: consentId } })
      const res = await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)
      expect(res.status).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.body).toMatchObject({ personId: personA, year: '2023', consentId, income: { currency: 'NOK' } })
      const income = (res.body as { income: { wages: number; capitalIncome: number; totalIncome: number } }).income
      expect(income.totalIncome).toBe(income.wages + income.capitalIncome)
    })

    it('GET /income/:year/:personId refuses another year, another person, a missing scope and no token', async () => {
      const token = await consentToken({ scope: 'example:income', consent: income2023 })
      const year = await api.get(`/income/2022/${personA}`).set('authorization', `Bearer ${token}`)
      expect([year.status, problemCode(year.text)]).toEqual([403, 'consent_metadata_mismatch'])
      const person = await api.get(`/income/2023/${personB}`).set('authorization', `Bearer ${token}`)
      expect([person.status, problemCode(person.text)]).toEqual([403, 'consent_subject_mismatch'])
      const scope = await api
        .get(`/income/2023/${personA}`)
        .set('authorization', `Bearer ${await consentToken({ scope: 'example:accounts', consent: income2023 })}`)
      expect([scope.status, problemCode(scope.text)]).toEqual([403, 'scope_missing'])
      expect(scope.headers['www-authenticate']).toContain('scope="example:income"')
      const none = await api.get(`/income/2023/${personA}`)
      expect([none.status, problemCode(none.text)]).toEqual([401, 'credentials_missing'])
      expect(none.headers['www-authenticate']).toBe('Bearer realm="consent-guard"')
      for (const res of [year, person, scope, none]) expect(res.headers['cache-control']).toBe('no-store')
    })

    it('GET /income/:year/:personId accepts a consent migrated from Altinn 2 (ex_4629_2, lower-cased keys), in single-token mode', async () => {
      const consentId = crypto.randomUUID()
      const migrated = await consentToken({
        scope: 'example:income',
        consent: { id: consentId, from: { person: personA }, resource: 'ex_4629_2', metadata: { inntektsaar: '2016' } },
      })
      const ok = await api.get(`/income/2016/${personA}`).set('authorization', `Bearer ${migrated}`)
      expect([ok.status, ok.body]).toMatchObject([200, { personId: personA, year: '2016', consentId }])
      const otherYear = await api.get(`/income/2017/${personA}`).set('authorization', `Bearer ${migrated}`)
      expect([otherYear.status, problemCode(otherYear.text)]).toEqual([403, 'consent_metadata_mismatch'])
      const upper = await consentToken({
        scope: 'example:income',
        consent: { from: { person: personA }, resource: 'EX_4629_2', metadata: { inntektsaar: '2016' } },
      })
      const refused = await api.get(`/income/2016/${personA}`).set('authorization', `Bearer ${upper}`)
      expect([refused.status, problemCode(refused.text)]).toEqual([403, 'consent_resource_mismatch'])
    })

    it('GET /income-period/:personId answers months inside the consented period only', async () => {
      const token = await consentToken({ scope: 'example:income', consent: periodConsent })
      const ok = await api.get(`/income-period/${personA}?from=2024-03&to=2024-05`).set('authorization', `Bearer ${token}`)
      expect(ok.status).toBe(200)
      expect((ok.body as { income: { months: { month: string }[] } }).income.months.map((m) => m.month)).toEqual([
        '2024-03',
        '2024-04',
        '2024-05',
      ])
      const outside = await api.get(`/income-period/${personA}?from=2024-11&to=2025-01`).set('authorization', `Bearer ${token}`)
      expect([outside.status, problemCode(outside.text)]).toEqual([403, 'consent_metadata_mismatch'])
      const missing = await api.get(`/income-period/${personA}?from=2024-03`).set('authorization', `Bearer ${token}`)
      expect([missing.status, problemCode(missing.text)]).toEqual([400, 'request_parameter_missing'])
    })

    it('GET /company/:orgno/accounts answers for the consenting organisation', async () => {
      const token = await consentToken({ scope: 'example:accounts', consent: orgConsent })
      const ok = await api.get(`/company/${otherOrgno}/accounts`).set('authorization', `Bearer ${token}`)
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({ orgno: otherOrgno, accounts: { currency: 'NOK' } })
      const person = await api.get(`/company/${personA}/accounts`).set('authorization', `Bearer ${token}`)
      expect([person.status, problemCode(person.text)]).toEqual([400, 'subject_invalid'])
    })

    it('GET /loan-check/:personId accepts a one-time consent once', async () => {
      const token = await consentToken({ scope: 'example:loan-check', consent: { resource: 'example-loan-check' } })
      const first = await api.get(`/loan-check/${personA}`).set('authorization', `Bearer ${token}`)
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ personId: personA, eligible: expect.any(Boolean) })
      const second = await api.get(`/loan-check/${personA}`).set('authorization', `Bearer ${token}`)
      expect([second.status, problemCode(second.text)]).toEqual([403, 'consent_already_used'])
    })

    it('answers 404 without repeating the URL', async () => {
      const res = await api.get(`/nothing/${personA}`)
      expect(res.status).toBe(404)
      expect(res.text).not.toContain(personA)
    })
  })

  describe(`${example.name}: configuration`, () => {
    it('CONSENT_TOKEN_HEADER switches to two-token mode', async () => {
      const api = await start({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke' })
      const access = remember(await issuer.accessToken({ scope: 'example:income' }))
      const consent = await consentToken({ consent: income2023 })
      const ok = await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${access}`).set('AltinnSamtykke', consent)
      expect(ok.status).toBe(200)
      const missing = await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${access}`)
      expect([missing.status, problemCode(missing.text)]).toEqual([403, 'consent_missing'])
    })

    it('ALLOWED_CONSUMERS limits the consumers of every data route', async () => {
      const api = await start({ ALLOWED_CONSUMERS: ` ${otherOrgno} ` })
      const refused = await api
        .get(`/income/2023/${personA}`)
        .set('authorization', `Bearer ${await consentToken({ scope: 'example:income', consent: income2023 })}`)
      expect([refused.status, problemCode(refused.text)]).toEqual([403, 'consumer_not_allowed'])
      const allowed = await api
        .get(`/income/2023/${personA}`)
        .set('authorization', `Bearer ${await consentToken({ scope: 'example:income', consumer: otherOrgno, consent: income2023 })}`)
      expect(allowed.status).toBe(200)
    })

    it('loadConfig reads defaults and rejects bad values, naming the variable', () => {
      // The guard's variables are read by core's optionsFromEnv (config.guard), the store's by the Redis package's
      // redisStoreOptionsFromEnv (config.redis), the server's by the example.
      expect(example.loadConfig({})).toEqual({
        guard: { maskinporten: 'test' },
        port: 3000,
        host: '127.0.0.1',
        allowedConsumers: undefined,
        logLevel: 'info',
        redis: undefined,
        metrics: false,
        disclosureLogUrl: undefined,
      })
      expect(
        example.loadConfig({
          CONSENT_TOKEN_HEADER: 'AltinnSamtykke',
          ALTINN2_ENV: 'tt02',
          REDIS_URL: 'redis://127.0.0.1:6380',
          METRICS: '1',
        }),
      ).toMatchObject({
        guard: { altinn2: 'tt02', consentHeader: 'AltinnSamtykke' },
        redis: { url: 'redis://127.0.0.1:6380' },
        metrics: true,
      })
      expect(() => example.loadConfig({ METRICS: 'yes' })).toThrow(/METRICS/)
      expect(() => example.loadConfig({ CORRELATION_HEADER: 'bad header' })).toThrow(/CORRELATION_HEADER/)
      expect(() => example.loadConfig({ ALTINN2_ENV: 'tt02' })).toThrow(/CONSENT_TOKEN_HEADER/)
      expect(() => example.loadConfig({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke', ALTINN2_ENV: 'test' })).toThrow(/ALTINN2_ENV/)
      expect(() => example.loadConfig({ CONSENT_TOKEN_HEADER: 'x', ALTINN2_ENV: 'tt02', ALTINN2_JWKS_URI: 'https://x/jwk' })).toThrow(
        /either/,
      )
      expect(() => example.loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/)
      expect(example.loadConfig({ DISCLOSURE_LOG_URL: 'postgres://db:5432/log' })).toMatchObject({
        disclosureLogUrl: 'postgres://db:5432/log',
      })
      expect(() => example.loadConfig({ DISCLOSURE_LOG_URL: 'mysql://db/log' })).toThrow(/DISCLOSURE_LOG_URL/)
      expect(
        example.loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_MIN_REPLICAS: '1' }),
      ).toMatchObject({
        redis: {
          sentinels: [
            { host: '10.0.0.1', port: 26379 },
            { host: '10.0.0.2', port: 26379 },
          ],
          name: 'mymaster',
          minReplicas: 1,
        },
      })
      expect(example.loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:6379,[::1]:7000' })).toMatchObject({
        redis: {
          nodes: [
            { host: 'redis-0', port: 6379 },
            { host: '::1', port: 7000 },
          ],
        },
      })
      expect(() => example.loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME/)
      expect(() => example.loadConfig({ REDIS_SENTINEL_NAME: 'mymaster' })).toThrow(/REDIS_SENTINELS/)
      expect(() => example.loadConfig({ REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_NAME: 'm' })).toThrow(/REDIS_SENTINELS/)
      expect(() => example.loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://a:1' })).toThrow(/only one of/)
      expect(() => example.loadConfig({ REDIS_URL: 'redis://a:1', REDIS_MIN_REPLICAS: 'one' })).toThrow(/REDIS_MIN_REPLICAS/)
      expect(() => example.loadConfig({ REDIS_MIN_REPLICAS: '1' })).toThrow(/REDIS_MIN_REPLICAS needs/)
      expect(example.loadConfig({ MASKINPORTEN_ENV: 'prod', ALLOWED_CONSUMERS: `${consumerOrgno},${otherOrgno}` })).toMatchObject({
        guard: { maskinporten: 'prod' },
        allowedConsumers: [consumerOrgno, otherOrgno],
      })
      expect(() => example.loadConfig({ MASKINPORTEN_ENV: 'staging' })).toThrow(/MASKINPORTEN_ENV/)
      expect(() => example.loadConfig({ MASKINPORTEN_ISSUER: 'http://127.0.0.1:1/' })).toThrow(/MASKINPORTEN_JWKS_URI/)
      expect(() => example.loadConfig({ MASKINPORTEN_ENV: 'test', MASKINPORTEN_ISSUER: 'x', MASKINPORTEN_JWKS_URI: 'y' })).toThrow(/either/)
      expect(() => example.loadConfig({ ALLOWED_CONSUMERS: '12345' })).toThrow(/ALLOWED_CONSUMERS/)
      expect(() => example.loadConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    })
  })

  describe(`${example.name}: legacy Altinn 2 consents`, () => {
    it('ALTINN2_JWKS_URI accepts an Altinn 2 token in two-token mode; without it the token is refused', async () => {
      const altinn2 = await createAltinn2Issuer()
      try {
        const legacyOn = await start({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke', ALTINN2_JWKS_URI: altinn2.jwksUri })
        const legacyOff = await start({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke' })
        const access = remember(await issuer.accessToken({ scope: 'example:income' }))
        const legacy = remember(
          altinn2.token({ services: [{ serviceCode: '4629', serviceEdition: '2', metadata: { inntektsaar: '2016' } }] }),
        )
        const ok = await legacyOn.get(`/income/2016/${personA}`).set('authorization', `Bearer ${access}`).set('AltinnSamtykke', legacy)
        expect(ok.status).toBe(200)
        expect(ok.body).toMatchObject({ personId: personA, year: '2016' })
        const otherYear = await legacyOn
          .get(`/income/2017/${personA}`)
          .set('authorization', `Bearer ${access}`)
          .set('AltinnSamtykke', legacy)
        expect([otherYear.status, problemCode(otherYear.text)]).toEqual([403, 'consent_metadata_mismatch'])
        const off = await legacyOff.get(`/income/2016/${personA}`).set('authorization', `Bearer ${access}`).set('AltinnSamtykke', legacy)
        expect([off.status, problemCode(off.text)]).toEqual([401, 'legacy_token_not_accepted'])
        const migrated = await consentToken({ consent: { resource: 'ex_4629_2', metadata: { inntektsaar: '2016' } } })
        const viaMigrated = await legacyOn
          .get(`/income/2016/${personA}`)
          .set('authorization', `Bearer ${access}`)
          .set('AltinnSamtykke', migrated)
        expect(viaMigrated.status).toBe(200)
      } finally {
        await altinn2.close()
      }
    })
  })

  describeWithRedis(`${example.name}: REDIS_URL`, () => {
    let redis: RedisServer
    beforeAll(async () => {
      redis = await startRedisServer()
    })
    afterAll(async () => {
      await redis?.stop()
    })
    it('two instances on one Redis accept a one-time consent once between them', async () => {
      const first = await start({ REDIS_URL: redis.url })
      const second = await start({ REDIS_URL: redis.url })
      const token = await consentToken({ scope: 'example:loan-check', consent: { resource: 'example-loan-check' } })
      const results = await Promise.all(
        [first, second, first, second].map((api) => api.get(`/loan-check/${personA}`).set('authorization', `Bearer ${token}`)),
      )
      expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403, 403])
      for (const r of results.filter((x) => x.status === 403)) expect(problemCode(r.text)).toBe('consent_already_used')
    })
  })

  describeWithPostgres(`${example.name}: DISCLOSURE_LOG_URL`, () => {
    let postgres: PostgresServer
    let url: string
    const log = () => createDisclosureLog({ connectionString: url })
    beforeAll(async () => {
      postgres = await startPostgresServer()
      url = await postgres.createDatabase(example.name.replace(/-/g, '_'))
    })
    afterAll(async () => {
      await postgres?.stop()
    })

    it('records one row per 2xx guarded answer and none for refusals; the CLI prints them', async () => {
      const api = await start({ DISCLOSURE_LOG_URL: url })
      const get = (path: string, token?: string) =>
        token === undefined ? api.get(path) : api.get(path).set('authorization', `Bearer ${token}`)
      const income = await get(`/income/2023/${personA}`, await consentToken({ scope: 'example:income', consent: income2023 }))
      expect(income.status).toBe(200)
      const company = await get(`/company/${otherOrgno}/accounts`, await consentToken({ scope: 'example:accounts', consent: orgConsent }))
      expect(company.status).toBe(200)
      expect((await get(`/income/2023/${personB}`, await consentToken({ scope: 'example:income', consent: income2023 }))).status).toBe(403)
      expect((await get(`/income/2023/${personA}`)).status).toBe(401)
      expect((await get('/health')).status).toBe(200)

      const reader = log()
      try {
        const rows = await reader.disclosuresFor(personA)
        expect(rows.map((r) => [r.consentId, r.resource, r.status, r.route])).toEqual([
          [income.body.consentId, 'example-income', 200, '/income/:year/:personId'],
        ])
        expect(await reader.disclosuresFor(personB)).toEqual([])
        expect((await reader.disclosuresFor(otherOrgno)).map((r) => r.consentId)).toEqual([company.body.consentId])
      } finally {
        await reader.close()
      }

      let out = ''
      const code = await cli(['disclosures', '--db', url, '--subject', personA, '--json'], {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (out += t) },
      })
      expect(code).toBe(0)
      expect(
        out
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { consentId: string }).consentId),
      ).toEqual([income.body.consentId])
    })

    it('answers 503 and no data while the database is stopped', async () => {
      const api = await start({ DISCLOSURE_LOG_URL: url })
      const token = await consentToken({ scope: 'example:income', consent: income2023 })
      expect((await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)).status).toBe(200)
      await postgres.halt()
      try {
        const res = await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)
        expect([res.status, problemCode(res.text)]).toEqual([503, 'disclosure_log_unavailable'])
        expect(res.text).not.toMatch(/income"|wages|consentId/)
      } finally {
        await postgres.restart()
      }
    })

    it('without DISCLOSURE_LOG_URL records nothing and answers as before', async () => {
      const reader = log()
      try {
        const before = (await reader.disclosuresFor(personA)).length
        const api = await start()
        const token = await consentToken({ scope: 'example:income', consent: income2023 })
        expect((await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)).status).toBe(200)
        expect(await reader.disclosuresFor(personA)).toHaveLength(before)
      } finally {
        await reader.close()
      }
    })
  })

  describeWithRedis(`${example.name}: REDIS_SENTINELS, REDIS_CLUSTER_NODES, REDIS_MIN_REPLICAS`, () => {
    let sentinel: SentinelSetup
    let cluster: ClusterSetup
    beforeAll(async () => {
      const [s, c] = await Promise.allSettled([startSentinelSetup({ replicas: 1, sentinels: 3 }), startCluster({ primaries: 3 })])
      if (s.status === 'fulfilled') sentinel = s.value
      if (c.status === 'fulfilled') cluster = c.value
      // One failed: afterAll stops the other; report the failure.
      if (s.status === 'rejected') throw s.reason
      if (c.status === 'rejected') throw c.reason
    }, 90_000)
    afterAll(async () => {
      await Promise.all([sentinel?.stop(), cluster?.stop()])
    })
    const loanToken = () => consentToken({ scope: 'example:loan-check', consent: { resource: 'example-loan-check' } })
    const loan = (api: supertest.Agent, token: string) => api.get(`/loan-check/${personA}`).set('authorization', `Bearer ${token}`)
    /** Asks until the answer is not 503 (store connecting, failover); returns every status seen. */
    const untilAnswered = async (api: supertest.Agent, token: string, timeoutMs = 20_000): Promise<number[]> => {
      const statuses: number[] = []
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const res = await loan(api, token)
        statuses.push(res.status)
        if (res.status !== 503 || Date.now() > deadline) return statuses
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    /**
     * A race of 20 requests with one consent over two instances: exactly one 200. (On a loaded
     * machine the winner's replica confirmation may time out: then it gets 503 like the others
     * that did not win, the mark is taken back, and the consent is accepted once afterwards.)
     */
    const race = async (first: supertest.Agent, second: supertest.Agent): Promise<void> => {
      for (const api of [first, second]) expect((await untilAnswered(api, await loanToken())).at(-1)).toBe(200)
      const token = await loanToken()
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => loan(i % 2 === 0 ? first : second, token)))
      const accepted = results.filter((r) => r.status === 200).length
      expect(accepted).toBeLessThanOrEqual(1)
      for (const r of results.filter((x) => x.status !== 200)) {
        expect([
          [403, 'consent_already_used'],
          [503, 'store_unavailable'],
        ]).toContainEqual([r.status, problemCode(r.text)])
      }
      if (accepted === 0) expect((await untilAnswered(first, token)).at(-1)).toBe(200)
      expect((await loan(second, token)).status).toBe(403)
    }

    it('REDIS_CLUSTER_NODES with REDIS_MIN_REPLICAS=1: of 20 concurrent requests over two instances, exactly one gets 200', async () => {
      const nodes = cluster.addresses.map((n) => `${n.host}:${n.port}`)
      const env = { REDIS_CLUSTER_NODES: nodes.slice(0, 3).join(','), REDIS_MIN_REPLICAS: '1' }
      await race(await start(env), await start({ ...env, REDIS_CLUSTER_NODES: nodes.slice(3).join(',') }))
    })

    it('REDIS_SENTINELS with REDIS_MIN_REPLICAS=1: one 200 in a race; after the primary is killed and Sentinel fails over, the retry gets 403', async () => {
      const env = {
        REDIS_SENTINELS: sentinel.sentinelAddresses.map((n) => `${n.host}:${n.port}`).join(','),
        REDIS_SENTINEL_NAME: sentinel.name,
        REDIS_MIN_REPLICAS: '1',
      }
      const first = await start(env)
      const second = await start(env)
      await race(first, second)
      const token = await loanToken()
      expect((await untilAnswered(first, token)).at(-1)).toBe(200)
      const primary = await sentinel.currentPrimary()
      await primary.kill()
      await sentinel.waitForFailover(primary.port)
      for (const api of [second, first]) {
        const statuses = await untilAnswered(api, token)
        expect(statuses.at(-1)).toBe(403)
        expect(statuses.slice(0, -1).every((s) => s === 503)).toBe(true)
      }
      // No replica is left to confirm a mark: a new one-time consent gets 503, never an unconfirmed 200.
      expect((await loan(first, await loanToken())).status).toBe(503)
    })
  })

  describe(`${example.name}: README walk-through`, () => {
    it("the dev issuer's tokens are accepted on the README's curl lines", async () => {
      const dev = await example.startDevIssuer(0)
      try {
        const app = await example.start({ ...dev.env, PORT: '0' }, logs)
        apps.push(app)
        const api = supertest(app.baseUrl)
        tokens.push(...Object.values(dev.tokens))
        const get = (path: string, token: string) => api.get(path).set('authorization', `Bearer ${token}`)
        expect((await get(`/income/2023/${personA}`, dev.tokens.INCOME_TOKEN)).status).toBe(200)
        expect((await get(`/income-period/${personA}?from=2024-03&to=2024-05`, dev.tokens.PERIOD_TOKEN)).status).toBe(200)
        expect((await get(`/company/${otherOrgno}/accounts`, dev.tokens.COMPANY_TOKEN)).status).toBe(200)
        expect((await get(`/loan-check/${personA}`, dev.tokens.LOAN_TOKEN)).status).toBe(200)
        expect((await get(`/loan-check/${personA}`, dev.tokens.LOAN_TOKEN)).status).toBe(403)
        expect((await get(`/income/2022/${personA}`, dev.tokens.INCOME_TOKEN)).status).toBe(403)
      } finally {
        await dev.issuer.close()
      }
    })
  })

  describe(`${example.name}: operations`, () => {
    it('GET /ready answers 503 with the cause while the key endpoint is down, then 200 without any token', async () => {
      const down = await createTestIssuer()
      try {
        down.server.setBehaviour('down')
        const app = await example.start({ MASKINPORTEN_ISSUER: down.issuer, MASKINPORTEN_JWKS_URI: down.jwksUri, PORT: '0' }, logs)
        apps.push(app)
        const api = supertest(app.baseUrl)
        const notReady = await api.get('/ready')
        expect(notReady.status).toBe(503)
        expect(notReady.headers['cache-control']).toBe('no-store')
        expect(notReady.body).toMatchObject({
          status: 'unavailable',
          ready: false,
          keySets: [{ keySet: 'maskinporten', lastFailure: { cause: 'network' } }],
        })
        down.server.setBehaviour('ok')
        // A probe drives at most one fetch a second: poll as a platform would.
        let res = await api.get('/ready')
        for (let i = 0; i < 30 && res.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 200))
          res = await api.get('/ready')
        }
        expect(res.status).toBe(200)
        expect(res.body).toMatchObject({ status: 'fresh', ready: true })
      } finally {
        await down.close()
      }
    })

    it('GET /metrics (METRICS=1): one accepted and one rejected request move consent_guard_decisions_total', async () => {
      const api = await start({ METRICS: '1' })
      const count = async (labels: string): Promise<number> => {
        const text = (await api.get('/metrics')).text
        const line = text.split('\n').find((l) => l.startsWith('consent_guard_decisions_total{') && l.includes(labels))
        return line === undefined ? 0 : Number(line.split(' ').at(-1))
      }
      const metrics = await api.get('/metrics')
      expect(metrics.status).toBe(200)
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/)
      const accepted = 'outcome="accepted",code="none",resource="example-income"'
      const rejected = 'outcome="rejected",code="consent_subject_mismatch",resource="example-income"'
      const [a0, r0] = [await count(accepted), await count(rejected)]
      const token = await consentToken({ scope: 'example:income', consent: income2023 })
      expect((await api.get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)).status).toBe(200)
      expect((await api.get(`/income/2023/${personB}`).set('authorization', `Bearer ${token}`)).status).toBe(403)
      expect([await count(accepted), await count(rejected)]).toEqual([a0 + 1, r0 + 1])
      const text = (await api.get('/metrics')).text
      for (const secret of [personA, personB, ...token.split('.')]) expect(text).not.toContain(secret)
      // Without METRICS=1 there is no /metrics route.
      expect((await (await start()).get('/metrics')).status).toBe(404)
    })

    it('correlation ids: an incoming one is echoed on the response and in the problem body', async () => {
      const api = await start({ CORRELATION_HEADER: 'Korrelasjonsid' })
      const res = await api.get(`/income/2023/${personA}`).set('Korrelasjonsid', 'bank-call-1')
      expect(res.status).toBe(401)
      expect(res.headers.korrelasjonsid).toBe('bank-call-1')
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
      expect(JSON.parse(res.text)).toMatchObject({
        code: 'credentials_missing',
        correlationId: 'bank-call-1',
        type: expect.stringMatching(/docs\/errors\.md#credentials_missing$/),
      })
      expect(logs.records().some((r) => r.event === 'consent_guard.decision' && r.correlationId === 'bank-call-1')).toBe(true)
    })

    it("the example's own error answers never echo the URL: bad percent-escape 400, over-long URL, faults", async () => {
      const api = await start()
      const token = await consentToken({ scope: 'example:income', consent: income2023 })
      const bad = await api.get(`/income/2023/${personA}%E0%A4%A?t=${token}`)
      expect(bad.status).toBe(400)
      const long = await api.get(`/income/2023/${personA}${'1'.repeat(3000)}?t=${token}`)
      expect(long.status).toBeGreaterThanOrEqual(400)
      expect(long.status).toBeLessThan(500)
      for (const res of [bad, long]) {
        expect(res.text).not.toContain(personA)
        for (const part of token.split('.')) expect(res.text).not.toContain(part)
      }
    })
  })

  describe(`${example.name}: logs`, () => {
    it('hold no identity number and no token, access log included', async () => {
      // Runs after the suites above, so `logs` holds every line they produced.
      const api = await start({ CONSENT_TOKEN_HEADER: 'AltinnSamtykke' })
      await api.get(`/income/2023/${personA}?note=${personB}`).set('authorization', 'Bearer x.y.z').set('AltinnSamtykke', 'a.b.c')
      // Encodings that once reached the access log in recoverable form (issue 11 #5).
      const pct = (s: string) => [...s].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
      const sample = await consentToken({ scope: 'example:income', consent: income2023 })
      await api.get(`/income/2023/${pct(personA)}`)
      await api.get(`/income/2023/%20${personB}`)
      await api.get(`/income/2023/${personA}?q=${sample.replace(/\./g, '%2E')}`)
      await api.get(`/income/${sample}/${personA}`)
      const text = logs.lines.join('\n')
      expect(logs.lines.length).toBeGreaterThan(20)
      // The access log is there, with the URL masked...
      expect(text).toContain('/income/2023/***********')
      expect(logs.records().some((r) => r.event === 'consent_guard.decision' && r.decision === 'accepted')).toBe(true)
      // ...and no fødselsnummer or token anywhere.
      for (const fnr of [personA, personB]) expect(text).not.toContain(fnr)
      for (const fnr of [personA, personB]) expect(decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, '%25'))).not.toContain(fnr)
      expect(text).not.toMatch(/authorization|altinnsamtykke/i)
      for (const token of tokens) expect(text).not.toContain(token.split('.')[2] as string)
    })
  })

  describe(`${example.name}: pnpm start`, () => {
    it('starts the server from the example directory, answers, logs masked lines and stops on SIGTERM', async () => {
      const dir = fileURLToPath(new URL(`../../examples/${example.name}/`, import.meta.url))
      // Detached: its own process group, so the group (pnpm, sh, node) can be stopped by its id.
      const child = spawn('pnpm', ['start'], {
        cwd: dir,
        env: { ...process.env, ...env(), LOG_LEVEL: 'info' },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 15_000)
          child.stdout.on('data', () => {
            const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
            if (match) {
              clearTimeout(timer)
              resolve(match[1] as string)
            }
          })
          child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)))
        })
        expect((await supertest(url).get('/health')).status).toBe(200)
        const token = await consentToken({ scope: 'example:income', consent: income2023 })
        const res = await supertest(url).get(`/income/2023/${personA}`).set('authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
        // The access-log line may reach our pipe a moment after the response: wait for it.
        const deadline = Date.now() + 5_000
        while (!out.includes('/income/2023/***********') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        expect(out).toContain('/income/2023/***********')
        expect(out).not.toContain(personA)
      } finally {
        if (child.exitCode === null) {
          // 'close': every process of the group holding our pipes (node included) has ended.
          const closed = once(child, 'close')
          process.kill(-(child.pid as number), 'SIGTERM')
          await closed
        }
      }
      expect(out).toContain('shutting down')
    }, 60_000)
  })
}
