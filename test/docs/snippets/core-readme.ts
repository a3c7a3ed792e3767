// The code block of packages/core/README.md (see test/docs/snippets.test.ts).
// #region core-readme
import type { IncomingMessage } from 'node:http'
import { createConsentGuard, headersFromNodeRequest, isConsentGuardError } from '@consent-guard/core'

type IncomeRequest = IncomingMessage & { params: { personId: string; year: string } }

const guard = createConsentGuard({ maskinporten: 'prod' })          // validated at start-up
const route = guard.compile<IncomeRequest>({                         // validated at start-up
  scope: 'example:income',
  resource: 'example-income',
  subject: (req) => req.params.personId,
  metadata: { inntektsaar: { equals: (req) => req.params.year } },
})

export async function handle(req: IncomeRequest) {
  try {
    const consent = await guard.check({ headers: headersFromNodeRequest(req), request: req, url: req.url }, route)
    return consent // consent.id, consent.subject, consent.consumer, consent.right.metadata.inntektsaar, ...
  } catch (err) {
    if (isConsentGuardError(err)) {
      // err.statusCode (400/401/403/503), err.code, err.headers (WWW-Authenticate, Cache-Control), err.toProblem()
    }
    throw err
  }
}
// #endregion core-readme
