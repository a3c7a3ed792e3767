/**
 * The load generator, in its own process (pinned to the other core by bench/run.ts): autocannon
 * against one server, JSON result on stdout. With BENCH_LOAD.tokensFile, every request carries the
 * next token of that file (one per line) exactly once: the distinct-token flood.
 *
 * Besides autocannon's totals it reports, per run, how long the slowest connection waited for its
 * first answer (autocannon opens every connection at the start and writes its pipelined requests at
 * once, so this is the wait of the last connection the server accepted) and how many connections
 * timed out. autocannon counts a connection's timeout once per pipelined request, in `timeouts` and
 * again in `errors`.
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
// Per connection: ms from the start to its first answer (-1: none yet).
const firstAnswer: number[] = []
const started = performance.now()
const setupClient = (client: autocannon.Client): void => {
  const i = firstAnswer.push(-1) - 1
  client.once('response', () => {
    firstAnswer[i] = performance.now() - started
  })
}
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  pipelining: config.pipelining,
  headers: config.headers,
  timeout: config.timeoutSeconds ?? 10,
  ...(config.amount !== undefined ? { amount: config.amount } : { duration: config.durationSeconds ?? 10 }),
  ...(requests !== undefined ? { requests } : {}),
  setupClient,
})
const pipelining = Math.max(1, config.pipelining)
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
    connectionsTimedOut: Math.round(result.timeouts / pipelining),
    slowestFirstAnswerMs: Math.round(Math.max(...firstAnswer)),
    connectionsNeverAnswered: firstAnswer.filter((ms) => ms < 0).length,
  }) + '\n',
)
