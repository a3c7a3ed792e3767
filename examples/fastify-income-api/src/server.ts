import { ConsentGuardConfigError } from '@consent-guard/core'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConsentGuardConfigError)) throw err
  console.error(`fastify-income-api: ${err.message}`)
  process.exit(1)
}

const app = await buildApp(config)
// Graceful shutdown: app.close() stops accepting (new requests get 503), lets in-flight requests
// finish, then runs onClose hooks (Redis, metrics).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down')
    app.close().catch((err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exitCode = 1
    })
  })
}
// The key sets are fetched in the plugin's onReady hook, before listen answers.
await app.listen({ port: config.port, host: config.host })
