import { migratedResourceId } from '@consent-guard/core'
import { createDisclosureLog } from '@consent-guard/disclosure-log'
import consentGuard, { consentFrameworkErrors, fromParam, getConsent, period } from '@consent-guard/fastify'
import { createConsentGuardMetrics } from '@consent-guard/metrics'
import { createRedisConsentUseStore } from '@consent-guard/redis'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { companyAccounts, loanAssessment, monthlyIncome, yearlyIncome } from './data.js'
import { loggerOptions, type LogSink } from './logging.js'

/** Altinn 2's income service, whose consents Altinn migrated to the resource `ex_4629_2`. */
const LEGACY_INCOME_SERVICE = { serviceCode: '4629', serviceEdition: '2' } as const

/** Builds the income API. Tests call this; `server.ts` calls it and listens. */
export async function buildApp(config: AppConfig, options: { logSink?: LogSink } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, options.logSink),
    // Fastify's own answer to a bad percent-escape quotes the whole URL: answer it as a problem.
    frameworkErrors: consentFrameworkErrors({ correlationHeader: config.guard.correlationHeader }),
  })

  // One-time consents: in memory for one instance, in Redis (one server, Sentinel or Cluster) when several instances serve the API.
  const redis = config.redis
  const store =
    redis === undefined
      ? undefined
      : createRedisConsentUseStore({ ...redis, onError: (err) => app.log.warn({ err: err.message }, 'redis') })
  if (store !== undefined) app.addHook('onClose', () => store.close())

  // Disclosure log: every 2xx guarded answer is recorded before its body leaves (fail-closed).
  const disclosureLog =
    config.disclosureLogUrl === undefined
      ? undefined
      : createDisclosureLog({
          connectionString: config.disclosureLogUrl,
          onError: (err) => app.log.warn({ err: err.message }, 'disclosure log'),
        })
  if (disclosureLog !== undefined) {
    app.addHook('onClose', () => disclosureLog.close())
    await disclosureLog.migrate()
  }

  // The API description, served at GET /openapi.json: registered before the guard and the routes,
  // so every guarded route is described with its security, error responses and x-altinn-consent.
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'Income API (example)', version: '0.1.0' } } })

  // problemDetails: refusals (and Fastify's own 4xx, e.g. a bad percent-escape) as RFC 9457
  // problem+json with the correlation id, never echoing the URL. Key sets are fetched in onReady.
  await app.register(consentGuard, {
    ...config.guard,
    ...(store !== undefined && { store }),
    ...(disclosureLog !== undefined && { onDisclosure: disclosureLog.record, disclosureMode: 'fail-closed' as const }),
    problemDetails: true,
  })
  // Applied to every data route: only these consumers may call (Altinn access lists are not in the token).
  const consumers = config.allowedConsumers !== undefined ? { consumers: config.allowedConsumers } : {}

  // Fastify's default 404 repeats the URL, which may hold a fødselsnummer.
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such route' }))

  app.get('/health', { config: { consent: false } }, async () => ({ status: 'ok' }))
  app.get('/openapi.json', { config: { consent: false }, schema: { hide: true } }, async () => app.swagger())

  // Readiness: 503 with the cause until the key sets are usable (a probe retries the fetch, at
  // most once a second), then 200; stale-serving during an issuer outage is still ready.
  app.get('/ready', { config: { consent: false } }, async (_request, reply) => {
    await app.consentGuard.ready().catch(() => undefined)
    const readiness = app.consentGuard.readiness()
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(readiness)
  })

  if (config.metrics) {
    const metrics = createConsentGuardMetrics({ guard: app.consentGuard })
    app.addHook('onClose', async () => metrics.close())
    app.get('/metrics', { config: { consent: false } }, async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    )
  }

  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
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
        },
      },
    },
    async (request) => {
      const { year, personId } = request.params
      return { personId, year, income: yearlyIncome(personId, year), consentId: getConsent(request).id }
    },
  )

  app.get<{ Params: { personId: string }; Querystring: { from: string; to: string } }>(
    '/income-period/:personId',
    {
      config: {
        consent: {
          ...consumers,
          scope: 'example:income',
          resource: 'example-income-period',
          subjectType: 'person',
          subject: (request) => request.params.personId,
          period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('from', 'to') },
        },
      },
    },
    async (request) => {
      // The guard has checked that from and to (YYYY-MM or YYYY-MM-DD) lie inside the consented period.
      const { from, to } = request.query
      const { personId } = request.params
      return { personId, from, to, income: monthlyIncome(personId, from, to), consentId: getConsent(request).id }
    },
  )

  app.get<{ Params: { orgno: string } }>(
    '/company/:orgno/accounts',
    {
      config: {
        consent: {
          ...consumers,
          scope: 'example:accounts',
          resource: 'example-company-accounts',
          subjectType: 'organization',
          subject: (request) => request.params.orgno,
        },
      },
    },
    async (request) => {
      const { orgno } = request.params
      return { orgno, accounts: companyAccounts(orgno), consentId: getConsent(request).id }
    },
  )

  app.get<{ Params: { personId: string } }>(
    '/loan-check/:personId',
    {
      config: {
        consent: {
          ...consumers,
          scope: 'example:loan-check',
          resource: 'example-loan-check',
          subjectType: 'person',
          subject: (request) => request.params.personId,
          // Engangssamtykke: the first accepted request uses the consent up. The in-memory store
          // covers one process; run several instances only with a shared store.
          oneTime: true,
        },
      },
    },
    async (request) => {
      const consent = getConsent(request)
      const { personId } = request.params
      try {
        return { personId, ...(await loanAssessment(personId)), consentId: consent.id }
      } catch (err) {
        // No data left: release the consent so the consumer can retry with it.
        await app.consentGuard.release(consent)
        throw err
      }
    },
  )

  return app
}
