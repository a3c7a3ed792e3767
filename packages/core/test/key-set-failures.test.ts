import { afterEach, describe, expect, it, vi } from 'vitest'
import { randomUUID } from 'node:crypto'
import { createTestIssuer, signCompact, type JwksBehaviour, type TestIssuer } from '@consent-guard/testkit'
import type { KeySetOptions } from '@consent-guard/core'
import { createHarness, NOW, type Harness } from './support.js'

// Issue 11 #1: a failing key endpoint is remembered, so no client can drive outbound fetches and no
// request waits for a failing endpoint (security.md JWK-06, DOS-08).
const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function setup(keys: Omit<KeySetOptions, 'jwksUri'>): Promise<{ issuer: TestIssuer; h: Harness }> {
  const issuer = await createTestIssuer({ now: NOW })
  open.push(issuer)
  return { issuer, h: await createHarness({ keys }, issuer) }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** A token with a kid nobody published; the signature need not be valid for the kid lookup to run. */
const strangerToken = (issuer: TestIssuer) =>
  signCompact({ alg: 'RS256', kid: `rnd-${randomUUID()}` }, { iss: issuer.issuer }, issuer.signer.privateKey)

describe('a failing key endpoint is fetched at most once per cooldown window', () => {
  it('unknown kids while the endpoint answers 500: one fetch per window, refused at once', async () => {
    const { issuer, h } = await setup({ cooldownMs: 400, cacheMaxAgeMs: 60_000 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    await sleep(450) // past the rotation cooldown of the successful fetch
    issuer.server.setBehaviour('status500')
    for (let i = 0; i < 30; i++) expect(await h.outcome(h.bearer(strangerToken(issuer)))).toBe('token_key_unknown')
    expect(issuer.server.requests).toBe(2)
    expect(h.guard.keySet.state()).toMatchObject({ status: 'stale-serving', lastFailureCause: 'http_status', kids: ['mp-1'] })
    // Known kids still verify from the last good set, without a fetch.
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    expect(issuer.server.requests).toBe(2)
    await sleep(450)
    const more = await Promise.all(Array.from({ length: 10 }, () => h.outcome(h.bearer(strangerToken(issuer)))))
    expect(new Set(more)).toEqual(new Set(['token_key_unknown']))
    expect(issuer.server.requests).toBe(3)
  })

  it('cold start against a failing endpoint: one fetch, then 503 at once whatever the kid', async () => {
    const { issuer, h } = await setup({ cooldownMs: 10_000 })
    issuer.server.setBehaviour('status500')
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
    const results = await Promise.all(Array.from({ length: 20 }, () => h.outcome(h.bearer(strangerToken(issuer)))))
    expect(new Set(results)).toEqual(new Set(['jwks_unavailable']))
    expect(issuer.server.requests).toBe(1)
    const state = h.guard.keySet.state()
    expect(state).toMatchObject({ status: 'failing', lastFailureCause: 'http_status', fetchedAt: undefined, kids: [] })
    expect(state.retryAfter).toBe((state.lastFailureAt ?? 0) + 10_000)
  })

  it.each<[JwksBehaviour, string]>([
    ['down', 'network'],
    ['status500', 'http_status'],
    [{ redirectTo: 'http://127.0.0.1:9/jwk' }, 'http_status'],
    ['html', 'invalid_response'],
    ['not-a-set', 'invalid_response'],
    ['private-members', 'invalid_response'],
    [{ hugeBytes: 200_000 }, 'invalid_response'],
  ])('state() names the cause of %j as %s', async (behaviour, cause) => {
    const { issuer, h } = await setup({ maxResponseBytes: 16 * 1024 })
    issuer.server.setBehaviour(behaviour)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('jwks_unavailable')
    expect(h.guard.keySet.state()).toMatchObject({ status: 'failing', lastFailureCause: cause, refreshing: false })
  })
})

describe('a hanging key endpoint never holds a request', () => {
  it('after the max age, known kids are answered at once while the refresh hangs in the background', async () => {
    const { issuer, h } = await setup({ cacheMaxAgeMs: 100, timeoutMs: 1_500, cooldownMs: 10_000 })
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    expect(h.guard.keySet.state().status).toBe('fresh')
    issuer.server.setBehaviour({ delayMs: 5_000 })
    await sleep(150)
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    // Answered while the fetch it started is still hanging: the request did not wait for it.
    expect(h.guard.keySet.state().refreshing).toBe(true)
    const burst = await Promise.all(Array.from({ length: 20 }, async () => h.outcome(h.bearer(await h.token()))))
    expect(new Set(burst)).toEqual(new Set(['accepted']))
    expect(h.guard.keySet.state().refreshing).toBe(true)
    // The background fetch is on its way; the server may see it a moment after the answers.
    await vi.waitFor(() => expect(issuer.server.requests).toBe(2))

    // The fetch times out: the failure is remembered with its cause.
    await vi.waitFor(() => expect(h.guard.keySet.state()).toMatchObject({ status: 'stale-serving', lastFailureCause: 'timeout' }), {
      timeout: 4_000,
    })
    // Within the window: unknown kids refused at once, known kids accepted, no new fetch.
    for (let i = 0; i < 10; i++) expect(await h.outcome(h.bearer(strangerToken(issuer)))).toBe('token_key_unknown')
    expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
    expect(h.guard.keySet.state().refreshing).toBe(false)
    expect(issuer.server.requests).toBe(2)
  })
})
