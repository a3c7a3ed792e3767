/**
 * The load generator, in its own process (pinned to the other core by bench/run.ts): autocannon
 * against one server, JSON result on stdout. With BENCH_LOAD.tokensFile, every request carries the
 * next token of that file (one per line) exactly once: the distinct-token flood.
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

interface LoadConfig {
  readonly url: string
  readonly connections: number
  readonly pipelining: number
  readonly durationSeconds?: number
  readonly headers: Record<string, string>
  readonly tokensFile?: string
  readonly tokenOffset?: number
  readonly amount?: number
  readonly timeoutSeconds?: number
}

const config = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadConfig
let requests: autocannon.Request[] | undefined
if (config.tokensFile !== undefined) {
  const tokens = readFileSync(config.tokensFile, 'utf8').split('\n').filter(Boolean)
  let next = config.tokenOffset ?? 0
  requests = [
    {
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
    },
  ]
}
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  pipelining: config.pipelining,
  headers: config.headers,
  timeout: config.timeoutSeconds ?? 10,
  ...(config.amount !== undefined ? { amount: config.amount } : { duration: config.durationSeconds ?? 10 }),
  ...(requests !== undefined ? { requests } : {}),
})
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
    errors: result.errors,
    timeouts: result.timeouts,
    durationMs: result.duration * 1000,
    rps: result.requests.average,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  }) + '\n',
)
