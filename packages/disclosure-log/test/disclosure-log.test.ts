import { ConsentGuardConfigError, type DisclosureRecord } from '@consent-guard/core'
import { TEST_IDENTITIES } from '@consent-guard/testkit'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDisclosureLog, MIGRATIONS, type DisclosureLog } from '../src/index.js'
import { describeWithPostgres, startPostgresServer, type PostgresServer } from './support/postgres-server.js'

const { personA, personB, consumerOrgno, supplierOrgno } = TEST_IDENTITIES
const DAY = 86_400_000

function record(overrides: Partial<DisclosureRecord> = {}): DisclosureRecord {
  return {
    time: new Date('2026-03-01T10:00:00Z'),
    consentId: '0d4bd1a3-6e0d-4f71-8b4a-1f2a3b4c5d6e',
    consentKind: 'altinn3',
    subject: { type: 'person', id: personA },
    consumer: consumerOrgno,
    supplier: undefined,
    delegationSource: undefined,
    resource: 'example-income',
    action: 'consent',
    metadata: { inntektsaar: '2025' },
    method: 'GET',
    route: '/income/:year/:personId',
    status: 200,
    correlationId: 'req-1',
    issuer: 'https://test.maskinporten.no/',
    jti: 'jti-1',
    consentTokenJti: undefined,
    legalBasis: 'consent',
    oneTime: false,
    ...overrides,
  }
}

describeWithPostgres('PostgreSQL disclosure log', () => {
  let server: PostgresServer
  let log: DisclosureLog

  beforeAll(async () => {
    server = await startPostgresServer()
    log = createDisclosureLog({ connectionString: await server.createDatabase('log_tests') })
  })
  afterAll(async () => {
    await log?.close()
    await server?.stop()
  })

  it('creates the schema by versioned migration, once, also when instances start together', async () => {
    const other = createDisclosureLog({ connectionString: server.urlFor('log_tests') })
    const results = await Promise.all([log.migrate(), other.migrate()])
    await other.close()
    expect(results.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await log.migrate()).toEqual([])
    const db = new pg.Client({ connectionString: server.urlFor('log_tests') })
    await db.connect()
    const indexes = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'consent_guard_disclosures'`)
    await db.end()
    const defs = indexes.rows.map((r) => r.indexdef)
    expect(defs.some((d) => d.includes('(subject, disclosed_at)'))).toBe(true)
    expect(defs.some((d) => d.includes('lower(consent_id)'))).toBe(true)
  })

  it('stores records and answers by person and time range, and by consent id', async () => {
    const delegated = record({
      time: new Date('2026-04-01T08:00:00Z'),
      supplier: supplierOrgno,
      delegationSource: 'https://www.altinn.no',
      consentId: 'AAAAAAAA-1111-2222-3333-444444444444',
      oneTime: true,
      consentTokenJti: 'ct-1',
    })
    await log.record(record())
    await log.record(delegated)
    await log.record(record({ subject: { type: 'person', id: personB }, consentId: 'bbbbbbbb-1111-2222-3333-444444444444' }))
    const all = await log.disclosuresFor(personA)
    expect(all.map(({ id: _id, recordedAt: _at, ...r }) => r)).toEqual([record(), delegated])
    expect(all[0]?.recordedAt).toBeInstanceOf(Date)
    expect(await log.disclosuresFor({ type: 'person', id: personA }, { from: '2026-03-15T00:00:00Z' })).toHaveLength(1)
    expect(await log.disclosuresFor(personA, { to: new Date('2026-04-01T08:00:00Z') })).toHaveLength(1)
    expect(await log.disclosuresFor(personA, { from: '2026-05-01', to: '2026-06-01' })).toEqual([])
    const byConsent = await log.disclosuresOfConsent('aaaaaaaa-1111-2222-3333-444444444444')
    expect(byConsent.map((r) => [r.subject.id, r.supplier, r.oneTime])).toEqual([[personA, supplierOrgno, true]])
    await expect(log.disclosuresFor('123')).rejects.toThrow(RangeError)
    await expect(log.disclosuresFor(personA, { from: 'soon' })).rejects.toThrow(RangeError)
  })

  it('is append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const db = new pg.Client({ connectionString: server.urlFor('log_tests') })
    await db.connect()
    try {
      await expect(db.query(`UPDATE consent_guard_disclosures SET consumer = '000000000'`)).rejects.toThrow(/append-only: UPDATE/)
      await expect(db.query(`DELETE FROM consent_guard_disclosures`)).rejects.toThrow(/append-only: DELETE/)
      await expect(db.query(`TRUNCATE consent_guard_disclosures`)).rejects.toThrow(/append-only: TRUNCATE/)
      // A cutoff in the future does not open the table either.
      await db.query('BEGIN')
      await db.query(`SELECT set_config('consent_guard.retention_cutoff', $1, true)`, [new Date(Date.now() + DAY).toISOString()])
      await expect(db.query(`DELETE FROM consent_guard_disclosures`)).rejects.toThrow(/append-only/)
      await db.query('ROLLBACK')
    } finally {
      await db.end()
    }
    expect(await log.disclosuresFor(personA)).toHaveLength(2)
  })

  it('retention deletes only the expired rows', async () => {
    const own = createDisclosureLog({ connectionString: await server.createDatabase('retention_tests') })
    try {
      await own.migrate()
      // The trigger refuses cutoffs in the future, so the test's clock is the database's.
      const now = new Date()
      const at = (days: number) => new Date(now.getTime() - days * DAY)
      for (const [jti, days] of [
        ['old', 400],
        ['a-year-and-a-day', 366],
        ['exactly-a-year', 365],
        ['young', 364],
        ['yesterday', 1],
      ] as const) {
        await own.record(record({ jti, time: at(days) }))
      }
      expect(await own.deleteExpired({ retentionDays: 365, now })).toBe(2)
      expect((await own.disclosuresFor(personA)).map((r) => r.jti)).toEqual(['exactly-a-year', 'young', 'yesterday'])
      expect(await own.deleteExpired({ retentionDays: 365, now })).toBe(0)
      await expect(own.deleteExpired({ retentionDays: 0, now })).rejects.toThrow(RangeError)

      // The job runs at once, then on its interval, against the real clock.
      await own.record(record({ jti: 'real-old', time: new Date(Date.now() - 800 * DAY) }))
      const runs: number[] = []
      const job = own.startRetention({ retentionDays: 730, intervalMs: 60_000, onRun: (n) => void runs.push(n) })
      await expect.poll(() => runs, { timeout: 10_000 }).toEqual([1])
      job.stop()
      expect((await own.disclosuresFor(personA)).map((r) => r.jti)).not.toContain('real-old')
    } finally {
      await own.close()
    }
  })

  it('validates its options', () => {
    expect(() => createDisclosureLog({} as never)).toThrow(ConsentGuardConfigError)
    expect(() => createDisclosureLog({ connectionString: 'mysql://x' })).toThrow(ConsentGuardConfigError)
    expect(() => createDisclosureLog({ connectionString: server.url, schema: 'Robert"; DROP' })).toThrow(ConsentGuardConfigError)
    expect(() => createDisclosureLog({ connectionString: server.url, connectionTimeoutMs: 0 })).toThrow(ConsentGuardConfigError)
    expect(() => createDisclosureLog({ connectionString: server.url, retention: 3 } as never)).toThrow(/unknown option "retention"/)
    expect(() => log.startRetention({ retentionDays: 0 })).toThrow(ConsentGuardConfigError)
  })
})
