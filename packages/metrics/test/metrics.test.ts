import { createConsentGuard, headersFromRecord, publishCacheEvent } from '@consent-guard/core'
import { createTestIssuer, TEST_IDENTITIES, type TestIssuer } from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsentGuardMetrics } from '../src/index.js'

const { personA, personB } = TEST_IDENTITIES
let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer()
})
afterAll(() => issuer.close())

/** The value of one sample line, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const line = text.split('\n').find((l) => l.startsWith(name + '{') && want.every((w) => l.includes(w)))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

describe('@consent-guard/metrics', () => {
  it('counts decisions by outcome, code and resource, times checks, tracks key sets and stores; no personal data', async () => {
    const guard = createConsentGuard({ maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } })
    const metrics = createConsentGuardMetrics({ guard })
    try {
      expect(sample(await metrics.metrics(), 'consent_guard_key_set_state', { key_set: 'maskinporten', state: 'unavailable' })).toBe(1)
      const route = guard.compile<{ personId: string }>({
        scope: 'example:income',
        resource: 'example-income',
        subject: (r) => r.personId,
        oneTime: true,
      })
      const token = await issuer.consentToken({ scope: 'example:income', consent: { resource: 'example-income' } })
      const check = (personId: string) =>
        guard.check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { personId } }, route).then(
          () => 'ok',
          (e: { code: string }) => e.code,
        )
      expect(await check(personA)).toBe('ok')
      expect(await check(personB)).toBe('consent_subject_mismatch')
      expect(await check(personA)).toBe('consent_already_used')
      publishCacheEvent({ cache: 'token', hit: true })
      const text = await metrics.metrics()
      expect(sample(text, 'consent_guard_decisions_total', { outcome: 'accepted', code: 'none', resource: 'example-income' })).toBe(1)
      expect(sample(text, 'consent_guard_decisions_total', { outcome: 'rejected', code: 'consent_subject_mismatch' })).toBe(1)
      expect(sample(text, 'consent_guard_decisions_total', { outcome: 'rejected', code: 'consent_already_used' })).toBe(1)
      expect(sample(text, 'consent_guard_check_duration_seconds_count', { outcome: 'accepted', resource: 'example-income' })).toBe(1)
      expect(sample(text, 'consent_guard_key_set_fetches_total', { key_set: 'maskinporten', outcome: 'ok' })).toBe(1)
      expect(sample(text, 'consent_guard_key_set_state', { key_set: 'maskinporten', state: 'fresh' })).toBe(1)
      expect(sample(text, 'consent_guard_key_set_state', { key_set: 'maskinporten', state: 'unavailable' })).toBe(0)
      expect(sample(text, 'consent_guard_store_duration_seconds_count', { operation: 'markUsed', outcome: 'ok' })).toBeGreaterThanOrEqual(2)
      expect(sample(text, 'consent_guard_cache_lookups_total', { cache: 'token', result: 'hit' })).toBe(1)
      for (const secret of [personA, personB, ...token.split('.')]) expect(text).not.toContain(secret)
      expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/)
    } finally {
      metrics.close()
    }
  })

  it('counts key-set failures by cause and store failures', async () => {
    const down = await createTestIssuer()
    down.server.setBehaviour('status500')
    const failing = {
      markUsed: () => Promise.reject(new Error('redis down')),
      release: () => Promise.resolve(),
    }
    const guard = createConsentGuard({ maskinporten: { issuer: down.issuer, jwksUri: down.jwksUri }, store: failing })
    const metrics = createConsentGuardMetrics({ guard })
    try {
      await guard.ready().catch(() => undefined)
      down.server.setBehaviour('ok')
      await new Promise((r) => setTimeout(r, 1000))
      await guard.ready()
      const route = guard.compile<{ personId: string }>({
        scope: 'example:income',
        resource: 'loan',
        subject: (r) => r.personId,
        oneTime: true,
      })
      const token = await down.consentToken({ scope: 'example:income', consent: { resource: 'loan' } })
      const code = await guard
        .check({ headers: headersFromRecord({ authorization: `Bearer ${token}` }), request: { personId: personA } }, route)
        .catch((e: { code: string }) => e.code)
      expect(code).toBe('store_unavailable')
      const text = await metrics.metrics()
      expect(sample(text, 'consent_guard_key_set_failures_total', { key_set: 'maskinporten', cause: 'http_status' })).toBe(1)
      expect(sample(text, 'consent_guard_store_failures_total', { operation: 'markUsed' })).toBe(1)
      expect(sample(text, 'consent_guard_decisions_total', { outcome: 'rejected', code: 'store_unavailable', resource: 'loan' })).toBe(1)
    } finally {
      metrics.close()
      await down.close()
    }
  })
})
