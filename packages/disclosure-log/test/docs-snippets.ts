// Code blocks of docs/disclosure-log.md and packages/disclosure-log/README.md; compiled by
// `pnpm typecheck`, kept identical by test/docs/snippets.test.ts.
import type { FastifyInstance } from 'fastify'
import consentGuard from '@consent-guard/fastify'
import { createConsentGuard } from '@consent-guard/express'
import type { DisclosureLog } from '@consent-guard/disclosure-log'

declare const app: FastifyInstance
declare const log: DisclosureLog
declare const logger: { warn(fields: object): void }

export async function wiring() {
  // #region wiring
const log = createDisclosureLog({ connectionString: process.env.DISCLOSURE_LOG_URL })
await log.migrate()                                            // versioned, idempotent, safe from several instances
await app.register(consentGuard, { maskinporten: 'prod', onDisclosure: log.record })          // Fastify
const consent = createConsentGuard({ maskinporten: 'prod', onDisclosure: log.record })      // Express
  // #endregion wiring
  return consent
}

export async function retention() {
  // #region retention
const job = log.startRetention({ retentionDays: 3 * 365, intervalMs: 3_600_000, onError: (err) => logger.warn({ err: err.message }) })
// or once, from a scheduled task:
const deleted = await log.deleteExpired({ retentionDays: 3 * 365 })
  // #endregion retention
  return [job, deleted]
}

export async function readme(consentId: string) {
  // #region readme
const log = createDisclosureLog({ connectionString: process.env.DISCLOSURE_LOG_URL })
await log.migrate()                                       // versioned schema, safe from several instances
await app.register(consentGuard, { maskinporten: 'prod', onDisclosure: log.record })   // fail-closed by default
log.startRetention({ retentionDays: 3 * 365 })             // choose the period with your DPO

const rows = await log.disclosuresFor('25922947409', { from: '2026-01-01' })
const underOneConsent = await log.disclosuresOfConsent(consentId)
  // #endregion readme
  return [rows, underOneConsent]
}

import { createDisclosureLog } from '@consent-guard/disclosure-log'
