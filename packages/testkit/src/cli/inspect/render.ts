import { maskPii } from '../common.js'
import type { InspectReport, RuleStatus } from './report.js'

/** JSON with objects spread over lines but short arrays and leaf objects on one line. */
function compactJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value)
  if (typeof value !== 'object' || value === null || flat.length <= 72) return flat
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`)
  return `{\n${entries.join(',\n')}\n${indent}}`
}

const MARK: Record<RuleStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', info: 'INFO' }

/** Human-readable report. Identity numbers are masked unless `showPii`. */
export function renderReport(report: InspectReport, options: { showPii?: boolean; source?: string } = {}): string {
  const lines: string[] = []
  if (report.verified) lines.push(`VERIFIED: signature checked against ${report.jwksUri}.`)
  else {
    lines.push('UNVERIFIED: decoded WITHOUT checking the signature. Anyone can write these claims;')
    const keySet = report.kind === 'altinn2' ? 'Altinn 2 JWKS URL' : 'issuer JWKS URL'
    lines.push(
      'the verdict below assumes the signature is valid.' + (report.jwksUri === undefined ? ` Verify with --jwks-uri <${keySet}>.` : ''),
    )
  }
  lines.push('')
  if (report.kind === 'altinn2')
    lines.push('Kind    legacy Altinn 2 consent token (iss altinn.no): judged in two-token mode, beside a Maskinporten token')
  lines.push(`Header  ${JSON.stringify(report.header ?? '(not JSON)')}`)
  lines.push(`Claims${options.showPii === true ? '' : '  (person ids masked; --show-pii reveals them)'}`)
  lines.push(report.claims === undefined ? '  (not a JSON object)' : compactJson(report.claims).replace(/^/gm, '  '))
  lines.push('')
  lines.push(`Rules at ${report.at}${options.source !== undefined ? ` against ${options.source}` : ''}`)
  const width = Math.max(...report.rules.map((r) => r.rule.length))
  for (const r of report.rules) {
    lines.push(`  ${MARK[r.status]}  ${r.rule.padEnd(width)}  ${r.detail}${r.code !== undefined ? `  [${r.code}]` : ''}`)
  }
  lines.push('')
  const v = report.verdict
  const what = v.scope === 'full' ? 'this request' : 'token checks only'
  lines.push(
    v.accepted
      ? `Verdict (${what}): WOULD PASS: ${v.description}`
      : `Verdict (${what}): WOULD BE REJECTED: ${v.status} ${v.code}: ${v.description}`,
  )
  if (!report.verified) lines.push('         (unverified: the signature was not checked)')
  if (report.note !== undefined) lines.push(`Note: ${report.note}`)
  const text = `${lines.join('\n')}\n`
  return options.showPii === true ? text : maskPii(text)
}
