import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`express-income-api: ${err.message}`)
  process.exit(1)
}

const app = buildApp(config)
const log = app.get('logger') as Logger
const server = app.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo
  log.info(`Server listening at http://${address}:${port}`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down')
    server.close()
    server.closeIdleConnections()
    ;(app.locals.close as () => Promise<void>)().catch((err: unknown) => log.error({ err }, 'shutdown failed'))
  })
}
