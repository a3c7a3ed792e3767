import { migratedResourceId, type DisclosureRecord } from '@consent-guard/core'
import { createDisclosureLog } from '@consent-guard/disclosure-log'
import { consentErrorHandler, createConsentGuard, fromParam, getConsent, period } from '@consent-guard/express'
import { createConsentGuardMetrics } from '@consent-guard/metrics'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import express, { type Express, type Request } from 'express'
import { pinoHttp } from 'pino-http'
import type { AppConfig } from './config.js'
import { companyAccounts, loanAssessment, monthlyIncome, yearlyIncome } from './data.js'
import { createLogger, logPreset, type LogSink } from './logging.js'
import { openApiDocument } from './openapi.js'

/** Altinn 2's income service, whose consents Altinn migrated to the resource `ex_4629_2`. */
const LEGACY_INCOME_SERVICE = { serviceCode: '4629', serviceEdition: '2' } as const

/** Builds the income API. Tests call this; `server.ts` calls it and listens. */
export function buildApp(config: AppConfig, options: { logSink?: LogSink } = {}): Express {
  const logger = createLogger(config, options.logSink)
  const app = express()
  app.disable('x-powered-by')
  app.set('logger', logger)

  // One-time consents: in memory for one instance, in Redis (one server, Sentinel or Cluster) when several instances serve the API.
  const redis = config.redis
  const store =
    redis === undefined ? undefined : createRedisConsentUseStore({ ...redis, onError: (err) => logger.warn({ err: err.message }, 'redis') })
  // Disclosure log: every 2xx guarded answer is recorded before its body leaves (fail-closed).
  // The schema migration runs in the background; a record waits for it, and fails if it failed.
  const disclosureLog =
    config.disclosureLogUrl === undefined
      ? undefined
      : createDisclosureLog({
          connectionString: config.disclosureLogUrl,
          onError: (err) => logger.warn({ err: err.message }, 'disclosure log'),
        })
  const migrated = disclosureLog?.migrate()
  migrated?.catch((err: unknown) => logger.error({ err: (err as Error).message }, 'disclosure log migration failed'))
  const onDisclosure = async (record: DisclosureRecord): Promise<void> => {
    await migrated
    await disclosureLog?.record(record)
  }
  const consent = createConsentGuard({
    ...config.guard,
    ...(store !== undefined && { store }),
    ...(disclosureLog !== undefined && { onDisclosure, disclosureMode: 'fail-closed' as const }),
  })
  const metrics = config.metrics ? createConsentGuardMetrics({ guard: consent.guard }) : undefined
  // server.ts (and tests) call these: ready() before listen, close() on shutdown.
  app.locals.guard = consent.guard
  app.locals.close = async () => {
    metrics?.close()
    await Promise.all([store?.close(), disclosureLog?.close()])
  }

  // Correlation id first (echoed, in every log line of the request), then the access log.
  // `req.log` is also where the guard writes its audit events.
  app.use(consent.correlation())
  app.use(
    pinoHttp({
      logger,
      serializers: logPreset(config).serializers,
      customProps: (req) => ({ correlationId: (req as Request).correlationId }),
    }),
  )
  // Applied to every data route: only these consumers may call (Altinn access lists are not in the token).
  const consumers = config.allowedConsumers !== undefined ? { consumers: config.allowedConsumers } : {}

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })

  // Readiness: 503 with the cause until the key sets are usable (a probe retries the fetch, at
  // most once a second), then 200; stale-serving during an issuer outage is still ready.
  app.get('/ready', (_req, res, next) => {
    consent.guard
      .ready()
      .catch(() => undefined)
      .then(() => {
        const readiness = consent.guard.readiness()
        res
          .status(readiness.ready ? 200 : 503)
          .set('cache-control', 'no-store')
          .json(readiness)
      }, next)
  })

  if (metrics !== undefined) {
    app.get('/metrics', (_req, res, next) => {
      metrics.metrics().then((text) => res.type(metrics.contentType).send(text), next)
    })
  }

  app.get(
    '/income/:year/:personId',
    consent.require<'/income/:year/:personId'>({
      ...consumers,
      scope: 'example:income',
      resource: 'example-income',
      // Consents migrated from Altinn 2 name `{org}_{serviceCode}_{serviceEditionCode}` (here ex_4629_2);
      // serviceCode/serviceEdition serve only the deprecated legacy path (ALTINN2_* variables).
      altinn2: { ...LEGACY_INCOME_SERVICE, migratedResource: migratedResourceId({ org: 'ex', ...LEGACY_INCOME_SERVICE }) },
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
  // Refusals, Express's own 4xx (a bad percent-escape is 400) and faults (500) as RFC 9457
  // problem+json with the correlation id, never echoing the URL or an error message.
  app.use(consentErrorHandler({ allErrors: true }))
  return app
}
