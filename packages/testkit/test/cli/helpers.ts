import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli/main.js'

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const CLI_TS = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/consent-guard.mjs', import.meta.url))

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI in a child process: `node --import tsx src/cli.ts ...` (or the bin shim). */
export function spawnCli(
  args: readonly string[],
  options: { via?: 'tsx' | 'bin' | 'pnpm'; input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const via = options.via ?? 'tsx'
  const [cmd, argv] =
    via === 'pnpm'
      ? ['pnpm', ['exec', 'consent-guard', ...args]]
      : via === 'bin'
        ? [process.execPath, [BIN, ...args]]
        : [process.execPath, ['--import', 'tsx', CLI_TS, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      cwd: REPO,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Runs the CLI in-process (same code, no child process start-up). */
export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env })
  return { code, stdout, stderr }
}

export async function mint(args: readonly string[]): Promise<string> {
  const result = await runCli(['mint', '--quiet', ...args])
  if (result.code !== 0) throw new Error(result.stderr)
  return result.stdout.trim()
}
