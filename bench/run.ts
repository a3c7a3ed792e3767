/**
 * `pnpm bench`: every server variant in its own process on 127.0.0.1 pinned to CPU 0, autocannon in
 * another process pinned to CPU 1, server CPU per request from /proc/<pid>/stat, RSS, p50/p99,
 * variants interleaved over rounds; then the micro-benchmark, the distinct-token flood and the
 * overload run. Writes bench/results/latest.json and docs/benchmarks.md (from the results file).
 *
 * `BENCH_QUICK=1 pnpm bench` (or `pnpm bench --quick`) is a smoke run with tiny parameters: it writes
 * bench/results/quick.json and bench/results/quick.md and leaves the committed results alone.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { consentTokenClaims, createTestIssuer, signCompact } from '@consent-guard/testkit'
import { cpuMicros, memory, pidOf, PINNING, runJson, startServer, stop } from './proc.js'
import { VARIANTS, type ServerConfig } from './variants.js'
import { renderReport, type BenchResults, type FloodRun, type HttpRun, type LoadResult } from './report.js'

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick')
const P = quick
  ? { rounds: 1, durationSeconds: 2, warmSeconds: 1, connections: 50, flood: 2_000, floodChunks: 4, overloadSeconds: 3 }
  : { rounds: 3, durationSeconds: 10, warmSeconds: 3, connections: 50, flood: 100_000, floodChunks: 10, overloadSeconds: 10 }
/**
 * `overload` options of the guard variants in the overload run; the rest are the defaults. The run
 * keeps 2000 requests in flight (200 connections × 10 pipelined), and every verification the guard
 * moves to a later loop turn (`maxVerificationsPerTurn`) waits in its queue: `maxQueued` must hold
 * them, or the excess is answered 503 at once. The page names these options.
 */
const OVERLOAD_OPTIONS = { maxQueued: 4096 }
if (quick) process.env.BENCH_QUICK = '1'
const AUDIENCE = 'https://bench.example/'
const FNR = '25922947409'
const URL_PATH = `/income/2024/${FNR}`

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`)
// The servers and the micro-benchmark load the built packages (dist), as users do: build them now.
if (process.env.BENCH_SOURCE !== '1') {
  log('building the packages (pnpm build)')
  const build = spawnSync('pnpm', ['build'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (build.status !== 0) throw new Error('pnpm build failed')
}
const started = new Date()
const issuer = await createTestIssuer()
const tmp = mkdtempSync(join(tmpdir(), 'consent-guard-bench-'))
try {
  const consent = { from: { person: FNR }, resource: 'example-income', metadata: { inntektsaar: '2024' } }
  const tokenOptions = { scope: 'example:income', consent, lifetimeSeconds: 3600, aud: AUDIENCE }
  const single = await issuer.consentToken(tokenOptions)
  const access = await issuer.accessToken({ scope: 'example:income', lifetimeSeconds: 3600, aud: AUDIENCE })
  const consentToken = await issuer.consentToken(tokenOptions)
  const serverConfig = (variant: string, extra: Partial<ServerConfig> = {}): ServerConfig => ({
    variant,
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    publicJwk: issuer.signer.publicJwk,
    audience: AUDIENCE,
    ...extra,
  })
  const headersFor = (variant: string): Record<string, string> =>
    variant.includes('-two') ? { authorization: `Bearer ${access}`, AltinnSamtykke: consentToken } : { authorization: `Bearer ${single}` }

  async function load(port: number, variant: string, extra: Record<string, unknown>): Promise<LoadResult> {
    const config = {
      url: `http://127.0.0.1:${port}${URL_PATH}`,
      connections: P.connections,
      pipelining: 1,
      headers: headersFor(variant),
      ...extra,
    }
    return runJson<LoadResult>('bench/load.ts', 1, { BENCH_LOAD: JSON.stringify(config) })
  }

  /** Heap after a full collection, from the flood server's bench-only endpoint. */
  async function heap(port: number): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${port}/__bench/heap`)
    return ((await res.json()) as { heapUsedMiB: number }).heapUsedMiB
  }

  /** One measured run of one variant in a fresh server process. */
  async function httpRun(
    variant: string,
    connections: number,
    pipelining: number,
    seconds: number,
    round: number,
    extra: Partial<ServerConfig> = {},
  ): Promise<HttpRun> {
    const { child, port } = await startServer({ BENCH_SERVER: JSON.stringify(serverConfig(variant, extra)) })
    try {
      const pid = pidOf(child)
      const idle = memory(pid).rss
      await load(port, variant, { durationSeconds: P.warmSeconds, connections, pipelining })
      const before = cpuMicros(pid)
      let peakRss = memory(pid).rss
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory(pid).rss)), 250)
      const result = await load(port, variant, { durationSeconds: seconds, connections, pipelining })
      clearInterval(sampler)
      const cpu = cpuMicros(pid) - before
      const mem = memory(pid)
      return {
        variant,
        round,
        connections,
        pipelining,
        ...result,
        cpuUsPerRequest: cpu / Math.max(1, result.requests),
        cpuShare: cpu / (result.durationMs * 1000),
        rssIdleMiB: idle,
        rssPeakMiB: Math.max(peakRss, mem.rss),
        hwmMiB: mem.hwm,
      }
    } finally {
      await stop(child)
    }
  }

  // 1. Micro-benchmark (its own pinned process).
  log('micro-benchmark')
  const micro = await runJson<BenchResults['micro']>('bench/micro.ts', 0, {})

  // 2. HTTP variants, interleaved: each round runs every variant once, in a rotated order.
  const http: HttpRun[] = []
  for (let round = 0; round < P.rounds; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round * 5) % VARIANTS.length] as string)
    for (const variant of order) {
      log(`round ${round + 1}/${P.rounds}: ${variant}`)
      http.push(await httpRun(variant, P.connections, 1, P.durationSeconds, round))
    }
  }

  // 3. Distinct-token flood: every request carries a token never seen before, with the default cache
  //    and, as the baseline for what verification alone does to memory, with the cache off.
  log(`flood: signing ${P.flood} tokens`)
  const tokensFile = join(tmp, 'tokens.txt')
  const signer = issuer.signer
  const lines: string[] = []
  for (let i = 0; i < P.flood; i++) {
    const claims = consentTokenClaims({ ...tokenOptions, iss: issuer.issuer })
    lines.push(signCompact({ alg: 'RS256', kid: signer.kid, typ: 'JWT' }, claims, signer.privateKey))
  }
  writeFileSync(tokensFile, lines.join('\n'))
  /**
   * One flood: a fresh server (with --expose-gc for the heap reading), warmed with the one repeated
   * token, then every token of the file exactly once. RSS is read from /proc as the flood goes (no
   * forced collection in between); the heap after a full collection at the start and at the end.
   */
  async function floodRun(variant: string): Promise<FloodRun> {
    const server = await startServer({ BENCH_SERVER: JSON.stringify(serverConfig(variant)) }, ['--expose-gc'])
    const run: FloodRun = { variant, tokens: P.flood, points: [], requests: 0, ok: 0, cpuUsPerRequest: 0 }
    try {
      const pid = pidOf(server.child)
      await load(server.port, variant, { durationSeconds: 1 })
      run.heapStart = await heap(server.port)
      run.points.push({ requests: 0, rssMiB: memory(pid).rss })
      const chunk = Math.ceil(P.flood / P.floodChunks)
      const before = cpuMicros(pid)
      for (let offset = 0; offset < P.flood; offset += chunk) {
        const r = await load(server.port, variant, {
          tokensFile,
          tokenOffset: offset,
          amount: Math.min(chunk, P.flood - offset),
          connections: 10,
        })
        run.requests += r.requests
        run.ok += r.ok
        run.points.push({ requests: run.requests, rssMiB: memory(pid).rss })
      }
      run.cpuUsPerRequest = (cpuMicros(pid) - before) / Math.max(1, run.requests)
      run.hwmMiB = memory(pid).hwm
      run.heapEnd = await heap(server.port)
    } finally {
      await stop(server.child)
    }
    return run
  }
  const floods: FloodRun[] = []
  for (const variant of ['fastify-guard-single', 'fastify-guard-single-nocache']) {
    log(`flood: ${variant}`)
    floods.push(await floodRun(variant))
  }
  const flood: BenchResults['flood'] = { ...(floods[0] as FloodRun), withoutCache: floods[1] }

  // 4. Overload: 200 connections × 10 pipelined, uncached (every request a full verification),
  // with OVERLOAD_OPTIONS.
  const overload: HttpRun[] = []
  for (const variant of ['fastify-open', 'fastify-guard-single-nocache', 'fastify-guard-two-nocache']) {
    log(`overload: ${variant}`)
    overload.push(await httpRun(variant, 200, 10, P.overloadSeconds, 0, { overload: OVERLOAD_OPTIONS }))
  }

  // jose and lru-cache are the core's dependencies: resolve them from there.
  const requireFrom = [createRequire(import.meta.url), createRequire(new URL('../packages/core/package.json', import.meta.url))]
  const version = (name: string): string => {
    for (const req of requireFrom) {
      try {
        // Walk up from the entry point: not every package exports its package.json.
        let dir = dirname(req.resolve(name))
        for (;;) {
          const file = join(dir, 'package.json')
          if (existsSync(file)) {
            const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string }
            if (pkg.name === name) return pkg.version
          }
          if (dirname(dir) === dir) break
          dir = dirname(dir)
        }
      } catch {
        // try the next place
      }
    }
    return 'unknown'
  }
  const results: BenchResults = {
    quick,
    source: process.env.BENCH_SOURCE === '1',
    command: quick ? 'BENCH_QUICK=1 pnpm bench' : 'pnpm bench',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      openssl: process.versions.openssl ?? 'unknown',
      pinned: PINNING,
      loadAverageAtStart: loadavg()[0] ?? 0,
    },
    versions: Object.fromEntries(
      ['fastify', 'express', 'jose', 'lru-cache', '@fastify/jwt', 'express-oauth2-jwt-bearer', 'autocannon'].map((n) => [n, version(n)]),
    ),
    parameters: P,
    overloadOptions: OVERLOAD_OPTIONS,
    micro,
    http,
    flood,
    overload,
  }
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  writeFileSync(new URL(quick ? 'quick.json' : 'latest.json', dir), JSON.stringify(results, null, 2) + '\n')
  const doc = renderReport(results)
  writeFileSync(quick ? new URL('quick.md', dir) : new URL('../docs/benchmarks.md', import.meta.url), doc)
  log(quick ? 'wrote bench/results/quick.json and quick.md' : 'wrote bench/results/latest.json and docs/benchmarks.md')
} finally {
  rmSync(tmp, { recursive: true, force: true })
  await issuer.close()
}
