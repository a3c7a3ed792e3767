/**
 * Test helper: runs a private `redis-server` on a free loopback port, without persistence, and
 * stops it afterwards. Never touches a system instance. Import it from any test that needs a
 * real Redis:
 *
 * @example
 * import { describeWithRedis, startRedisServer } from '../../redis/test/support/redis-server.js'
 * describeWithRedis('my suite', () => {
 *   let redis: RedisServer
 *   beforeAll(async () => { redis = await startRedisServer() })
 *   afterAll(() => redis.stop())
 * })
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, it } from 'vitest'

/** The Debian/Ubuntu package that provides the binary. */
export const REDIS_SERVER_PACKAGE = 'redis-server'

const HOST = '127.0.0.1'

/** Where `redis-server` is: `$REDIS_SERVER_BIN`, else the first match on `PATH`, else `/usr/bin`, `/usr/sbin`. */
export function findRedisServer(): string | undefined {
  const candidates = [
    process.env.REDIS_SERVER_BIN,
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter((dir) => dir !== '')
      .map((dir) => join(dir, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
  ]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === '') continue
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // try the next one
    }
  }
  return undefined
}

/** The message shown when redis-server is missing. */
export const MISSING_REDIS_MESSAGE =
  `redis-server was not found (PATH, /usr/bin, /usr/sbin, $REDIS_SERVER_BIN). ` +
  `Install the Debian package "${REDIS_SERVER_PACKAGE}": sudo apt-get update && sudo apt-get install -y ${REDIS_SERVER_PACKAGE}`

/**
 * `describe` for suites that need a real Redis. When `redis-server` is missing the suite is
 * skipped with a message naming the package to install, except under `CI=true`, where the
 * missing binary is a failing test (CI must never silently skip these tests).
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (findRedisServer() !== undefined) {
    describe(name, body)
    return
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs redis-server (CI=true: a missing ${REDIS_SERVER_PACKAGE} fails, never skips)`, () => {
        throw new Error(MISSING_REDIS_MESSAGE)
      })
    })
    return
  }
  console.warn(`[consent-guard] skipping "${name}": ${MISSING_REDIS_MESSAGE}`)
  describe.skip(name, body)
}

/** A private redis-server process. */
export interface RedisServer {
  readonly host: string
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Whether the process is running. */
  readonly running: boolean
  /** Kills the process with SIGKILL (a crash, as seen by clients) and waits for it to exit. */
  kill(): Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers, like a hung server. */
  pause(): void
  /** Thaws a paused process (SIGCONT). */
  resume(): void
  /** Starts the server again on the same port (after {@link kill} or {@link stop}); the data is gone. */
  restart(): Promise<void>
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its working directory. Idempotent. */
  stop(): Promise<void>
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port; default: a free loopback port. */
  readonly port?: number
  /** Give up when the server does not answer within this many ms. Default 10 000. */
  readonly startTimeoutMs?: number
  /** More command-line settings (replica, cluster node ...), given the port the server gets. */
  readonly args?: (port: number) => readonly string[]
  /** Run as a Sentinel (`redis-server <dir>/sentinel.conf --sentinel`) with this configuration text. */
  readonly sentinelConfig?: string
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Never leave a redis-server behind when the test process ends early.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
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

/**
 * Asks the server on `port` for its `process_id` (`INFO server`) over a raw socket. Resolves
 * `undefined` when nothing answers like Redis. Comparing the pid with our child's makes sure we
 * talk to our own server, never to another instance on that port.
 */
export function redisProcessId(port: number, host = HOST, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    let answer = ''
    const done = (pid: number | undefined): void => {
      socket.destroy()
      resolve(pid)
    }
    socket.setTimeout(timeoutMs, () => done(undefined))
    socket.once('error', () => done(undefined))
    socket.once('connect', () => socket.write('INFO server\r\n'))
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
      if (!answer.startsWith('$')) {
        // "-LOADING ..." or anything else: not ready (or not Redis).
        if (answer.includes('\r\n')) done(undefined)
        return
      }
      const header = answer.indexOf('\r\n')
      if (header < 0) return
      const length = Number(answer.slice(1, header))
      if (answer.length < header + 2 + length) return
      const match = /(?:^|\r\n)process_id:(\d+)/.exec(answer.slice(header + 2, header + 2 + length))
      done(match?.[1] === undefined ? undefined : Number(match[1]))
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Starts `redis-server --port N --bind 127.0.0.1 --save '' --appendonly no` in a fresh temporary
 * directory and waits until it answers on that port (checked by process id). Throws when the binary is missing (use
 * {@link describeWithRedis} to skip or fail first) or the server does not come up.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer()
  if (binary === undefined) throw new Error(MISSING_REDIS_MESSAGE)
  installExitHook()
  const startTimeoutMs = options.startTimeoutMs ?? 10_000
  const dir = mkdtempSync(join(tmpdir(), 'consent-guard-redis-'))
  let child: ChildProcess | undefined
  let port = options.port ?? 0

  const sentinelConf = join(dir, 'sentinel.conf')
  // Sentinel rewrites its file (discovered replicas, epochs); a restart keeps what it learnt.
  if (options.sentinelConfig !== undefined) writeFileSync(sentinelConf, options.sentinelConfig)

  async function launch(onPort: number): Promise<void> {
    const args = [
      ...(options.sentinelConfig !== undefined ? [sentinelConf, '--sentinel'] : []),
      '--port',
      String(onPort),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      '',
      '--loglevel',
      'warning',
      ...(options.args?.(onPort) ?? []),
    ]
    const proc = spawn(binary as string, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    proc.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)))
    proc.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)))
    let spawnError: Error | undefined
    proc.once('error', (err) => (spawnError = err))
    live.add(proc)
    proc.once('exit', () => live.delete(proc))
    const deadline = Date.now() + startTimeoutMs
    while (Date.now() < deadline) {
      if (spawnError !== undefined) throw spawnError
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server exited (${proc.exitCode ?? proc.signalCode}) on port ${onPort}: ${output.trim()}`)
      }
      if ((await redisProcessId(onPort)) === proc.pid) {
        child = proc
        return
      }
      await sleep(25)
    }
    proc.kill('SIGKILL')
    await waitForExit(proc, 2000)
    throw new Error(`redis-server did not answer on port ${onPort} within ${startTimeoutMs} ms: ${output.trim()}`)
  }

  if (port === 0) {
    // The port may be taken between freePort() and redis binding it: try a few.
    let lastError: unknown
    for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
      const candidate = await freePort()
      try {
        await launch(candidate)
        port = candidate
      } catch (err) {
        lastError = err
      }
    }
    if (child === undefined) {
      rmSync(dir, { recursive: true, force: true })
      throw lastError
    }
  } else {
    await launch(port)
  }

  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null

  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    get running() {
      return isRunning()
    },
    async kill() {
      if (child === undefined || !isRunning()) return
      child.kill('SIGKILL')
      await waitForExit(child, 5000)
    },
    pause() {
      if (child === undefined || !isRunning()) throw new Error('redis-server is not running')
      child.kill('SIGSTOP')
    },
    resume() {
      if (child !== undefined && isRunning()) child.kill('SIGCONT')
    },
    async restart() {
      if (isRunning()) throw new Error('redis-server is still running; kill() or stop() it first')
      const deadline = Date.now() + startTimeoutMs
      // The old socket may linger for a moment; retry until the port binds again.
      for (;;) {
        try {
          await launch(port)
          return
        } catch (err) {
          if (Date.now() > deadline) throw err
          await sleep(100)
        }
      }
    },
    async stop() {
      if (child !== undefined && isRunning()) {
        child.kill('SIGCONT')
        child.kill('SIGTERM')
        if (!(await waitForExit(child, 5000))) {
          child.kill('SIGKILL')
          await waitForExit(child, 5000)
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
