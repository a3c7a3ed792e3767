import { consentErrorHandler, createConsentGuard, getConsent } from '@consent-guard/express'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import express, { type Express, type ErrorRequestHandler, type Request } from 'express'
import { pinoHttp } from 'pino-http'
import type { AppConfig } from './config.js'
import { companyAccounts, loanAssessment, monthlyIncome, yearlyIncome } from './data.js'
import { createLogger, logPreset, type LogSink } from './logging.js'

const query = (req: Request, name: string): string | undefined => {
  const value = req.query[name]
  return typeof value === 'string' ? value : undefined
}

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
    consent.require({
      ...consumers,
      scope: 'example:income',
      resource: 'example-income',
      // While Altinn 2 consents are still in use: the legacy service and its migrated resource id.
      altinn2: { serviceCode: '4629', serviceEdition: '2', migratedResource: 'ex_4629_2' },
      subjectType: 'person',
      subject: (req) => req.params.personId,
      metadata: { inntektsaar: { equals: (req) => req.params.year } },
    }),
    (req, res) => {
      const { year, personId } = req.params as { year: string; personId: string }
      res.json({ personId, year, income: yearlyIncome(personId, year), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/income-period/:personId',
    consent.require({
      ...consumers,
      scope: 'example:income',
      resource: 'example-income-period',
      subjectType: 'person',
      subject: (req) => req.params.personId,
      period: { start: 'fraogmed', end: 'tilogmed', requested: (req) => ({ from: query(req, 'from') ?? '', to: query(req, 'to') ?? '' }) },
    }),
    (req, res) => {
      // The guard has checked that from and to (YYYY-MM or YYYY-MM-DD) lie inside the consented period.
      const from = query(req, 'from') as string
      const to = query(req, 'to') as string
      const personId = req.params.personId as string
      res.json({ personId, from, to, income: monthlyIncome(personId, from, to), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/company/:orgno/accounts',
    consent.require({
      ...consumers,
      scope: 'example:accounts',
      resource: 'example-company-accounts',
      subjectType: 'organization',
      subject: (req) => req.params.orgno,
    }),
    (req, res) => {
      const orgno = req.params.orgno as string
      res.json({ orgno, accounts: companyAccounts(orgno), consentId: getConsent(req).id })
    },
  )

  app.get(
    '/loan-check/:personId',
    consent.require({
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
      const personId = req.params.personId as string
      loanAssessment(personId).then(
        (assessment) => res.json({ personId, ...assessment, consentId: used.id }),
        // No data left: release the consent so the consumer can retry with it.
        (err: unknown) => consent.release(used).then(() => next(err), next),
      )
    },
  )

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
