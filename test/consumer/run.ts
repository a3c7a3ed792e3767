/**
 * Consumer tests: the tarballs in release/ (from `pnpm release:pack`) installed into fresh projects
 * outside the workspace, as a data source would install them. With npm: ESM import, CommonJS
 * require(), TypeScript under `module: nodenext` (including a .cts file) and `moduleResolution:
 * bundler` with skipLibCheck off, Fastify and Express apps answering 200 and 403, and the CLI running
 * dist/ although the project has tsx. With pnpm: import and the same apps.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const release = new URL('../../release/', import.meta.url).pathname
const fixture = new URL('./fixture/', import.meta.url).pathname
const tarballs = existsSync(release) ? readdirSync(release).filter((f) => f.endsWith('.tgz')) : []
if (tarballs.length < 5) {
  console.error('release/ lacks the tarballs: run `pnpm release:pack` first')
  process.exit(1)
}
// Versions a data source would have; TypeScript as this workspace uses (5.8+ for require of ESM types).
const peers = ['fastify@^5', 'express@^5', '@types/express@^5', '@types/node@^20', 'typescript@5.9.3', 'tsx@^4']
const quiet: ExecFileSyncOptions = { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, CI: 'true' } }

function project(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `consent-guard-${name}-`))
  cpSync(fixture, dir, { recursive: true })
  return dir
}

function run(dir: string, label: string, command: string, args: string[], env: Record<string, string> = {}): string {
  const started = Date.now()
  const output = execFileSync(command, args, { ...quiet, cwd: dir, env: { ...process.env, ...env } }) as string
  console.log(`ok   ${label} (${Date.now() - started} ms)`)
  return output
}

const dirs: string[] = []
try {
  const files = tarballs.map((f) => join(release, f))

  const npmDir = project('npm')
  dirs.push(npmDir)
  run(npmDir, 'npm install of the tarballs', 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, ...peers])
  const manifest = readFileSync(join(npmDir, 'node_modules/@consent-guard/fastify/package.json'), 'utf8')
  if (manifest.includes('workspace:')) throw new Error('an installed package.json still has a workspace: range')
  run(npmDir, 'ESM import of every package', 'node', ['esm.mjs'])
  run(npmDir, 'CommonJS require() of every package', 'node', ['cjs.cjs'])
  run(npmDir, 'tsc, module nodenext (ESM and .cts)', 'npx', ['tsc', '-p', 'tsconfig.nodenext.json'])
  run(npmDir, 'tsc, moduleResolution bundler', 'npx', ['tsc', '-p', 'tsconfig.bundler.json'])
  process.stdout.write(run(npmDir, 'Fastify and Express apps: 200, then 403', 'node', ['serve.mjs']))
  const trace = join(npmDir, 'ts-loaded.txt')
  const help = run(npmDir, 'consent-guard CLI from dist/ with tsx installed', 'npx', ['consent-guard', '--help'], {
    TRACE_FILE: trace,
    NODE_OPTIONS: '--import ./trace-ts.mjs',
  })
  if (!help.includes('consent-guard emulator')) throw new Error('the CLI printed no usage')
  if (existsSync(trace)) throw new Error(`the installed CLI loaded TypeScript sources:\n${readFileSync(trace, 'utf8')}`)

  const pnpmDir = project('pnpm')
  dirs.push(pnpmDir)
  // pnpm resolves the packages' own ^0.1.0 ranges on each other from the registry: point them at the
  // tarballs, as docs/install.md tells pnpm users to.
  const overrides = tarballs.map(
    (f) => `  '@consent-guard/${f.replace(/^consent-guard-(.*)-\d+\.\d+\.\d+\.tgz$/, '$1')}': 'file:${join(release, f)}'`,
  )
  writeFileSync(join(pnpmDir, 'pnpm-workspace.yaml'), `overrides:\n${overrides.join('\n')}\n`)
  run(pnpmDir, 'pnpm add of the tarballs', 'pnpm', ['add', '--reporter=silent', ...files, 'fastify@^5', 'express@^5'])
  run(pnpmDir, 'ESM import (pnpm layout)', 'node', ['esm.mjs'])
  process.stdout.write(run(pnpmDir, 'Fastify and Express apps (pnpm layout)', 'node', ['serve.mjs']))
  console.log('consumer tests: all passed')
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}
