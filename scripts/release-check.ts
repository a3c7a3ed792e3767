/**
 * `pnpm release:check`: lints every tarball in release/ (written by `pnpm release:pack`) with
 * publint (package.json against what the tarball holds) and @arethetypeswrong/cli (types resolve
 * for every module resolution an ESM-only package supports). Any finding fails the run.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const out = new URL('../release/', import.meta.url).pathname
const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz'))
if (tarballs.length === 0) {
  console.error('release/ holds no tarball: run `pnpm release:pack` first')
  process.exit(1)
}

let failed = false
for (const tarball of tarballs) {
  const file = join(out, tarball)
  for (const [tool, args] of [
    ['publint', ['run', '--strict', file]],
    ['attw', [file, '--profile', 'esm-only', '--format', 'ascii']],
  ] as const) {
    const run = spawnSync('pnpm', ['exec', tool, ...args], { encoding: 'utf8' })
    const ok = run.status === 0 && (tool !== 'publint' || run.stdout.includes('All good!'))
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} ${tarball}`)
    if (!ok) {
      failed = true
      console.log(run.stdout, run.stderr)
    }
  }
}
process.exit(failed ? 1 : 0)
