import { afterEach, describe, expect, it } from 'vitest'
import { ConsentGuardConfigError, carriesData, createConsentGuard, type DisclosureRecord } from '@consent-guard/core'
import { createHarness, CONSUMER, FNR_A, incomeRoute, NOW_DATE, RESOURCE, SUPPLIER, type Harness } from './support.js'

const facts = { method: 'GET', route: '/income/:year/:personId', status: 200, correlationId: 'req-1' }

describe('disclosure records', () => {
  let h: Harness | undefined
  afterEach(async () => h?.close())

  it('builds the record from the verified consent and the answer', async () => {
    const records: DisclosureRecord[] = []
    h = await createHarness({ onDisclosure: (r) => void records.push(r) })
    const token = await h.issuer.consentToken({
      ...h.tokenOptions(),
      supplier: SUPPLIER,
      jti: 'jti-disclosure-1',
      extra: { delegation_source: 'https://www.altinn.no' },
    })
    const consent = await h.run(h.bearer(token))
    expect(h.guard.disclosure?.mode).toBe('fail-closed')
    expect(await h.guard.disclosure?.record(consent, facts)).toBe(true)
    expect(records).toEqual([
      {
        time: NOW_DATE,
        consentId: consent.id,
        consentKind: 'altinn3',
        subject: { type: 'person', id: FNR_A },
        consumer: CONSUMER,
        supplier: SUPPLIER,
        delegationSource: 'https://www.altinn.no',
        resource: RESOURCE,
        action: 'consent',
        metadata: { inntektsaar: '2023' },
        method: 'GET',
        route: '/income/:year/:personId',
        status: 200,
        correlationId: 'req-1',
        issuer: h.issuer.issuer,
        jti: 'jti-disclosure-1',
        consentTokenJti: undefined,
        legalBasis: 'consent',
        oneTime: false,
      },
    ])
    expect(Object.isFrozen(records[0])).toBe(true)
  })

  it('records only answers that carried data: 2xx, not HEAD', async () => {
    expect([200, 201, 204, 299].map((s) => carriesData('GET', s))).toEqual([true, true, true, true])
    expect([100, 301, 304, 400, 403, 404, 500, 503].some((s) => carriesData('GET', s))).toBe(false)
    expect(carriesData('HEAD', 200)).toBe(false)
    const records: DisclosureRecord[] = []
    h = await createHarness({ onDisclosure: (r) => void records.push(r) })
    const consent = await h.run(h.bearer(await h.token()))
    expect(await h.guard.disclosure?.record(consent, { ...facts, status: 404 })).toBe(false)
    expect(await h.guard.disclosure?.record(consent, { ...facts, method: 'HEAD' })).toBe(false)
    expect(records).toEqual([])
  })

  it('fail-closed: a failing or slow sink is 503 disclosure_log_unavailable, logged without the subject', async () => {
    const lines: object[] = []
    const logger = { info: (o: object) => void lines.push(o), warn: (o: object) => void lines.push(o) }
    h = await createHarness({
      onDisclosure: () => Promise.reject(new Error(`insert failed for ${FNR_A}`)),
      disclosureTimeoutMs: 50,
      logger,
    })
    const consent = await h.run(h.bearer(await h.token()))
    await expect(h.guard.disclosure?.record(consent, facts)).rejects.toMatchObject({ code: 'disclosure_log_unavailable', statusCode: 503 })
    expect(JSON.stringify(lines)).not.toContain(FNR_A)
    expect(lines).toContainEqual(expect.objectContaining({ event: 'consent_guard.disclosure_failed', consentId: consent.id }))

    const slow = await createHarness({ onDisclosure: () => new Promise(() => undefined), disclosureTimeoutMs: 50 }, h.issuer)
    const started = Date.now()
    await expect(slow.guard.disclosure?.record(consent, facts)).rejects.toMatchObject({ code: 'disclosure_log_unavailable' })
    expect(Date.now() - started).toBeLessThan(1000)
    const throwing = await createHarness(
      {
        onDisclosure: () => {
          throw new Error('sync')
        },
      },
      h.issuer,
    )
    await expect(throwing.guard.disclosure?.record(consent, facts)).rejects.toMatchObject({ code: 'disclosure_log_unavailable' })
    // An answer that already left (written past the adapter's hook): logged, never thrown.
    expect(await throwing.guard.disclosure?.record(consent, { ...facts, sent: true })).toBe(false)
  })

  it('fail-closed: a one-time consent whose answer became a 503 stays usable for the retry', async () => {
    let up = false
    h = await createHarness({ onDisclosure: () => (up ? undefined : Promise.reject(new Error('down'))) })
    const oneTime = { ...incomeRoute, oneTime: true }
    const token = await h.token({ jti: 'one-time-1' })
    const first = await h.run(h.bearer(token), {}, oneTime)
    expect(first.oneTime).toBeDefined()
    await expect(h.guard.disclosure?.record(first, facts)).rejects.toMatchObject({ code: 'disclosure_log_unavailable' })
    up = true
    const retry = await h.run(h.bearer(token), {}, oneTime)
    expect(await h.guard.disclosure?.record(retry, facts)).toBe(true)
    // Recorded now: the consent is used up.
    expect(await h.outcome(h.bearer(token), {}, oneTime)).toBe('consent_already_used')
  })

  it('fire-and-forget: a failing sink is logged and the answer stands', async () => {
    const lines: object[] = []
    h = await createHarness({
      onDisclosure: () => Promise.reject(new Error('down')),
      disclosureMode: 'fire-and-forget',
      logger: { info: (o: object) => void lines.push(o) },
    })
    const consent = await h.run(h.bearer(await h.token()))
    expect(await h.guard.disclosure?.record(consent, facts)).toBe(false)
    expect(lines).toContainEqual(expect.objectContaining({ event: 'consent_guard.disclosure_failed', mode: 'fire-and-forget' }))
  })

  it('validates the options at start-up', () => {
    const maskinporten = 'test' as const
    const sink = (): void => undefined
    expect(createConsentGuard({ maskinporten }).disclosure).toBeUndefined()
    for (const bad of [
      { onDisclosure: 'yes' },
      { onDisclosure: sink, disclosureMode: 'sometimes' },
      { onDisclosure: sink, disclosureTimeoutMs: 0 },
      { onDisclosure: sink, disclosureTimeoutMs: 30_001 },
      { onDisclosure: sink, disclosureTimeoutMs: 1.5 },
      { disclosureMode: 'fail-closed' },
      { disclosureTimeoutMs: 100 },
    ]) {
      expect(() => createConsentGuard({ maskinporten, ...(bad as object) })).toThrow(ConsentGuardConfigError)
    }
  })
})
