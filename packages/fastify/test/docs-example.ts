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
