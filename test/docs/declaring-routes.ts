// The guide's route declarations (docs/guide/{en,nb}/declaring-routes.md copy these regions).
// test/docs/declaring-routes.test.ts registers them, so every one passes start-up validation.
import Fastify, { type FastifyInstance } from 'fastify'
import consentGuard, { fromParam, getConsent, period } from '@consent-guard/fastify'
import type { MaskinportenEnvironment } from '@consent-guard/core'

// #region skattegrunnlag
// Skatteetaten's summed tax base: resource ske-samtykke-sbl-summert-skattegrunnlag,
// one income year per consent (metadata inntektsaar).
export function skattegrunnlagRoute(app: FastifyInstance): void {
  app.get<{ Params: { year: string; personId: string } }>(
    '/skattegrunnlag/:year/:personId',
    {
      config: {
        consent: {
          scope: 'myorg:skattegrunnlag', // the scope your API defines in Maskinporten
          resource: 'ske-samtykke-sbl-summert-skattegrunnlag',
          subject: fromParam('personId'),
          subjectType: 'person',
          metadata: { inntektsaar: { equals: fromParam('year') } },
        },
      },
    },
    async (request) => ({ year: request.params.year, consentId: getConsent(request).id }),
  )
}
// #endregion skattegrunnlag

// #region inntekt
// Skatteetaten's income (a-ordningen) resource ske-samtykke-sbl-inntekt: a consented period
// fraogmed..tilogmed (YYYY-MM); the request asks for a period inside it.
export function inntektRoute(app: FastifyInstance): void {
  app.get<{ Params: { personId: string }; Querystring: { fraOgMed: string; tilOgMed: string } }>(
    '/inntekt/:personId',
    {
      config: {
        consent: {
          scope: 'myorg:inntekt',
          resource: 'ske-samtykke-sbl-inntekt',
          subject: fromParam('personId'),
          period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
        },
      },
    },
    async (request) => ({ months: [request.query.fraOgMed, request.query.tilOgMed] }),
  )
}
// #endregion inntekt

// #region access
// A one-time credit check: only two banks (mirroring the resource's access list), no suppliers,
// and each consent serves one request (engangssamtykke; use the Redis store on several instances).
export function loanCheckRoute(app: FastifyInstance): void {
  app.get<{ Params: { personId: string } }>(
    '/loan-check/:personId',
    {
      config: {
        consent: {
          scope: { all: ['myorg:loancheck'] },
          resource: 'myorg-loan-check',
          action: 'consent',
          subject: fromParam('personId'),
          consumers: ['991825827', '313876144'],
          delegation: 'deny',
          oneTime: true,
        },
      },
    },
    async (request) => ({ consentId: getConsent(request).id }),
  )
}
// #endregion access

// #region two-token
// Two-token APIs: the Maskinporten token in Authorization and the consent token in a header of
// your choice, as Skatteetaten (AltinnSamtykke) and NAV (NAV-Samtykke-Token) publish.
export async function twoTokenApp(maskinporten: MaskinportenEnvironment): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten, consentHeader: 'AltinnSamtykke' })
  skattegrunnlagRoute(app)
  return app
}
// #endregion two-token
