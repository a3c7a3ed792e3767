import { createDisclosureLog, type DisclosureLog } from '@consent-guard/disclosure-log'
import type { DisclosureRecord } from '@consent-guard/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { TEST_IDENTITIES } from '../../src/index.js'
import { describeWithPostgres, startPostgresServer, type PostgresServer } from '../../../disclosure-log/test/support/postgres-server.js'
import { runCli, spawnCli } from './helpers.js'

const { personA, personB, consumerOrgno, supplierOrgno } = TEST_IDENTITIES

const base: DisclosureRecord = {
  time: new Date('2026-03-01T10:00:00Z'),
  consentId: '11111111-aaaa-4bbb-8ccc-000000000001',
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
  correlationId: 'req-7',
  issuer: 'https://test.maskinporten.no/',
  jti: 'jti-a1',
  consentTokenJti: undefined,
  legalBasis: 'consent',
  oneTime: false,
}

describeWithPostgres('consent-guard disclosures', () => {
  let server: PostgresServer
  let db: string
  let log: DisclosureLog

  beforeAll(async () => {
    server = await startPostgresServer()
    db = await server.createDatabase('cli_tests')
    log = createDisclosureLog({ connectionString: db })
    await log.migrate()
    await log.record(base)
    await log.record({
      ...base,
      time: new Date('2026-05-31T23:30:00Z'),
      consentId: '11111111-aaaa-4bbb-8ccc-000000000002',
      supplier: supplierOrgno,
      jti: 'jti-a2',
      oneTime: true,
    })
    await log.record({ ...base, subject: { type: 'person', id: personB }, consentId: '22222222-aaaa-4bbb-8ccc-000000000003', jti: 'jti-b' })
  })
  afterAll(async () => {
    await log?.close()
    await server?.stop()
  })

  it('prints a person’s disclosures as JSON lines with their consent ids', async () => {
    const result = await runCli(['disclosures', '--db', db, '--subject', personA, '--json'])
    expect(result.code).toBe(0)
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => [l.consentId, l.jti, l.supplier, l.oneTime])).toEqual([
      ['11111111-aaaa-4bbb-8ccc-000000000001', 'jti-a1', undefined, false],
      ['11111111-aaaa-4bbb-8ccc-000000000002', 'jti-a2', supplierOrgno, true],
    ])
    expect(lines[0]).toMatchObject({ subject: { type: 'person', id: personA }, time: '2026-03-01T10:00:00.000Z', consumer: consumerOrgno })
  })

  it('prints text, filters by time and reads the URL from DISCLOSURE_LOG_URL', async () => {
    const all = await runCli(['disclosures', '--subject', personA], { DISCLOSURE_LOG_URL: db })
    expect(all.code).toBe(0)
    expect(all.stdout).toContain(`Disclosures of person ${personA}: 2`)
    expect(all.stdout).toContain(`to ${consumerOrgno} via supplier ${supplierOrgno}  example-income {inntektsaar=2025}`)
    expect(all.stdout).toContain('consent 11111111-aaaa-4bbb-8ccc-000000000002 (one-time)  GET /income/:year/:personId 200')
    expect(all.stdout).not.toContain(personB)
    // A date alone as --to includes that day.
    const may = await runCli(['disclosures', '--db', db, '--subject', personA, '--from', '2026-04-01', '--to', '2026-05-31', '--json'])
    expect(
      may.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { jti: string }).jti),
    ).toEqual(['jti-a2'])
    const none = await runCli(['disclosures', '--db', db, '--subject', '910000001'])
    expect(none.stdout).toBe('Disclosures of organisation 910000001: 0\n')
  })

  it('runs as the real binary', async () => {
    const result = await spawnCli(['disclosures', '--db', db, '--subject', personB, '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ consentId: '22222222-aaaa-4bbb-8ccc-000000000003', subject: { id: personB } })
  })

  it('reports usage mistakes and an unreachable database without echoing the URL', async () => {
    expect((await runCli(['disclosures', '--db', db])).code).toBe(2)
    expect((await runCli(['disclosures', '--db', db, '--subject', '1234'])).stderr).toContain('--subject must be')
    expect((await runCli(['disclosures', '--subject', personA], {})).stderr).toContain('$DISCLOSURE_LOG_URL')
    const url = `postgres://postgres:s3cret@127.0.0.1:${server.port + 1}/nowhere`
    const down = await runCli(['disclosures', '--db', url, '--subject', personA])
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('could not read the disclosure log')
    expect(down.stderr).not.toContain('s3cret')
  })
})
