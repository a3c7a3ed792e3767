/**
 * Renders docs/benchmarks.md from a results file, so a run of `pnpm bench` writes the numbers
 * itself. `node --import tsx bench/report.ts [results.json]` re-renders without measuring.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Measurement } from './measure.js'

export interface LoadResult {
  requests: number
  ok: number
  non2xx: number
  statusCodes: Record<string, { count: number }>
  errors: number
  timeouts: number
  durationMs: number
  rps: number
  latency: { p50: number; p99: number; max: number }
  /** Connections that timed out (autocannon counts each once per pipelined request in `timeouts`). */
  connectionsTimedOut?: number
  /** The longest any connection waited from the start of the run for its first answer. */
  slowestFirstAnswerMs?: number
  /** Connections that got no answer during the whole run. */
  connectionsNeverAnswered?: number
}

export interface HttpRun extends LoadResult {
  variant: string
  round: number
  connections: number
  pipelining: number
  cpuUsPerRequest: number
  cpuShare: number
  rssIdleMiB: number
  rssPeakMiB: number
  hwmMiB: number
}

export interface BenchResults {
  /** True when the run used the TypeScript sources (`BENCH_SOURCE=1`) instead of the built packages. */
  source?: boolean
  quick: boolean
  command: string
  startedAt: string
  finishedAt: string
  machine: {
    cpus: number
    model: string
    memoryGiB: number
    kernel: string
    node: string
    openssl: string
    pinned: boolean
    loadAverageAtStart: number
  }
  versions: Record<string, string>
  parameters: Record<string, number>
  micro: (Measurement & { id: string; inFlight: number })[]
  http: HttpRun[]
  flood: FloodRun & { withoutCache?: FloodRun }
  overload: HttpRun[]
  /** `overload` options of the guard variants in the overload run (the rest at their defaults). */
  overloadOptions?: Record<string, number | false>
}

/** One distinct-token flood against one server variant. */
export interface FloodRun {
  variant?: string
  tokens: number
  requests: number
  ok: number
  cpuUsPerRequest: number
  hwmMiB?: number
  /** Heap used after a full collection (MiB), after the warm-up and after the flood. */
  heapStart?: number
  heapEnd?: number
  points: { requests: number; rssMiB: number }[]
}

/** Cache entry sizes measured for the project's tokens (heap after GC): see docs/core.md. */
const CONSENT_ENTRY_KIB = 4.7
const DEFAULT_MAX_ENTRIES = 5000

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? NaN
    : s.length % 2 === 1
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '—')
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—')
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—')
const mark = (ok: boolean) => (ok ? '✅ met' : '❌ not met')
/** Answers that carried data, per second (autocannon's req/s × the 2xx share). */
const okRate = (l: LoadResult) => (l.requests === 0 ? 0 : (l.rps * l.ok) / l.requests)

const LABELS: Record<string, string> = {
  'fastify-open': 'Fastify unguarded',
  'fastify-guard-single': 'consent-guard Fastify, single-token, cached',
  'fastify-guard-single-nocache': 'consent-guard Fastify, single-token, uncached',
  'fastify-guard-two': 'consent-guard Fastify, two-token, cached',
  'fastify-guard-two-nocache': 'consent-guard Fastify, two-token, uncached',
  'fastify-jwt-one': '@fastify/jwt (fast-jwt), one token',
  'express-open': 'Express unguarded',
  'express-guard-single': 'consent-guard Express, single-token, cached',
  'express-guard-single-nocache': 'consent-guard Express, single-token, uncached',
  'express-guard-two': 'consent-guard Express, two-token, cached',
  'express-guard-two-nocache': 'consent-guard Express, two-token, uncached',
  'express-auth0-one': 'express-oauth2-jwt-bearer (auth0), one token',
}

export function renderReport(r: BenchResults): string {
  const micro = new Map(r.micro.map((m) => [m.id, m]))
  const verify = micro.get('rsaSync')?.medianUs ?? NaN
  const variants = [...new Set(r.http.map((h) => h.variant))]
  const stat = (variant: string) => {
    const runs = r.http.filter((h) => h.variant === variant)
    return {
      cpu: median(runs.map((h) => h.cpuUsPerRequest)),
      rps: median(runs.map((h) => h.rps)),
      p50: median(runs.map((h) => h.latency.p50)),
      p99: median(runs.map((h) => h.latency.p99)),
      rss: median(runs.map((h) => h.rssPeakMiB)),
      idle: median(runs.map((h) => h.rssIdleMiB)),
      // autocannon's errors include its timeouts.
      bad: runs.reduce((n, h) => n + h.non2xx + h.errors, 0),
      cpuRange: `${f1(Math.min(...runs.map((h) => h.cpuUsPerRequest)))}–${f1(Math.max(...runs.map((h) => h.cpuUsPerRequest)))}`,
    }
  }
  const S = new Map(variants.map((v) => [v, stat(v)]))
  const base = (v: string) => S.get(v.startsWith('fastify') ? 'fastify-open' : 'express-open')
  const delta = (v: string) => (S.get(v)?.cpu ?? NaN) - (base(v)?.cpu ?? NaN)
  const x = (v: string) => delta(v) / verify

  const out: string[] = []
  out.push('# Benchmarks', '')
  out.push('<!-- Written by `pnpm bench` (bench/report.ts) from bench/results/latest.json; do not edit by hand. -->', '')
  if (r.quick) {
    out.push(
      '> **Smoke run** (`BENCH_QUICK=1`): tiny parameters on a possibly busy machine. These numbers only show that',
      '> the harness works; they are not a measurement. Run `pnpm bench` on a quiet machine for the real figures.',
      '',
    )
  }
  out.push(
    'What a guarded route costs, measured side by side in one run. Every target is a ratio to one RSA-2048',
    'verification through `node:crypto` measured on the same core in the same run, because that cost differs',
    'between machines (20 µs on one host of this project, 30 µs on another). Machines are noisy: read medians,',
    'treat differences under about 10 % as noise, and rerun before comparing.',
    '',
    '## How it was run',
    '',
    '```sh',
    'pnpm install',
    'pnpm bench                 # this page and bench/results/latest.json',
    'BENCH_QUICK=1 pnpm bench   # smoke run: tiny parameters, writes bench/results/quick.{json,md} only',
    'pnpm bench:report          # re-renders this page from bench/results/latest.json',
    '```',
    '',
    'A full run takes about 15 minutes and needs a quiet machine: with other work on the cores the load generator, not the server, sets the pace, and CPU per request inflates.',
    '',
    `- Run ${r.startedAt} – ${r.finishedAt}; ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, kernel ${r.machine.kernel},` +
      ` load average ${f2(r.machine.loadAverageAtStart)} at the start.`,
    `- node ${r.machine.node} (OpenSSL ${r.machine.openssl}); ` +
      Object.entries(r.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') +
      '.',
    `- ${r.machine.pinned ? 'Each server runs in its own process pinned to CPU 0 (`taskset`), the load generator (autocannon) in another process pinned to CPU 1.' : 'No `taskset` pinning was possible: client and server share the cores.'}` +
      ' Servers listen on 127.0.0.1 and answer `GET /income/2024/<fnr>` with the same small JSON; logging is off everywhere.',
    `- ${r.source === true ? 'The servers and the micro-benchmark ran the TypeScript sources through tsx (`BENCH_SOURCE=1`), not the published build.' : 'The servers and the micro-benchmark load the packages as published: `pnpm bench` builds them (`tsc`) and runs `dist/`, not the TypeScript sources.'}`,
    `- HTTP: autocannon ${r.parameters.connections} connections, no pipelining, ${r.parameters.warmSeconds} s warm-up then ${r.parameters.durationSeconds} s measured,` +
      ` ${r.parameters.rounds} round(s) with the variants interleaved (each round a fresh server per variant, in a rotated order); tables show medians.`,
    "- Server CPU per request = the server process's utime + stime (all threads) from `/proc/<pid>/stat` over the measured run ÷ responses. RSS from `/proc/<pid>/status`, sampled every 250 ms.",
    '- Tokens: RS256, 2048-bit key, from a local test issuer; single-token mode sends one consent-carrying token (~2 KB), two-token mode an access token plus a consent token. "Cached" sends the same token(s) on every request (a bank fetching several years with one token); "uncached" is the same guard with `tokenCache: false`, so every request is a full verification. The flood below sends a new token on every request.',
    '',
  )

  out.push('## Micro-benchmark: µs per call on one core', '')
  out.push(
    "In one process pinned to CPU 0. Asynchronous paths run 16 calls in flight, so their figure is CPU time per call (thread-pool work included) rather than one call's latency. Median of calibrated batches, best of the interleaved rounds. The guards run with `overload.maxEventLoopDelayMs: false`: the measuring loop holds the event loop for whole batches, which the stall check would read as overload.",
    '',
  )
  out.push('| case | µs per call | p10–p90 | × one node:crypto verification |', '|---|---:|---:|---:|')
  for (const m of r.micro) out.push(`| ${m.name} | ${f1(m.medianUs)} | ${f1(m.p10Us)}–${f1(m.p90Us)} | ${f2(m.medianUs / verify)} |`)
  out.push('')
  const cb = micro.get('rsaCallback')?.medianUs ?? NaN
  const subtle = micro.get('subtle')?.medianUs ?? NaN
  out.push(
    `**Sync or async verification.** The synchronous \`node:crypto.verify\` costs ${f1(verify)} µs of CPU per token here; the callback form (libuv thread pool) ${f1(cb)} µs and WebCrypto (what jose uses) ${f1(subtle)} µs, because each adds a thread-pool round trip. On a pinned core the pool shares the core with the event loop, so the asynchronous forms cannot be faster, only dearer; on a multi-core host they can spread verifications over idle cores, but they also let verifications queue without bound. The guard therefore verifies synchronously, and bounds what waits on the key set instead (see overload). Chosen: **sync**.`,
    '',
  )

  out.push('## HTTP: server CPU per request', '')
  out.push(
    '| variant | server CPU µs/request (range) | Δ over unguarded | Δ ÷ one verification | req/s | guarded ÷ unguarded req/s | p50 / p99 ms | peak RSS MiB | non-2xx, errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  )
  for (const v of variants) {
    const s = S.get(v)!
    const open = v.endsWith('-open')
    out.push(
      `| ${LABELS[v] ?? v} | ${f1(s.cpu)} (${s.cpuRange}) | ${open ? '—' : `+${f1(delta(v))}`} | ${open ? '—' : f2(x(v))} | ${f0(s.rps)} | ${f2(s.rps / (base(v)?.rps ?? NaN))} | ${s.p50} / ${s.p99} | ${f0(s.rss)} | ${s.bad} |`,
    )
  }
  out.push('')

  // Targets.
  const cpu = (v: string) => S.get(v)?.cpu ?? NaN
  const rows: [string, string, string, boolean][] = []
  const limit = (v: string, k: number, what: string) =>
    rows.push([what, `Δ ≤ ${k} × verification`, `${f1(delta(v))} µs = ${f2(x(v))} ×`, x(v) <= k])
  limit('fastify-guard-single-nocache', 1.5, 'Fastify single-token, uncached')
  limit('express-guard-single-nocache', 1.5, 'Express single-token, uncached')
  limit('fastify-guard-two-nocache', 3, 'Fastify two-token, uncached')
  limit('express-guard-two-nocache', 3, 'Express two-token, uncached')
  rows.push([
    'Fastify single-token, uncached, vs @fastify/jwt one token',
    'less server CPU per request',
    `${f1(cpu('fastify-guard-single-nocache'))} vs ${f1(cpu('fastify-jwt-one'))} µs`,
    cpu('fastify-guard-single-nocache') < cpu('fastify-jwt-one'),
  ])
  rows.push([
    'Express single-token, uncached, vs express-oauth2-jwt-bearer one token',
    'less server CPU per request',
    `${f1(cpu('express-guard-single-nocache'))} vs ${f1(cpu('express-auth0-one'))} µs`,
    cpu('express-guard-single-nocache') < cpu('express-auth0-one'),
  ])
  limit('fastify-guard-single', 0.25, 'Fastify single-token, cached')
  limit('express-guard-single', 0.25, 'Express single-token, cached')
  limit('fastify-guard-two', 0.4, 'Fastify two-token, cached')
  limit('express-guard-two', 0.4, 'Express two-token, cached')

  // Flood.
  const fl = r.flood
  const growth = (run: FloodRun | undefined): number =>
    run === undefined ? NaN : Math.max(...run.points.map((p) => p.rssMiB)) - (run.points[0]?.rssMiB ?? NaN)
  const capMiB = (Math.min(fl.tokens, DEFAULT_MAX_ENTRIES) * CONSENT_ENTRY_KIB) / 1024
  const heapGrowth = (fl.heapEnd ?? NaN) - (fl.heapStart ?? NaN)
  rows.push([
    `Flood of ${f0(fl.tokens)} distinct tokens: heap retained`,
    `heap after a full GC grows ≤ cache cap (${f1(capMiB)} MiB) + 4 MiB`,
    `${f1(heapGrowth)} MiB`,
    heapGrowth <= capMiB + 4,
  ])
  const bare = growth(fl.withoutCache)
  rows.push([
    `Flood of ${f0(fl.tokens)} distinct tokens: RSS`,
    `RSS growth ≤ the same flood's with the cache off (${f1(bare)} MiB) + cache cap + 16 MiB`,
    `${f1(growth(fl))} MiB`,
    growth(fl) <= bare + capMiB + 16,
  ])

  // Overload. Throughput counts answers that carried data: a 503 is not served work.
  const ov = (v: string) => r.overload.find((o) => o.variant === v)
  for (const v of ['fastify-guard-single-nocache', 'fastify-guard-two-nocache']) {
    const o = ov(v)
    const normal = S.get(v)?.rps ?? NaN
    if (o === undefined) continue
    // A connection never answered in a run shorter than the client timeout is a timeout not yet counted.
    const never = o.connectionsNeverAnswered ?? 0
    rows.push([
      `Overload, ${LABELS[v]}`,
      '2xx throughput ≥ 0.9 × unsaturated, p99 ≤ 1 s, no client timeouts',
      `${f0(okRate(o))} 2xx/s vs ${f0(normal)} req/s, p99 ${o.latency.p99} ms, ${o.timeouts} timeouts${never > 0 ? `, ${never} connections never answered` : ''}`,
      okRate(o) >= 0.9 * normal && o.latency.p99 <= 1000 && o.timeouts === 0 && never === 0,
    ])
  }
  const malformed = micro.get('malformed')?.medianUs ?? NaN
  const cached = micro.get('singleCached')?.medianUs ?? NaN
  rows.push([
    'Malformed token',
    'cheaper than a cached check and than one verification',
    `${f1(malformed)} µs`,
    malformed < cached && malformed < verify,
  ])

  out.push('## Targets', '')
  out.push(
    `One RSA-2048 verification through \`node:crypto\` (sync, KeyObject) cost **${f1(verify)} µs** on CPU 0 in this run; Δ is server CPU per request over the same framework's unguarded route.`,
    '',
  )
  out.push('| target | bound | measured | |', '|---|---|---|---|')
  for (const [what, bound, measured, ok] of rows) out.push(`| ${what} | ${bound} | ${measured} | ${mark(ok)} |`)
  out.push('')
  const missed = rows.filter((row) => !row[3])
  if (missed.length > 0) out.push(`Not met in this run: ${missed.map((m) => m[0]).join('; ')}.`, '')
  out.push(...whereTimeGoes(micro, S, verify))

  out.push('## Distinct-token flood (memory)', '')
  const off = fl.withoutCache
  out.push(
    `Fastify single-token guard, ${f0(fl.tokens)} distinct valid tokens, each sent once (10 connections), first with the default cache (${DEFAULT_MAX_ENTRIES} entries per kind, documented at about ${CONSENT_ENTRY_KIB} KiB per consent-token entry, so ${f1(capMiB)} MiB), then the same tokens against a fresh server with \`tokenCache: false\`. Cache on: ${f0(fl.ok)} of ${f0(fl.requests)} answered 200, server CPU ${f1(fl.cpuUsPerRequest)} µs per request (a full verification plus a cache insert), peak RSS (VmHWM) ${f0(fl.hwmMiB ?? NaN)} MiB.` +
      (off === undefined
        ? ''
        : ` Cache off: ${f0(off.ok)} of ${f0(off.requests)} answered 200, ${f1(off.cpuUsPerRequest)} µs per request, VmHWM ${f0(off.hwmMiB ?? NaN)} MiB.`),
    '',
    `**Heap retained** (used heap after a full collection, read through a bench-only endpoint of a server started with \`--expose-gc\`): cache on ${f1(fl.heapStart ?? NaN)} → ${f1(fl.heapEnd ?? NaN)} MiB (+${f1(heapGrowth)})` +
      (off === undefined
        ? '.'
        : `, cache off ${f1(off.heapStart ?? NaN)} → ${f1(off.heapEnd ?? NaN)} MiB (+${f1((off.heapEnd ?? NaN) - (off.heapStart ?? NaN))}).`) +
      ' That is what the cache holds: its cap, not the number of tokens seen.',
    '',
    "**RSS** (from /proc while the flood runs, no forced collection) also carries garbage not yet collected and heap pages V8 keeps after a collection; the run with the cache off shows how much of that any verification-heavy load causes. With the cache on, every entry lives until about 5000 newer tokens push it out, long enough to be moved to V8's old generation, so under a flood the evicted entries die there: the old generation grows by several times the cache's live size between full collections and falls back after each (the saw-tooth below), while the heap a full collection leaves stays at the cap.",
    '',
  )
  out.push('| requests sent | RSS MiB, cache on | RSS MiB, cache off |', '|---:|---:|---:|')
  fl.points.forEach((p, i) => out.push(`| ${f0(p.requests)} | ${f1(p.rssMiB)} | ${f1(off?.points[i]?.rssMiB ?? NaN)} |`))
  out.push('')

  out.push('## Overload: 200 connections × 10 pipelined', '')
  const options = r.overloadOptions
  out.push(
    `${r.parameters.overloadSeconds} s per variant after a ${r.parameters.warmSeconds} s warm-up on other connections, uncached (every request a full verification). ${
      options === undefined
        ? 'The guard variants run with the default `overload` options.'
        : `The guard variants run with \`overload: ${JSON.stringify(options).replaceAll(',', ', ').replaceAll(':', ': ')}\` and the other \`overload\` options at their defaults (bench/run.ts): the run keeps 2000 requests in flight, and the queue must hold those the guard moves to a later loop turn.`
    } 503 answers are \`overloaded\` load shedding (Retry-After set). Latencies are of 2xx answers; client timeouts are requests (connections), autocannon timing out after 10 s without an answer on a connection.`,
    '',
  )
  out.push(
    '| variant | req/s | 2xx/s | p50 / p99 / max ms | 2xx | non-2xx (503) | client timeouts | slowest first answer on a connection, s | server CPU µs/request | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  )
  for (const o of r.overload) {
    const connections = o.connectionsTimedOut === undefined ? '' : ` (${o.connectionsTimedOut})`
    const never = o.connectionsNeverAnswered ? `; ${o.connectionsNeverAnswered} never answered` : ''
    const first = o.slowestFirstAnswerMs === undefined ? '—' : `${f1(o.slowestFirstAnswerMs / 1000)}${never}`
    out.push(
      `| ${LABELS[o.variant] ?? o.variant} | ${f0(o.rps)} | ${f0(okRate(o))} | ${o.latency.p50} / ${o.latency.p99} / ${o.latency.max} | ${f0(o.ok)} | ${f0(o.non2xx)} | ${o.timeouts}${connections} | ${first} | ${f1(o.cpuUsPerRequest)} | ${f0(o.rssPeakMiB)} |`,
    )
  }
  out.push(
    '',
    "Every run opens its 200 connections at once, each writing 10 requests. Node accepts one new connection per event-loop turn (libuv since 1.45), and on a saturated core a turn serves the requests that arrived on every connection accepted so far. With a full verification per request and nothing to stop it, one turn verifies up to 2000 requests (a few hundred ms), so the last connections wait in the kernel's accept queue for seconds (slowest first answer), and those still waiting after 10 s count as client timeouts, 10 requests each.",
    '',
    'The guard therefore lets at most `overload.maxVerificationsPerTurn` (default 128) verifications run per loop turn; later ones wait, in order, for the next turns, within `maxQueued` and `queueTimeoutMs`. Turns stay short, every connection is accepted within a few turns, and latency is the queue ahead of a request, not the accept queue. The price is that requests wait in the process rather than in the kernel: more objects live across garbage collections, so a request costs more CPU than in an unlimited run. `maxEventLoopDelayMs` (default 1000 ms) refuses uncached verifications while the loop stalls longer than that anyway; autocannon ignores `Retry-After` and sends a new request for every answer at once, so in this run a refusal would be replaced at once rather than lower the load.',
    '',
  )
  return out.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url).pathname
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), renderReport(results))
}

/**
 * What limits the CPU targets, from this run's own figures: the parts of an uncached check measured
 * in-process, and what the HTTP route adds on top of the in-process check.
 */
function whereTimeGoes(micro: Map<string, Measurement>, S: Map<string, { cpu: number }>, verify: number): string[] {
  const us = (id: string): number => micro.get(id)?.medianUs ?? NaN
  const delta = (v: string, base: string): number => (S.get(v)?.cpu ?? NaN) - (S.get(base)?.cpu ?? NaN)
  const uncached = us('singleUncached')
  const syntax = us('partSyntax')
  const claims = us('partClaims')
  const rest = uncached - verify - syntax - claims
  const fastifyUncached = delta('fastify-guard-single-nocache', 'fastify-open')
  const fastifyCached = delta('fastify-guard-single', 'fastify-open')
  const expressCached = delta('express-guard-single', 'express-open')
  const expressUncached = delta('express-guard-single-nocache', 'express-open')
  const x = (v: number): string => `${f2(v / verify)} ×`
  return [
    "**Where the time goes** (this run's figures). An uncached single-token `guard.check` costs " +
      `${f1(uncached)} µs in-process (${x(uncached)} one verification): the RSA verification ${f1(verify)} µs, the compact-JWS syntax ` +
      `check and decoding ${f1(syntax)} µs, the payload's \`JSON.parse\` with the consent parsing ${f1(claims)} µs, and ${f1(rest)} µs for ` +
      'the rest (registered and Maskinporten claims, the duplicate-member scan, the key lookup, the requirement match, the result object ' +
      'and the promise hops). Over HTTP the Fastify route adds ' +
      `${f1(fastifyUncached)} µs of server CPU over the unguarded route, ${f1(fastifyUncached - uncached)} µs more than the in-process check: ` +
      "the hook and Fastify's handling of an asynchronous hook, the correlation id, the `Cache-Control` header, and the " +
      "garbage collection of the per-request allocations among a server's other live objects, which a tight in-process loop hardly pays. A cached check costs " +
      `${f1(us('singleCached'))} µs in-process and ${f1(fastifyCached)} µs over Fastify (${f1(expressCached)} µs over Express).`,
    '',
    `Meeting 1.5 × would leave ${f1(0.5 * verify)} µs beside the RSA operation for everything else, ` +
      (syntax + claims > 0.5 * verify
        ? `less than the syntax check and the payload's parsing take together (${f1(syntax + claims)} µs)`
        : `of which the syntax check and the payload's parsing already take ${f1(syntax + claims)} µs`) +
      '; the rules those steps carry (strict syntax, no duplicate members, the consent schema) ' +
      "are the security review's and stay. Express adds its own cost per request and per layer: its unguarded route already costs " +
      `${f1(S.get('express-open')?.cpu ?? NaN)} µs here, and the guarded route's Δ (${f1(expressUncached)} µs uncached) includes the ` +
      'larger garbage-collection share of a heavier request.',
    '',
    `@fastify/jwt (fast-jwt) costs ${f1(delta('fastify-jwt-one', 'fastify-open'))} µs over the unguarded route for one token: it decodes ` +
      "the token, verifies the signature and checks the registered claims. The guard's " +
      `${f1(fastifyUncached - delta('fastify-jwt-one', 'fastify-open'))} µs more per request are what it checks beyond that: the ` +
      'canonical-encoding and duplicate-member rules, the consent schema and parsing, the Maskinporten claim shapes, the requirement ' +
      'match, the result object and the correlation id.',
    '',
    `A malformed token costs ${f1(us('malformed'))} µs: no crypto and no stack trace (the syntax check refuses it before the key set ` +
      "is asked), but the refusal is an error object and a rejected promise that travels back through the pipeline's asynchronous " +
      `steps, which a cached acceptance (${f1(us('singleCached'))} µs) does not pay.`,
    '',
  ]
}
