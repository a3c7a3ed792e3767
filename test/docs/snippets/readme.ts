// The code block of the repository's README.md (see test/docs/snippets.test.ts).
// #region readme
import Fastify from 'fastify'
import consentGuard, { getConsent, loggingPreset } from '@consent-guard/fastify'

// loggingPreset(): URLs with fødselsnumre masked, tokens stripped, refusals without stacks.
// `logger: true` without it is unsafe: it writes the fødselsnummer of every request into the access log.
const app = Fastify({ logger: loggingPreset() })
await app.register(consentGuard, { maskinporten: 'prod', problemDetails: true })

app.get<{ Params: { year: string; personId: string } }>('/income/:year/:personId', {
  config: {
    consent: {
      scope: 'example:income',                        // Maskinporten scope of your API
      resource: 'example-income',                     // your consent resource in Altinn
      subject: (request) => request.params.personId,  // whose data is asked for
      metadata: { inntektsaar: { equals: (request) => request.params.year } },
    },
  },
}, async (request) => ({ year: request.params.year, consentId: getConsent(request).id }))
// #endregion readme
export {}
