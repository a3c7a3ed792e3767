import type { AddressInfo } from 'node:net'
import { defineIncomeApiContract } from '../../../test/conformance/income-api-contract.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startDevIssuer } from '../scripts/dev-issuer.js'

defineIncomeApiContract({
  name: 'fastify-income-api',
  loadConfig,
  startDevIssuer,
  async start(env, logSink) {
    const config = loadConfig(env)
    const app = await buildApp(config, { logSink })
    await app.listen({ port: config.port, host: config.host })
    return { baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() }
  },
})
