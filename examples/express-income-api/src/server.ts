import type { AddressInfo } from 'node:net'
import { ConsentGuardConfigError, type ConsentGuard } from '@consent-guard/core'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConsentGuardConfigError)) throw err
  console.error(`express-income-api: ${err.message}`)
  process.exit(1)
}

const app = buildApp(config)
const log = app.get('logger') as Logger
// Fetch the key sets before serving; with the issuer down, start anyway: /ready answers 503.
await (app.locals.guard as ConsentGuard).ready().catch((err: unknown) => {
  log.warn({ event: 'consent_guard.key_set', cause: (err as { cause?: unknown }).cause }, 'key sets not ready at start-up')
})
const server = app.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo
  log.info(`Server listening at http://${address}:${port}`)
})
// Graceful shutdown: stop accepting, let in-flight requests finish, then close Redis.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down')
    server.close(() => {
      ;(app.locals.close as () => Promise<void>)().catch((err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exitCode = 1
      })
    })
    server.closeIdleConnections()
  })
}
