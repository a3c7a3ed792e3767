import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`fastify-income-api: ${err.message}`)
  process.exit(1)
}

const app = await buildApp(config)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down')
    app.close().catch((err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exitCode = 1
    })
  })
}
await app.listen({ port: config.port, host: config.host })
