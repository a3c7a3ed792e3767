// The code shown in docs/express.md and packages/express/README.md, region by region. The docs
// test checks that the Markdown carries these regions verbatim; the middleware tests run them.
// #region basic
import express, { type Express } from 'express'
import { requireConsent, consentErrorHandler } from '@consent-guard/express'
import type { MaskinportenEnvironment } from '@consent-guard/core'

export function buildApp(maskinporten: MaskinportenEnvironment = 'prod'): Express {
  const app = express()

  app.use(
    '/income/:year/:personId',
    requireConsent(
      {
        scope: 'example:income',
        resource: 'example-income',
        subject: (req) => req.params.personId,
        metadata: { inntektsaar: { equals: (req) => req.params.year } },
      },
      { maskinporten },
    ),
  )

  app.get('/income/:year/:personId', (req, res) => {
    res.json({ personId: req.params.personId, year: req.params.year, consentId: req.consent?.id })
  })

  app.use(consentErrorHandler()) // optional: problem+json instead of Express's HTML error page
  return app
}
// #endregion basic

// #region shared
import { createConsentGuard, getConsent } from '@consent-guard/express'

export function buildSharedApp(maskinporten: MaskinportenEnvironment = 'prod'): Express {
  const app = express()
  const consent = createConsentGuard({ maskinporten }) // one key cache for every route

  app.get(
    '/company/:orgno/accounts',
    consent.require({
      scope: 'example:accounts',
      resource: 'example-company-accounts',
      subjectType: 'organization',
      subject: (req) => req.params.orgno,
    }),
    (req, res) => {
      res.json({ consentId: getConsent(req).id })
    },
  )

  app.get(
    '/loan-check/:personId',
    consent.require({
      scope: 'example:loan-check',
      resource: 'example-loan-check',
      subject: (req) => req.params.personId,
      oneTime: true,
    }),
    async (req, res, next) => {
      try {
        res.json({ eligible: await loanCheck(getConsent(req).subject.id) })
      } catch (err) {
        // No data left the building: release the consent so the consumer can retry with it.
        consent.release(getConsent(req)).then(() => next(err), next)
      }
    },
  )

  app.use(consentErrorHandler())
  return app
}
// #endregion shared

/** Stands in for a real back end; tests make it fail. */
export const backend = { fail: false }
async function loanCheck(personId: string): Promise<boolean> {
  if (backend.fail) throw new Error('loan back end unavailable')
  return personId.length === 11
}

// #region typed
import { period } from '@consent-guard/express'

export function buildTypedApp(maskinporten: MaskinportenEnvironment = 'prod'): Express {
  const app = express()
  const consent = createConsentGuard({ maskinporten })

  app.get(
    '/income-period/:personId',
    // The path as the generic types `req.params`: `req.params.personid` does not compile.
    consent.require<'/income-period/:personId'>({
      scope: 'example:income',
      resource: 'example-income-period',
      subject: (req) => req.params.personId,
      period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
    }),
    (req, res) => {
      res.json({ personId: req.params.personId, consentId: getConsent(req).id }) // no casts
    },
  )

  app.use(consentErrorHandler())
  return app
}
// #endregion typed

// #region openapi
import { addConsentComponents, addConsentToOperation, describeConsentMiddleware, fromParam } from '@consent-guard/express'

export function buildDescribedApp(maskinporten: MaskinportenEnvironment = 'prod'): Express {
  const app = express()
  const consent = createConsentGuard({ maskinporten })

  const incomeConsent = consent.require<'/income/:year/:personId'>({
    scope: 'example:income',
    resource: 'example-income',
    subject: fromParam('personId'), // helpers let the description say where a value comes from
    metadata: { inntektsaar: { equals: fromParam('year') } },
  })
  app.get('/income/:year/:personId', incomeConsent, (req, res) => {
    res.json({ year: req.params.year, consentId: getConsent(req).id })
  })

  // Security, 400/401/403/503 and x-altinn-consent for the operation; schemes and schemas for the document.
  const { operation, components } = describeConsentMiddleware(incomeConsent)
  const pathParameter = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } })
  const document = addConsentComponents(
    {
      openapi: '3.1.0',
      info: { title: 'Income API', version: '1.0.0' },
      paths: {
        '/income/{year}/{personId}': {
          get: addConsentToOperation(
            { parameters: [pathParameter('year'), pathParameter('personId')], responses: { '200': { description: 'Yearly income' } } },
            operation,
          ),
        },
      },
    },
    components,
  )
  app.get('/openapi.json', (_req, res) => {
    res.json(document)
  })

  app.use(consentErrorHandler())
  return app
}
// #endregion openapi
