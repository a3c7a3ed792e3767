// The code shown in docs/fastify.md and packages/fastify/README.md, region by region. The docs
// test checks that the Markdown carries these regions verbatim; the plugin tests run them.
// #region basic
import Fastify from 'fastify'
import consentGuard, { getConsent } from '@consent-guard/fastify'
import type { MaskinportenEnvironment } from '@consent-guard/core'

export async function buildServer(maskinporten: MaskinportenEnvironment = 'prod', fastify = Fastify({ logger: true })) {
  await fastify.register(consentGuard, { maskinporten })

  fastify.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: (request) => request.params.personId,
          metadata: { inntektsaar: { equals: (request) => request.params.year } },
        },
      },
    },
    async (request) => {
      const consent = getConsent(request) // or request.consent, typed VerifiedConsent | null
      return { personId: request.params.personId, year: request.params.year, consentId: consent.id }
    },
  )

  return fastify
}
// #endregion basic

// #region hook
export async function buildHookServer(maskinporten: MaskinportenEnvironment = 'prod') {
  const fastify = Fastify()
  await fastify.register(consentGuard, { maskinporten })

  const companyConsent = fastify.requireConsent({
    scope: 'example:accounts',
    resource: 'example-company-accounts',
    subjectType: 'organization',
    subject: (request) => request.params.orgno,
  })
  fastify.get('/company/:orgno/accounts', { preHandler: companyConsent }, async (request) => {
    return { consentId: getConsent(request).id }
  })

  return fastify
}
// #endregion hook

// #region global
export async function buildGlobalServer(maskinporten: MaskinportenEnvironment = 'prod') {
  const fastify = Fastify()
  await fastify.register(consentGuard, {
    maskinporten,
    global: {
      scope: 'example:income',
      resource: 'example-income',
      subject: (request) => request.headers['x-person-id'] as string | undefined,
      metadata: { inntektsaar: { any: true } },
    },
  })

  fastify.get('/health', { config: { consent: false } }, async () => ({ status: 'ok' }))
  fastify.get('/me/income', async (request) => ({ consentId: getConsent(request).id }))

  return fastify
}
// #endregion global

// #region error-handler
import { isConsentGuardError } from '@consent-guard/fastify'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/** Renders consent errors as RFC 9457 problem+json; everything else goes to Fastify's default. */
export function problemJson(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (isConsentGuardError(error)) {
    return reply.code(error.statusCode).headers(error.headers).type('application/problem+json').send(error.toProblem())
  }
  return reply.send(error)
}
// Before declaring routes: fastify.setErrorHandler(problemJson)
// #endregion error-handler

// #region typed
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { period } from '@consent-guard/fastify'

export async function buildTypedServer(maskinporten: MaskinportenEnvironment = 'prod') {
  const fastify = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(consentGuard, { maskinporten })

  fastify.get(
    '/income-period/:personId',
    {
      schema: {
        params: Type.Object({ personId: Type.String() }),
        querystring: Type.Object({ fraOgMed: Type.String(), tilOgMed: Type.String() }),
      },
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income-period',
          subject: (request) => request.params.personId, // `request.params.personid` does not compile
          period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
        },
      },
    },
    async (request) => ({ personId: request.params.personId, consentId: getConsent(request).id }),
  )

  return fastify
}
// #endregion typed

// #region openapi
import swagger from '@fastify/swagger'
import { fromParam } from '@consent-guard/fastify'

export async function buildDescribedServer(maskinporten: MaskinportenEnvironment = 'prod') {
  const fastify = Fastify()
  // Both plugins before the routes; @fastify/swagger's document then describes every guarded route.
  await fastify.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'Income API', version: '1.0.0' } } })
  await fastify.register(consentGuard, { maskinporten })

  fastify.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income',
          resource: 'example-income',
          subject: fromParam('personId'), // helpers let the description say where a value comes from
          metadata: { inntektsaar: { equals: fromParam('year') } },
        },
      },
    },
    async (request) => ({ year: request.params.year, consentId: getConsent(request).id }),
  )
  fastify.get('/openapi.json', { config: { consent: false }, schema: { hide: true } }, async () => fastify.swagger())

  return fastify
}
// #endregion openapi
