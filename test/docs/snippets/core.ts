// Code blocks of docs/core.md, packages/core/README.md and README.md (compiled by `pnpm typecheck`;
// test/docs/snippets.test.ts keeps the documents identical to these regions).
import { fromParam, period } from '@consent-guard/core'
import { createConsentGuard as createGuard } from '@consent-guard/core'

// #region core-overview
import type { IncomingMessage } from 'node:http'
import { createConsentGuard, headersFromNodeRequest } from '@consent-guard/core'

type IncomeRequest = IncomingMessage & { params: { personId: string; year: string } }

const guard = createConsentGuard({ maskinporten: 'prod' })           // start-up: options validated
const incomeRoute = guard.compile<IncomeRequest>({                    // start-up: requirement validated
  scope: 'skatteetaten:inntekt',
  resource: 'ske-samtykke-sbl-summert-skattegrunnlag',
  subject: (req) => req.params.personId,
  metadata: { inntektsaar: { equals: (req) => req.params.year } },
})
// per request: resolves a frozen VerifiedConsent or rejects with a ConsentGuardError
export async function checkIncome(req: IncomeRequest) {
  return guard.check({ headers: headersFromNodeRequest(req), request: req, url: req.url }, incomeRoute)
}
// #endregion core-overview

export function periodRoute() {
  const guard = createGuard({ maskinporten: 'prod' })
  type Req = { params: { personId: string }; query: { fraOgMed: string; tilOgMed: string } }
  // #region core-binding
guard.compile<Req>({
  resource: 'ske-samtykke-sbl-inntekt',
  subject: fromParam('personId'),
  period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
})
  // #endregion core-binding
}
