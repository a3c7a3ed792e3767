import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, generateSigningKey, type TestIssuer } from '@consent-guard/testkit'
import { CONSUMER, createHarness, FNR_A, NOW, OTHER_ORG, RESOURCE, SCOPE, SUPPLIER, type Harness } from './support.js'

// Two-token mode (docs/security.md BND-*): Authorization carries the Maskinporten access token, the
// AltinnSamtykke header the consent token. Each token alone is valid; together they must agree.
let h: Harness
let other: TestIssuer
beforeAll(async () => {
  h = await createHarness({ consentHeader: 'AltinnSamtykke' })
  other = await createTestIssuer({ now: NOW, keys: [await generateSigningKey({ kid: 'env2-1' })] })
})
afterAll(async () => {
  await h.close()
  await other.close()
})

const consent = { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } }
const at = (o: Parameters<TestIssuer['accessToken']>[0] = {}) => h.issuer.accessToken({ scope: SCOPE, ...o })
const ct = (o: Parameters<TestIssuer['consentToken']>[0] = {}) => h.issuer.consentToken({ scope: 'altinn:consent', consent, ...o })
const pair = (access: string, consentToken?: string) => ({
  authorization: `Bearer ${access}`,
  ...(consentToken !== undefined && { AltinnSamtykke: consentToken }),
})

describe('BND: two-token binding', () => {
  it('accepts a matching pair and reports both tokens', async () => {
    const result = await h.run(pair(await at(), await ct()))
    expect(result.consumer).toBe(CONSUMER)
    expect(result.consentToken).toMatchObject({ kind: 'maskinporten', scopes: ['altinn:consent'] })
    expect(result.token.scopes).toEqual([SCOPE])
  })
  it('checks the scope on the access token only', async () => {
    expect(await h.outcome(pair(await at({ scope: 'other' }), await ct({ scope: SCOPE })))).toBe('scope_missing')
  })
  it('BND-01 consumer mismatch between the tokens → 403', async () => {
    const consentForB = await ct({ consumer: OTHER_ORG })
    expect(await h.outcome(pair(await at(), consentForB))).toBe('token_binding_mismatch')
  })
  it('BND-02 a different client_id is accepted (Altinn recommends separate clients)', async () => {
    expect(await h.outcome(pair(await at({ client_id: 'client-a' }), await ct({ client_id: 'client-b' })))).toBe('accepted')
  })
  it('BND-03 a consent token from another issuer → 401', async () => {
    const foreign = await other.consentToken({ scope: SCOPE, consent, iss: h.issuer.issuer })
    expect(await h.outcome(pair(await at(), foreign))).toBe('token_key_unknown')
    const foreignIss = await h.issuer.consentToken({ scope: SCOPE, consent, iss: other.issuer })
    expect(await h.outcome(pair(await at(), foreignIss))).toBe('token_issuer_invalid')
  })
  it('BND-04 slot swap and doubling', async () => {
    const access = await at()
    const consentToken = await ct({ scope: SCOPE })
    expect(await h.outcome(pair(consentToken, access))).toBe('consent_missing')
    expect(await h.outcome(pair(access, access))).toBe('consent_missing')
    expect(await h.outcome(pair(consentToken, consentToken))).toBe('accepted')
  })
  it('BND-05 delegation: consent must be given to the consumer, suppliers must agree', async () => {
    const delegated = { consumer: CONSUMER, supplier: SUPPLIER }
    expect(await h.outcome(pair(await at(delegated), await ct({ ...delegated, consent: { ...consent, to: SUPPLIER } })))).toBe(
      'consent_not_for_consumer',
    )
    expect(await h.outcome(pair(await at(delegated), await ct(delegated)))).toBe('accepted')
    expect(await h.outcome(pair(await at(delegated), await ct({ consumer: CONSUMER, supplier: OTHER_ORG })))).toBe('token_binding_mismatch')
    expect(await h.outcome(pair(await at(delegated), await ct()))).toBe('token_binding_mismatch')
    const deny = {
      scope: SCOPE,
      resource: RESOURCE,
      subject: (r: { params: Record<string, string | undefined> }) => r.params.personId,
      metadata: { inntektsaar: { equals: '2023' } },
      delegation: 'deny' as const,
    }
    expect(await h.outcome(pair(await at(delegated), await ct(delegated)), {}, deny)).toBe('supplier_not_allowed')
  })
  it('BND-07 expired consent token with a fresh access token → 401', async () => {
    expect(await h.outcome(pair(await at(), await ct({ iat: NOW - 200, exp: NOW - 60 })))).toBe('token_expired')
  })
  it('BND-08 consent header missing → 403 consent_missing', async () => {
    expect(await h.outcome(pair(await at()))).toBe('consent_missing')
  })
  it('BND-10 consent header without an access token → 401 credentials_missing', async () => {
    expect(await h.outcome({ AltinnSamtykke: await ct() })).toBe('credentials_missing')
  })
})

describe('ISS-08 delegation source policy', () => {
  it('refuses delegated tokens from an unexpected delegation_source', async () => {
    const strict = await createHarness({ delegationSources: ['https://www.altinn.no'] }, h.issuer)
    const token = (source?: string) =>
      h.issuer.consentToken({ scope: SCOPE, consent, supplier: SUPPLIER, ...(source !== undefined && { delegation_source: source }) })
    expect(await strict.outcome(strict.bearer(await token('https://tt02.altinn.no/')))).toBe('supplier_not_allowed')
    expect(await strict.outcome(strict.bearer(await token('https://www.altinn.no')))).toBe('accepted')
    const noSource = await h.issuer.consentToken({ scope: SCOPE, consent, supplier: SUPPLIER, extra: { delegation_source: undefined } })
    expect(await strict.outcome(strict.bearer(noSource))).toBe('supplier_not_allowed')
  })
})

describe('consumer allow-list', () => {
  const route = (consumers: readonly string[] | ((c: string) => boolean | Promise<boolean>)) => ({
    scope: SCOPE,
    resource: RESOURCE,
    subject: (r: { params: Record<string, string | undefined> }) => r.params.personId,
    metadata: { inntektsaar: { equals: '2023' } },
    consumers,
  })
  it('allows listed consumers and refuses others', async () => {
    const single = await createHarness({}, h.issuer)
    const token = single.bearer(await single.token())
    expect(await single.outcome(token, {}, route([CONSUMER]))).toBe('accepted')
    expect(await single.outcome(token, {}, route([OTHER_ORG]))).toBe('consumer_not_allowed')
    expect(
      await single.outcome(
        token,
        {},
        route(async (c) => c === CONSUMER),
      ),
    ).toBe('accepted')
    expect(
      await single.outcome(
        token,
        {},
        route(async () => false),
      ),
    ).toBe('consumer_not_allowed')
    expect(
      await single.outcome(
        token,
        {},
        route(async () => {
          throw new Error('access list down')
        }),
      ),
    ).toBe('consumer_check_unavailable')
  })
})

describe('consumer allow-list that never answers', () => {
  it('ends in 503 consumer_check_unavailable after consumerCheckTimeoutMs', async () => {
    const slow = await createHarness({ consumerCheckTimeoutMs: 100 }, h.issuer)
    const route = {
      scope: SCOPE,
      resource: RESOURCE,
      subject: (r: { params: Record<string, string | undefined> }) => r.params.personId,
      metadata: { inntektsaar: { equals: '2023' } },
      consumers: () => new Promise<boolean>(() => undefined),
    }
    const started = Date.now()
    expect(await slow.outcome(slow.bearer(await slow.token()), {}, route)).toBe('consumer_check_unavailable')
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
