/**
 * Test helper: runs a private PostgreSQL cluster (initdb in a temporary directory, `pg_ctl start`
 * on a free loopback port, trust authentication, no fsync) and removes it afterwards. Never
 * touches a system cluster. initdb refuses to run as root: as root, the cluster runs as the
 * `postgres` system user (Debian's package creates it) through `runuser`.
 *
 * @example
 * import { describeWithPostgres, startPostgresServer, type PostgresServer } from '../../disclosure-log/test/support/postgres-server.js'
 * describeWithPostgres('my suite', () => {
 *   let pg: PostgresServer
 *   beforeAll(async () => { pg = await startPostgresServer() })
 *   afterAll(() => pg.stop())
 * })
 */
import { execFile } from 'node:child_process'
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, it } from 'vitest'

/** The Debian/Ubuntu package that provides the binaries. */
export const POSTGRES_PACKAGE = 'postgresql'

const HOST = '127.0.0.1'

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The directory holding `initdb` and `pg_ctl`: `$PG_BIN_DIR`, else the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian keeps them off `PATH`), else a `PATH` entry.
 */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = []
  if (process.env.PG_BIN_DIR) candidates.push(process.env.PG_BIN_DIR)
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`))
  } catch {
    // not Debian's layout
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''))
  return candidates.find((dir) => executable(join(dir, 'initdb')) && executable(join(dir, 'pg_ctl')))
}

/** The message shown when PostgreSQL is missing. */
export const MISSING_POSTGRES_MESSAGE =
  `PostgreSQL's initdb/pg_ctl were not found ($PG_BIN_DIR, /usr/lib/postgresql/*/bin, PATH). ` +
  `Install the Debian package "${POSTGRES_PACKAGE}": sudo apt-get update && sudo apt-get install -y ${POSTGRES_PACKAGE}`

/**
 * `describe` for suites that need a real PostgreSQL. Skipped with a message naming the package
 * when it is missing, except under `CI=true`, where a missing PostgreSQL is a failing test.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (findPostgresBinDir() !== undefined) {
    describe(name, body)
    return
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs PostgreSQL (CI=true: a missing ${POSTGRES_PACKAGE} fails, never skips)`, () => {
        throw new Error(MISSING_POSTGRES_MESSAGE)
      })
    })
    return
  }
  console.warn(`[consent-guard] skipping "${name}": ${MISSING_POSTGRES_MESSAGE}`)
  describe.skip(name, body)
}

/** A private PostgreSQL cluster. */
export interface PostgresServer {
  readonly host: string
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string
  /** The URL of another database on this server. */
  urlFor(database: string): string
  /** Creates a database (`createdb`) and resolves its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server (`pg_ctl stop -m fast`), keeping its data: clients now get "connection refused". */
  halt(): Promise<void>
  /** Starts a halted server again on the same port with the same data. */
  restart(): Promise<void>
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>
}

/** Options of {@link startPostgresServer}. */
export interface StartPostgresServerOptions {
  /** Give up when the server is not up within this many seconds. Default 60. */
  readonly startTimeoutSeconds?: number
}

const live = new Set<string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Never leave a postmaster behind when the test process ends early: SIGQUIT is an immediate stop.
  process.once('exit', () => {
    for (const dataDir of live) {
      try {
        const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
        if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT')
      } catch {
        // already gone
      }
    }
  })
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('no port'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}

/** Who runs the cluster: the current user, or `postgres` through runuser when we are root. */
function runAs(): { prefix: string[]; uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return { prefix: [] }
  let line: string | undefined
  try {
    line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'))
  } catch {
    line = undefined
  }
  if (line === undefined)
    throw new Error('running as root, and there is no "postgres" user to run initdb as (install the postgresql package)')
  const [, , uid, gid] = line.split(':')
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find(executable)
  if (runuser === undefined) throw new Error('running as root, and runuser was not found to run initdb as "postgres"')
  return { prefix: [runuser, '-u', 'postgres', '--'], uid: Number(uid), gid: Number(gid) }
}

function run(command: string[], timeoutMs: number): Promise<string> {
  const [file, ...args] = command as [string, ...string[]]
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`.trim()))
      else resolve(stdout)
    })
  })
}

/**
 * Creates a cluster in a fresh temporary directory and starts it on a free loopback port
 * (retrying with another port if that one is taken meanwhile). Throws when PostgreSQL is missing:
 * use {@link describeWithPostgres} to skip or fail first.
 */
export async function startPostgresServer(options: StartPostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBinDir()
  if (bin === undefined) throw new Error(MISSING_POSTGRES_MESSAGE)
  installExitHook()
  const timeout = options.startTimeoutSeconds ?? 60
  const user = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'consent-guard-pg-'))
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid)
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  const pgCtl = (...args: string[]) => run([...user.prefix, join(bin, 'pg_ctl'), '-D', dataDir, ...args], (timeout + 10) * 1000)

  try {
    await run(
      [...user.prefix, join(bin, 'initdb'), '-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      timeout * 1000,
    )
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  let port = 0
  const start = async (onPort: number): Promise<void> => {
    const settings = `-k ${dir} -p ${onPort} -c listen_addresses=${HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
    live.add(dataDir)
    await pgCtl('-l', logFile, '-w', '-t', String(timeout), '-o', settings, 'start')
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 5 && port === 0; attempt++) {
    const candidate = await freePort()
    try {
      await start(candidate)
      port = candidate
    } catch (err) {
      lastError = err
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined)
    }
  }
  if (port === 0) {
    live.delete(dataDir)
    rmSync(dir, { recursive: true, force: true })
    throw lastError
  }

  let running = true
  const urlFor = (database: string) => `postgres://postgres@${HOST}:${port}/${encodeURIComponent(database)}`
  return {
    host: HOST,
    port,
    url: urlFor('postgres'),
    urlFor,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`)
      await run([join(bin, 'createdb'), '-h', HOST, '-p', String(port), '-U', 'postgres', name], 30_000)
      return urlFor(name)
    },
    async halt() {
      if (!running) return
      await pgCtl('-m', 'fast', '-w', 'stop')
      running = false
    },
    async restart() {
      if (running) throw new Error('PostgreSQL is still running; halt() it first')
      await start(port)
      running = true
    },
    async stop() {
      if (running) await pgCtl('-m', 'fast', '-w', 'stop').catch(() => pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined))
      running = false
      live.delete(dataDir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
