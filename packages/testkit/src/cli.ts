/**
 * Entry point of the `consent-guard` CLI (`bin/consent-guard.mjs` loads it; in the repository it
 * also runs as `node --import tsx packages/testkit/src/cli.ts ...`).
 *
 * When running from TypeScript sources, a resolve hook adds the `source` export condition so the
 * workspace packages load from their sources; the CLI itself is imported afterwards.
 * @packageDocumentation
 */
import { register } from 'node:module'

if (import.meta.url.endsWith('.ts')) register('../bin/source-conditions.mjs', import.meta.url)

const { main } = await import('./cli/main.js')
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
