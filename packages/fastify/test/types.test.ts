import type { ConsentGuard, VerifiedConsent } from '@consent-guard/core'
import Fastify from 'fastify'
import { expect, expectTypeOf, it } from 'vitest'
import consentGuard, { type ConsentHook } from '../src/index.js'

it('types request.consent, route config and the decorators, and rejects a non-requirement at runtime too', async () => {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten: 'test' })
  expectTypeOf(app.consentGuard).toEqualTypeOf<ConsentGuard>()
  expectTypeOf<typeof app.requireConsent>().returns.toEqualTypeOf<ConsentHook>()
  app.get('/open', { config: { consent: false } }, async (request) => {
    expectTypeOf(request.consent).toEqualTypeOf<VerifiedConsent | null>()
    return 'open'
  })
  // @ts-expect-error `consent` is a requirement object or `false`
  expect(() => app.get('/bad', { config: { consent: true } }, async () => 'x')).toThrow(/must be an object/)
  await app.close()
})
