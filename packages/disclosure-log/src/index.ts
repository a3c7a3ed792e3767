/**
 * `@consent-guard/disclosure-log`: a PostgreSQL disclosure log (utleveringslogg) for consent-guard.
 * Every consent-based disclosure the guard reports through `onDisclosure` becomes one row of an
 * append-only table, queryable per person (innsyn, GDPR art. 15(1)(c)) and per consent.
 *
 * ```ts
 * const log = createDisclosureLog({ connectionString: process.env.DISCLOSURE_LOG_URL })
 * await log.migrate()
 * await app.register(consentGuard, { maskinporten: 'prod', onDisclosure: log.record })
 * ```
 * @packageDocumentation
 */
export {
  createDisclosureLog,
  type DisclosureLog,
  type DisclosureLogOptions,
  type DisclosureRange,
  type RetentionOptions,
  type StoredDisclosure,
} from './log.js'
export { MIGRATIONS, DISCLOSURE_TABLE, MIGRATIONS_TABLE, type Migration } from './migrations.js'
