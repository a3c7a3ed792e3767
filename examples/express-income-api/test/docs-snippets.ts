// The Express logging block of docs/operations.md (pino-http is this example's dependency);
// compiled by `pnpm typecheck`, kept identical by test/docs/snippets.test.ts.
import express from 'express'
import { createConsentGuard } from '@consent-guard/express'

const app = express()
const consent = createConsentGuard({ maskinporten: 'prod' })

// #region express-logging
import { loggingPreset } from '@consent-guard/express'
import { pino } from 'pino'
import { pinoHttp } from 'pino-http'

const preset = loggingPreset()
const logger = pino(preset)
app.use(consent.correlation())
app.use(pinoHttp({ logger, serializers: preset.serializers, customProps: (req) => ({ correlationId: req.correlationId }) }))
// #endregion express-logging
export const started = true
