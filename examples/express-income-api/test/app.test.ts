import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineIncomeApiContract } from '../../../test/conformance/income-api-contract.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startDevIssuer } from '../scripts/dev-issuer.js'

defineIncomeApiContract({
  name: 'express-income-api',
  loadConfig,
  startDevIssuer,
  async start(env, logSink) {
    const config = loadConfig(env)
    const app = buildApp(config, { logSink })
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s)).once('error', reject)
    })
    return {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await (app.locals.close as () => Promise<void>)()
      },
    }
  },
})
