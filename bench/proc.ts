/** Child processes of the benchmark: start pinned, read CPU time and memory from /proc. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// The packages as published (dist, built by bench/run.ts first), not their TypeScript sources: tsx
// keeps function names with a helper call per closure, which is not what users run. tsx still
// runs the bench's own .ts files.
const NODE_ARGS = process.env.BENCH_SOURCE === '1' ? ['--conditions=@consent-guard/source', '--import', 'tsx'] : ['--import', 'tsx']
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** `taskset` pinning is used when the tool exists and the machine has two or more cores. */
export const PINNING = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0

function command(script: string, cpu: number, extra: readonly string[] = []): [string, string[]] {
  const node = [...extra, ...NODE_ARGS, script]
  return PINNING ? ['taskset', ['-c', String(cpu), process.execPath, ...node]] : [process.execPath, node]
}

/** Starts a server variant pinned to CPU 0; resolves when it listens. */
export async function startServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) goes to the server's node alone.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const [cmd, args] = command('bench/server.ts', 0, [...nodeArgs, ...extra])
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /LISTENING (\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return { child, port }
}

/** Runs a script pinned to `cpu` and parses the JSON it prints last. */
export async function runJson<T>(script: string, cpu: number, env: Record<string, string>): Promise<T> {
  const [cmd, args] = command(script, cpu)
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`${script} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as T
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** utime + stime of a process, all its threads, in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS
}

/** VmRSS and VmHWM (peak) in MiB. */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 }
}

/** The real process behind `taskset`: taskset execs node, so the pid is the same. */
export function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('no pid')
  return child.pid
}
