// Code blocks of docs/one-time-consent.md (see test/docs/snippets.test.ts).
import type { IncomingMessage } from 'node:http'
import Fastify from 'fastify'
import consentGuard, { getConsent } from '@consent-guard/fastify'
import { createConsentGuard, MemoryConsentUseStore } from '@consent-guard/core'

type LoanRequest = IncomingMessage & { params: { personId: string } }
declare const register: { lookup(id: string): Promise<unknown> }

export function declare() {
  // #region one-time-route
const guard = createConsentGuard({ maskinporten: 'prod' /* , store, storeTimeoutMs, oneTimeMaxTtl */ })
const loanCheck = guard.compile<LoanRequest>({
  scope: 'bank:loan-check',
  resource: 'bank-loan-check',          // configured as one-time in the Altinn Resource Registry
  subject: (req) => req.params.personId,
  oneTime: true,
})
  // #endregion one-time-route
  return loanCheck
}

export async function release() {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten: 'prod' })
  // #region release
app.get<{ Params: { personId: string } }>('/loan-check/:personId', {
  config: { consent: { resource: 'bank-loan-check', subject: (request) => request.params.personId, oneTime: true } },
}, async (request) => {
  const consent = getConsent(request)
  let data
  try {
    data = await register.lookup(consent.subject.id)
  } catch (err) {
    await app.consentGuard.release(consent) // nothing was sent: the consumer may try again
    throw err
  }
  return data // from here on the consent stays used
})
  // #endregion release
  return app
}

export function memory() {
  // #region memory
const guard = createConsentGuard({ maskinporten: 'prod' })
// or, to size it: createConsentGuard({ maskinporten: 'prod', store: new MemoryConsentUseStore({ maxEntries: 500_000 }) })
  // #endregion memory
  return [guard, MemoryConsentUseStore]
}
