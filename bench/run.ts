import { cpus } from 'node:os'
import { benchCore } from './core.bench.js'

// `pnpm bench`: prints markdown tables; docs/benchmarks.md records a run and the command.
const which = process.argv[2] ?? 'all'
console.log(
  `# consent-guard benchmarks\n\nnode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}\n`,
)
if (which === 'all' || which === 'core') {
  console.log('## Core: cost of one guard.check\n')
  console.log(await benchCore())
  console.log()
}
if (which === 'all' || which === 'http') {
  const { benchHttp } = await import('./http.bench.js')
  console.log('## HTTP: guarded vs unguarded route, in one process\n')
  console.log(await benchHttp())
  console.log()
}
