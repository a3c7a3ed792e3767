import { ConsentGuardConfigError, type DisclosureRecord, type Party } from '@consent-guard/core'
import pg from 'pg'
import { applyMigrations, DISCLOSURE_TABLE } from './migrations.js'

/** Options of {@link createDisclosureLog}. */
export interface DisclosureLogOptions {
  /** `postgres://user:password@host:5432/db`. Either this or `pool`. */
  readonly connectionString?: string
  /** A pool you manage (then `close()` leaves it open). */
  readonly pool?: pg.Pool
  /** PostgreSQL schema of the tables. Default `public`. */
  readonly schema?: string
  /** Give up connecting after this many ms. Default 2000 (a fail-closed request waits at most `disclosureTimeoutMs` anyway). */
  readonly connectionTimeoutMs?: number
  /** Server-side `statement_timeout` in ms. Default 5000. */
  readonly statementTimeoutMs?: number
  /** Largest number of connections. Default 10. */
  readonly maxConnections?: number
  /** Errors of idle connections (a restarted database). Never carries a subject. Default: ignored, the next query reports. */
  readonly onError?: (err: Error) => void
}

/** A stored disclosure: the record, its row id and when the database received it. */
export interface StoredDisclosure extends DisclosureRecord {
  /** Row id (a bigint, as a string). */
  readonly id: string
  readonly recordedAt: Date
}

/** A time range: `from` inclusive, `to` exclusive; either may be omitted. */
export interface DisclosureRange {
  readonly from?: Date | string
  readonly to?: Date | string
}

/** Options of {@link DisclosureLog.startRetention}. */
export interface RetentionOptions {
  /** Keep records this many days (whole days, 1 to 36500). NAV keeps its disclosure log for years. */
  readonly retentionDays: number
  /** Run every this many ms. Default one hour. */
  readonly intervalMs?: number
  /** Called after each run with the number of rows deleted. */
  readonly onRun?: (deleted: number) => void
  /** Called when a run fails; the job keeps running. */
  readonly onError?: (err: Error) => void
}

/** The PostgreSQL disclosure log. */
export interface DisclosureLog {
  /** Creates or upgrades the schema (versioned, idempotent). Resolves the versions applied now. */
  migrate(): Promise<number[]>
  /** Appends one record. Bound: pass it as the guard's `onDisclosure`. */
  readonly record: (record: DisclosureRecord) => Promise<void>
  /** A person's or organisation's disclosures, oldest first (for an innsyn answer). */
  disclosuresFor(subject: string | Party, range?: DisclosureRange): Promise<StoredDisclosure[]>
  /** Every disclosure made under one consent (consent ids compare case-insensitively). */
  disclosuresOfConsent(consentId: string): Promise<StoredDisclosure[]>
  /** Deletes records older than `retentionDays` before `now`; resolves how many. The only deletion the table allows. */
  deleteExpired(options: { readonly retentionDays: number; readonly now?: Date }): Promise<number>
  /** Runs {@link deleteExpired} now and then every `intervalMs` (timer unref'd). */
  startRetention(options: RetentionOptions): { stop(): void }
  /** Ends the pool (unless it was passed in). */
  close(): Promise<void>
}

const KNOWN = new Set(['connectionString', 'pool', 'schema', 'connectionTimeoutMs', 'statementTimeoutMs', 'maxConnections', 'onError'])
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/
const DAY_MS = 86_400_000

const COLUMNS = `id, disclosed_at, subject_type, subject, consent_id, consent_kind, consumer, supplier, delegation_source, resource,
  action, metadata, method, route, status, correlation_id, issuer, jti, consent_token_jti, legal_basis, one_time, recorded_at`

/**
 * Creates the disclosure log. Validates the options now (`ConsentGuardConfigError`); connects on
 * first use. Call `migrate()` once at start-up.
 *
 * @example
 * const log = createDisclosureLog({ connectionString: process.env.DISCLOSURE_LOG_URL })
 * await log.migrate()
 * await app.register(consentGuard, { maskinporten: 'prod', onDisclosure: log.record })
 */
export function createDisclosureLog(options: DisclosureLogOptions): DisclosureLog {
  const fail = (msg: string): never => {
    throw new ConsentGuardConfigError(
      msg.startsWith('unknown option') ? 'option_unknown' : 'option_invalid',
      `disclosure-log options: ${msg}`,
    )
  }
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) fail(`unknown option "${name}"`)
  if ((options.connectionString === undefined) === (options.pool === undefined)) fail('give either "connectionString" or "pool"')
  if (options.connectionString !== undefined && !/^postgres(ql)?:\/\//.test(options.connectionString))
    fail('"connectionString" must start with postgres:// or postgresql://')
  const schemaName = options.schema ?? 'public'
  if (!SCHEMA_NAME.test(schemaName)) fail('"schema" must be a lower-case SQL identifier')
  const ms = (name: 'connectionTimeoutMs' | 'statementTimeoutMs' | 'maxConnections', fallback: number, max: number): number => {
    const value = options[name] ?? fallback
    if (!Number.isInteger(value) || value < 1 || value > max) fail(`"${name}" must be a whole number from 1 to ${max}`)
    return value
  }
  const connectionTimeoutMillis = ms('connectionTimeoutMs', 2000, 60_000)
  const statementTimeout = ms('statementTimeoutMs', 5000, 600_000)
  const max = ms('maxConnections', 10, 1000)

  const schema = `"${schemaName}"`
  const table = `${schema}.${DISCLOSURE_TABLE}`
  const ownPool = options.pool === undefined
  const pool =
    options.pool ??
    new pg.Pool({ connectionString: options.connectionString, connectionTimeoutMillis, statement_timeout: statementTimeout, max })
  // An idle connection dropped by the server is emitted here; unhandled it would end the process.
  if (ownPool) pool.on('error', (err) => options.onError?.(err))

  const deleteExpired: DisclosureLog['deleteExpired'] = async ({ retentionDays, now = new Date() }) => {
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500)
      throw new RangeError('retentionDays must be a whole number of days from 1 to 36500')
    const cutoff = new Date(now.getTime() - retentionDays * DAY_MS).toISOString()
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      // The table's trigger lets this transaction, and only for rows before this cutoff, delete.
      await client.query(`SELECT set_config('consent_guard.retention_cutoff', $1, true)`, [cutoff])
      const result = await client.query(`DELETE FROM ${table} WHERE disclosed_at < $1`, [cutoff])
      await client.query('COMMIT')
      return result.rowCount ?? 0
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  }

  return {
    async migrate() {
      const client = await pool.connect()
      try {
        return await applyMigrations(client, schema)
      } finally {
        client.release()
      }
    },
    record: async (r) => {
      await pool.query(
        `INSERT INTO ${table} (disclosed_at, subject_type, subject, consent_id, consent_kind, consumer, supplier, delegation_source,
          resource, action, metadata, method, route, status, correlation_id, issuer, jti, consent_token_jti, legal_basis, one_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
        [
          r.time,
          r.subject.type,
          r.subject.id,
          r.consentId,
          r.consentKind,
          r.consumer,
          r.supplier ?? null,
          r.delegationSource ?? null,
          r.resource,
          r.action,
          JSON.stringify(r.metadata),
          r.method,
          r.route,
          r.status,
          r.correlationId ?? null,
          r.issuer,
          r.jti,
          r.consentTokenJti ?? null,
          r.legalBasis,
          r.oneTime,
        ],
      )
    },
    async disclosuresFor(subject, range = {}) {
      const id = typeof subject === 'string' ? subject : subject.id
      if (!/^([0-9]{9}|[0-9]{11})$/.test(id)) throw new RangeError('subject must be an 11-digit person id or a 9-digit organisation number')
      const from = range.from === undefined ? null : instant(range.from, 'from')
      const to = range.to === undefined ? null : instant(range.to, 'to')
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${table}
         WHERE subject = $1 AND ($2::timestamptz IS NULL OR disclosed_at >= $2) AND ($3::timestamptz IS NULL OR disclosed_at < $3)
         ORDER BY disclosed_at, id`,
        [id, from, to],
      )
      return rows.map(toStored)
    },
    async disclosuresOfConsent(consentId) {
      if (typeof consentId !== 'string' || consentId === '' || consentId.length > 256)
        throw new RangeError('consentId must be a non-empty string')
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${table} WHERE lower(consent_id) = lower($1) ORDER BY disclosed_at, id`,
        [consentId],
      )
      return rows.map(toStored)
    },
    deleteExpired,
    startRetention({ retentionDays, intervalMs = 3_600_000, onRun, onError }) {
      if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500)
        throw new ConsentGuardConfigError(
          'option_invalid',
          'disclosure-log retention: "retentionDays" must be a whole number of days from 1 to 36500',
        )
      if (!Number.isInteger(intervalMs) || intervalMs < 1000)
        throw new ConsentGuardConfigError('option_invalid', 'disclosure-log retention: "intervalMs" must be at least 1000')
      let running = false
      const run = (): void => {
        if (running) return
        running = true
        deleteExpired({ retentionDays })
          .then(onRun, (err: unknown) => onError?.(err instanceof Error ? err : new Error(String(err))))
          .finally(() => (running = false))
      }
      run()
      const timer = setInterval(run, intervalMs)
      timer.unref()
      return { stop: () => clearInterval(timer) }
    },
    async close() {
      if (ownPool) await pool.end()
    },
  }
}

function instant(value: Date | string, name: string): Date {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) throw new RangeError(`${name} is not a date`)
  return date
}

interface Row {
  id: string
  disclosed_at: Date
  subject_type: Party['type']
  subject: string
  consent_id: string
  consent_kind: DisclosureRecord['consentKind']
  consumer: string
  supplier: string | null
  delegation_source: string | null
  resource: string
  action: string
  metadata: Record<string, string>
  method: string
  route: string
  status: number
  correlation_id: string | null
  issuer: string
  jti: string
  consent_token_jti: string | null
  legal_basis: 'consent'
  one_time: boolean
  recorded_at: Date
}

function toStored(row: Row): StoredDisclosure {
  return {
    id: row.id,
    time: row.disclosed_at,
    consentId: row.consent_id,
    consentKind: row.consent_kind,
    subject: { type: row.subject_type, id: row.subject },
    consumer: row.consumer,
    supplier: row.supplier ?? undefined,
    delegationSource: row.delegation_source ?? undefined,
    resource: row.resource,
    action: row.action,
    metadata: row.metadata,
    method: row.method,
    route: row.route,
    status: row.status,
    correlationId: row.correlation_id ?? undefined,
    issuer: row.issuer,
    jti: row.jti,
    consentTokenJti: row.consent_token_jti ?? undefined,
    legalBasis: row.legal_basis,
    oneTime: row.one_time,
    recordedAt: row.recorded_at,
  }
}
