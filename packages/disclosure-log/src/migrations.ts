import type { PoolClient } from 'pg'

/** The disclosure table's name (inside the configured schema). */
export const DISCLOSURE_TABLE = 'consent_guard_disclosures'
/** The table recording which schema versions were applied. */
export const MIGRATIONS_TABLE = 'consent_guard_disclosure_migrations'

/** One versioned step of the schema. Applied in order, once, inside one transaction. */
export interface Migration {
  readonly version: number
  readonly name: string
  /** SQL for the quoted schema name. */
  readonly sql: (schema: string) => string
}

/**
 * The schema, version by version. Never edit a released step: add the next one. Version 1 is the
 * append-only table: UPDATE is always refused and DELETE only for rows older than the cutoff the
 * retention job declares in its own transaction (`consent_guard.retention_cutoff`), so neither an
 * application bug nor a stray statement can rewrite what was disclosed.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'append-only disclosure table',
    sql: (s) => `
CREATE TABLE ${s}.${DISCLOSURE_TABLE} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  disclosed_at timestamptz NOT NULL,
  subject_type text NOT NULL CHECK (subject_type IN ('person', 'organization')),
  subject text NOT NULL CHECK (subject ~ '^([0-9]{9}|[0-9]{11})$'),
  consent_id text NOT NULL,
  consent_kind text NOT NULL,
  consumer text NOT NULL,
  supplier text,
  delegation_source text,
  resource text NOT NULL,
  action text NOT NULL,
  metadata jsonb NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  status smallint NOT NULL,
  correlation_id text,
  issuer text NOT NULL,
  jti text NOT NULL,
  consent_token_jti text,
  legal_basis text NOT NULL,
  one_time boolean NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ${s}.${DISCLOSURE_TABLE} IS
  'consent-guard disclosure log: one row per consent-based disclosure (GDPR art. 15(1)(c)). Append-only; subject in clear for innsyn.';
CREATE INDEX ${DISCLOSURE_TABLE}_subject_time ON ${s}.${DISCLOSURE_TABLE} (subject, disclosed_at);
CREATE INDEX ${DISCLOSURE_TABLE}_consent ON ${s}.${DISCLOSURE_TABLE} (lower(consent_id));
CREATE INDEX ${DISCLOSURE_TABLE}_time ON ${s}.${DISCLOSURE_TABLE} (disclosed_at);

CREATE FUNCTION ${s}.${DISCLOSURE_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cutoff text := current_setting('consent_guard.retention_cutoff', true);
BEGIN
  IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' THEN
    IF cutoff IS NOT NULL AND cutoff <> '' AND OLD.disclosed_at < cutoff::timestamptz AND cutoff::timestamptz <= now() THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'the disclosure log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ${DISCLOSURE_TABLE}_append_only BEFORE UPDATE OR DELETE ON ${s}.${DISCLOSURE_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${s}.${DISCLOSURE_TABLE}_append_only();
CREATE TRIGGER ${DISCLOSURE_TABLE}_no_truncate BEFORE TRUNCATE ON ${s}.${DISCLOSURE_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.${DISCLOSURE_TABLE}_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.${DISCLOSURE_TABLE} FROM PUBLIC;
`,
  },
]

/**
 * Applies the missing migrations in one transaction, under an advisory lock so that instances
 * starting together do not race. Resolves the versions it applied (empty when up to date).
 */
export async function applyMigrations(client: PoolClient, schema: string): Promise<number[]> {
  const applied: number[] = []
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.${MIGRATIONS_TABLE}`])
    // `public` exists; CREATE SCHEMA would need the CREATE privilege on the database even so.
    if (schema !== '"public"') await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${schema}.${MIGRATIONS_TABLE}`)).rows.map((r) => r.version),
    )
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue
      await client.query(migration.sql(schema))
      await client.query(`INSERT INTO ${schema}.${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name])
      applied.push(migration.version)
    }
    await client.query('COMMIT')
    return applied
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}
