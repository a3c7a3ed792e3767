/** Tiny, dependency-free timing: batches of calls, median and spread of the per-call time. */
export interface Measurement {
  name: string
  /** Median µs per call across batches. */
  medianUs: number
  p10Us: number
  p90Us: number
  batches: number
  callsPerBatch: number
}

export async function measure(
  name: string,
  fn: () => unknown,
  { batches = 15, minBatchMs = 150, inFlight = 1 } = {},
): Promise<Measurement> {
  // With inFlight > 1, calls run that many at a time: the figure is then CPU time per call
  // (crypto runs on libuv's threadpool), not the latency of one call.
  const run = async (n: number) => {
    if (inFlight === 1) {
      for (let i = 0; i < n; i++) await fn()
      return
    }
    let next = 0
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < n) await fn()
      }),
    )
  }
  // Warm up (JIT, key caches) and calibrate the batch size to about minBatchMs.
  let calls = 1
  for (;;) {
    const start = performance.now()
    await run(calls)
    const elapsed = performance.now() - start
    if (elapsed >= minBatchMs) break
    calls = Math.ceil(calls * Math.min(10, Math.max(2, (minBatchMs * 1.2) / Math.max(elapsed, 0.01))))
  }
  const perCall: number[] = []
  for (let b = 0; b < batches; b++) {
    const start = performance.now()
    await run(calls)
    perCall.push(((performance.now() - start) * 1000) / calls)
  }
  perCall.sort((a, b) => a - b)
  const at = (q: number) => perCall[Math.min(perCall.length - 1, Math.floor(q * perCall.length))] as number
  return { name, medianUs: at(0.5), p10Us: at(0.1), p90Us: at(0.9), batches, callsPerBatch: calls }
}

export function table(rows: Measurement[], baseline?: string): string {
  const base = rows.find((r) => r.name === baseline)
  const lines = [
    '| case | median µs/op | p10–p90 µs | ops/s (median) |' + (base ? ` × ${base.name} |` : ''),
    '|---|---:|---:|---:|' + (base ? '---:|' : ''),
  ]
  for (const r of rows) {
    const ratio = base ? ` ${(r.medianUs / base.medianUs).toFixed(2)} |` : ''
    lines.push(
      `| ${r.name} | ${r.medianUs.toFixed(1)} | ${r.p10Us.toFixed(1)}–${r.p90Us.toFixed(1)} | ${Math.round(1e6 / r.medianUs).toLocaleString('en')} |${ratio}`,
    )
  }
  return lines.join('\n')
}
