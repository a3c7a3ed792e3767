import { disclosuresCommand, DISCLOSURES_HELP } from './disclosures.js'
import { emulatorCommand, EMULATOR_HELP } from './emulator-cmd.js'
import { inspectCommand, INSPECT_HELP } from './inspect.js'
import { jwksCommand, JWKS_HELP, mintCommand, MINT_HELP } from './mint.js'
import { UsageError, type CliIo } from './common.js'

export const HELP = `consent-guard: a local Maskinporten + Altinn consent sandbox

Usage:
  consent-guard emulator [--port <n>]          start the emulator; prints issuer and JWKS URL
  consent-guard mint --scope <s> [options]     print a test token (signed with a checked-in test key)
  consent-guard inspect <token> [options]      decode (UNVERIFIED) and explain a token against a route
  consent-guard jwks                           print the public JWKS of the test key mp-1
  consent-guard disclosures --subject <id>     a person's recorded disclosures (--db <postgres-url>, --json)
  consent-guard <command> --help               options of a command
`

const COMMANDS: Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<number>; help: string }> = {
  emulator: { run: emulatorCommand, help: EMULATOR_HELP },
  mint: { run: mintCommand, help: MINT_HELP },
  inspect: { run: inspectCommand, help: INSPECT_HELP },
  jwks: { run: jwksCommand, help: JWKS_HELP },
  disclosures: { run: disclosuresCommand, help: DISCLOSURES_HELP },
}

/** Runs the CLI; resolves the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    io.stderr.write(`consent-guard: unknown command ${JSON.stringify(name)}\n\n${HELP}`)
    return 2
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    // parseArgs throws TypeErrors with code ERR_PARSE_ARGS_* for unknown or malformed flags.
    const code = (err as { code?: unknown }).code
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`consent-guard ${name}: ${(err as Error).message}\n\n${command.help}`)
      return 2
    }
    throw err
  }
}
