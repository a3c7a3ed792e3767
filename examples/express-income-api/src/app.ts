import { consentErrorHandler, createConsentGuard, fromParam, getConsent, period } from '@consent-guard/express'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import express, { type Express, type ErrorRequestHandler } from 'express'
import { pinoHttp } from 'pino-http'
import type { AppConfig } from './config.js'
import { companyAccounts, loanAssessment, monthlyIncome, yearlyIncome } from './data.js'
import { createLogger, logPreset, type LogSink } from './logging.js'
import { openApiDocument } from './openapi.js'

/** Builds the income API. Tests call this; `server.ts` calls it and listens. */
export function buildApp(config: AppConfig, options: { logSink?: LogSink } = {}): Express {
  const logger = createLogger(config, options.logSink)
  const app = express()
  app.disable('x-powered-by')
  app.set('logger', logger)

  // Access log. `req.log` is also where the guard writes its audit events.
  app.use(pinoHttp({ logger, serializers: logPreset(config).serializers }))

  // One-time consents: in memory for one instance, in Redis when several instances serve the API.
  const store =
    config.redisUrl === undefined
      ? undefined
      : createRedisConsentUseStore({ url: config.redisUrl, onError: (err) => logger.warn({ err: err.message }, 'redis') })
  // server.ts (and tests) call this on shutdown.
  app.locals.close = async () => store?.close()

  const consent = createConsentGuard({
    maskinporten: config.maskinporten,
    ...(config.consentHeader !== undefined && { consentHeader: config.consentHeader }),
    ...(config.altinn2 !== undefined && { altinn2: config.altinn2 }),
    ...(store !== undefined && { store }),
  })
  // Applied to every data route: only these consumers may call (Altinn access lists are not in the token).
  const consumers = config.allowedConsumers !== undefined ? { consumers: config.allowedConsumers } : {}

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })

  app.get(
    '/income/:year/:personId',
    consent.require<'/income/:year/:personId'>({
      ...consumers,
      scope: 'example:income',
      resource: 'example-income',
      // While Altinn 2 consents are still in use: the legacy service and its migrated resource id.
      altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: 'ex_4629_2' },
      subjectType: 'person',
      // Helpers instead of functions: the API description then says where each value comes from.
      subject: fromParam('personId'),
      metadata: { inntektsaar: { equals: fromParam('year') } },
    }),
    (req, res) => {
      const { year, personId } = req.params
      res.json({ personId, year, income: yearlyIncome(personId, year), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/income-period/:personId',
    consent.require<'/income-period/:personId'>({
      ...consumers,
      scope: 'example:income',
      resource: 'example-income-period',
      subjectType: 'person',
      subject: (req) => req.params.personId,
      period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('from', 'to') },
    }),
    (req, res) => {
      // The guard has checked that from and to (YYYY-MM or YYYY-MM-DD) lie inside the consented period.
      const { from, to } = req.query as { from: string; to: string }
      const { personId } = req.params
      res.json({ personId, from, to, income: monthlyIncome(personId, from, to), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/company/:orgno/accounts',
    consent.require<'/company/:orgno/accounts'>({
      ...consumers,
      scope: 'example:accounts',
      resource: 'example-company-accounts',
      subjectType: 'organization',
      subject: (req) => req.params.orgno,
    }),
    (req, res) => {
      const { orgno } = req.params
      res.json({ orgno, accounts: companyAccounts(orgno), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/loan-check/:personId',
    consent.require<'/loan-check/:personId'>({
      ...consumers,
      scope: 'example:loan-check',
      resource: 'example-loan-check',
      subjectType: 'person',
      subject: (req) => req.params.personId,
      // Engangssamtykke: the first accepted request uses the consent up. The in-memory store
      // covers one process; run several instances only with a shared store.
      oneTime: true,
    }),
    (req, res, next) => {
      const used = getConsent(req)
      const { personId } = req.params
      loanAssessment(personId).then(
        (assessment) => res.json({ personId, ...assessment, consentId: used.id }),
        // No data left: release the consent so the consumer can retry with it.
        (err: unknown) => consent.release(used).then(() => next(err), next),
      )
    },
  )

  // The API description, built from the routes above and what their consent middleware checks.
  let description: object | undefined
  app.get('/openapi.json', (_req, res) => {
    description ??= openApiDocument(app, { title: 'Income API (example)', version: '0.1.0' })
    res.json(description)
  })

  // Express's default 404 page repeats the URL, which may hold a fødselsnummer.
  app.use((_req, res) => {
    res.status(404).json({ status: 404, error: 'Not Found', message: 'No such route' })
  })
  app.use(consentErrorHandler())
  const internalError: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) return next(err)
    res.err = err // pino-http logs it with the access-log line
    res.status(500).json({ status: 500, error: 'Internal Server Error' })
  }
  app.use(internalError)
  return app
}
