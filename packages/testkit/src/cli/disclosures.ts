import { parseArgs } from 'node:util'
import { isoSeconds, parseInstant, UsageError, type CliIo } from './common.js'

export const DISCLOSURES_HELP = `Usage: consent-guard disclosures --subject <fnr|orgno> [options]

Prints the disclosures recorded for one person or organisation in a consent-guard disclosure log
(PostgreSQL, @consent-guard/disclosure-log): who received which data, when, under which consent.
For a support case or an answer to an access (innsyn) request. The identifier is printed in clear:
this output is for that person.

  --db <postgres-url>    the disclosure log (default: $DISCLOSURE_LOG_URL)
  --subject <id>         11-digit person id (fødselsnummer, D-nummer) or 9-digit organisation number
  --from <date>          only disclosures at or after this ISO 8601 date or date-time
  --to <date>            only disclosures before this date-time; a date alone includes that whole day (UTC)
  --json                 one JSON object per line instead of text
`

/** What the command needs of `@consent-guard/disclosure-log`, loaded only when it runs. */
type DisclosureLogModule = typeof import('@consent-guard/disclosure-log')
type Stored = Awaited<ReturnType<ReturnType<DisclosureLogModule['createDisclosureLog']>['disclosuresFor']>>[number]

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

export async function disclosuresCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      db: { type: 'string' },
      subject: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    io.stdout.write(DISCLOSURES_HELP)
    return 0
  }
  const env = io.env ?? process.env
  const db = values.db ?? env.DISCLOSURE_LOG_URL
  if (db === undefined || db === '') throw new UsageError('--db <postgres-url> (or $DISCLOSURE_LOG_URL) is required')
  if (!/^postgres(ql)?:\/\//.test(db)) throw new UsageError('--db must be a postgres:// or postgresql:// URL')
  const subject = values.subject
  if (subject === undefined) throw new UsageError('--subject is required')
  if (!/^([0-9]{9}|[0-9]{11})$/.test(subject))
    throw new UsageError('--subject must be an 11-digit person id or a 9-digit organisation number')
  const from = values.from === undefined ? undefined : parseInstant(values.from, '--from')
  let to = values.to === undefined ? undefined : parseInstant(values.to, '--to')
  if (to !== undefined && DATE_ONLY.test(values.to ?? '')) to = new Date(to.getTime() + 86_400_000)

  let module: DisclosureLogModule
  try {
    // Loaded here, so every other command works without pg installed.
    module = await import('@consent-guard/disclosure-log')
  } catch {
    io.stderr.write(
      'consent-guard disclosures: needs the package @consent-guard/disclosure-log (npm install @consent-guard/disclosure-log)\n',
    )
    return 1
  }
  const log = module.createDisclosureLog({ connectionString: db, connectionTimeoutMs: 5000 })
  let rows: Stored[]
  try {
    rows = await log.disclosuresFor(subject, { ...(from && { from }), ...(to && { to }) })
  } catch (err) {
    // The message of a driver error names no password; the URL is never echoed.
    io.stderr.write(`consent-guard disclosures: could not read the disclosure log: ${(err as Error).message}\n`)
    return 1
  } finally {
    await log.close().catch(() => undefined)
  }

  if (values.json === true) {
    for (const row of rows) io.stdout.write(JSON.stringify(row) + '\n')
    return 0
  }
  const kind = subject.length === 11 ? 'person' : 'organisation'
  const range = [from && `from ${isoSeconds(from.getTime())}`, to && `before ${isoSeconds(to.getTime())}`].filter(Boolean).join(' ')
  io.stdout.write(`Disclosures of ${kind} ${subject}${range ? ` (${range})` : ''}: ${rows.length}\n`)
  for (const row of rows) io.stdout.write(describe(row))
  return 0
}

function describe(row: Stored): string {
  const metadata = Object.entries(row.metadata)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
  const via = row.supplier === undefined ? '' : ` via supplier ${row.supplier}`
  return (
    `${isoSeconds(row.time.getTime())}  to ${row.consumer}${via}  ${row.resource}${metadata ? ` {${metadata}}` : ''}\n` +
    `    consent ${row.consentId}${row.oneTime ? ' (one-time)' : ''}  ${row.method} ${row.route} ${row.status}` +
    `  jti ${row.jti}${row.correlationId === undefined ? '' : `  request ${row.correlationId}`}\n`
  )
}
