// The guide's quick start, app.ts (docs/guide/{en,nb}/quick-start.md copy this region).
// #region app
import Fastify from 'fastify'
import consentGuard, { fromParam, getConsent } from '@consent-guard/fastify'
import type { MaskinportenEnvironment } from '@consent-guard/core'

// In production: buildApp('prod'). In tests and on your laptop: the emulator's issuer and key set.
export async function buildApp(maskinporten: MaskinportenEnvironment) {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten })
  app.get<{ Params: { year: string; personId: string } }>(
    '/income/:year/:personId',
    {
      config: {
        consent: {
          scope: 'example:income', // your API's Maskinporten scope
          resource: 'example-income', // your consent resource in Altinn
          subject: fromParam('personId'), // whose data is asked for
          metadata: { inntektsaar: { equals: fromParam('year') } }, // the consented year
        },
      },
    },
    async (request) => ({ year: request.params.year, consentId: getConsent(request).id }),
  )
  return app
}
// #endregion app
