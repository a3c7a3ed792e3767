import Fastify from 'fastify'
import consentGuard from '@consent-guard/fastify'
import { createTestIssuer, TEST_IDENTITIES } from '@consent-guard/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { checkDocSnippets } from '../support/doc-snippets.js'
import { inntektRoute, loanCheckRoute, skattegrunnlagRoute, twoTokenApp } from './declaring-routes.js'

checkDocSnippets(['docs/guide/en/declaring-routes.md', 'docs/guide/nb/declaring-routes.md'])

let issuer: Awaited<ReturnType<typeof createTestIssuer>>
beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(async () => {
  await issuer.close()
})

it('the guide routes pass start-up validation and check what they declare', async () => {
  const app = Fastify()
  await app.register(consentGuard, { maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } })
  skattegrunnlagRoute(app)
  inntektRoute(app)
  loanCheckRoute(app)
  const { personA } = TEST_IDENTITIES
  const token = await issuer.consentToken({
    scope: 'myorg:inntekt',
    consent: { resource: 'ske-samtykke-sbl-inntekt', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
  })
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  expect((await get(`/inntekt/${personA}?fraOgMed=2024-03&tilOgMed=2024-06`)).statusCode).toBe(200)
  expect((await get(`/inntekt/${personA}?fraOgMed=2023-12&tilOgMed=2024-06`)).json()).toMatchObject({ code: 'consent_metadata_mismatch' })
  expect((await get(`/skattegrunnlag/2024/${personA}`)).json()).toMatchObject({ code: 'scope_missing' })
  await app.close()
  const twoToken = await twoTokenApp({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
  expect(
    (await twoToken.inject({ url: `/skattegrunnlag/2024/${personA}`, headers: { authorization: `Bearer ${token}` } })).json(),
  ).toMatchObject({
    code: 'consent_missing',
  })
  await twoToken.close()
})
