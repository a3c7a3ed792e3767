/**
 * `consent-guard inspect`: explains a token rule by rule with the core's own checks. The work is
 * split by job: `inspect/args.ts` (the command line), `inspect/token.ts` (reading and decoding the
 * token), `inspect/setup.ts` and `inspect/verdict.ts` (the core guard that decides),
 * `inspect/rules.ts`, `inspect/token-rules.ts` and `inspect/words.ts` (the rule report), and
 * `inspect/render.ts` (the text output).
 */
import { maskPii, type CliIo } from './common.js'
import { INSPECT_HELP, parseInspectArgs } from './inspect/args.js'
import { renderReport } from './inspect/render.js'
import { inspectToken } from './inspect/rules.js'
import { readToken } from './inspect/token.js'

export { INSPECT_HELP } from './inspect/args.js'
export { renderReport } from './inspect/render.js'
export { inspectToken } from './inspect/rules.js'
export type { InspectOptions, InspectReport, RuleResult, RuleStatus, Verdict } from './inspect/report.js'

export async function inspectCommand(argv: readonly string[], io: CliIo & { stdin?: AsyncIterable<unknown> }): Promise<number> {
  const args = await parseInspectArgs(argv)
  if (args.help) {
    io.stdout.write(INSPECT_HELP)
    return 0
  }
  const token = await readToken(args.token, io.stdin ?? process.stdin)
  const report = await inspectToken(token, {
    config: args.config,
    at: args.at,
    jwksUri: args.jwksUri,
  })
  if (args.json) {
    const text = `${JSON.stringify(report, null, 2)}\n`
    io.stdout.write(args.showPii ? text : maskPii(text))
  } else {
    io.stdout.write(renderReport(report, { showPii: args.showPii, source: args.source }))
  }
  return report.verdict.accepted ? 0 : 1
}
