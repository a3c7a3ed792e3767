import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsentRequirement } from '@consent-guard/core'
import { createHarness, FNR_A, RESOURCE, SCOPE, type FakeRequest, type Harness } from './support.js'

// Issue 11 #8: period rules take month (`YYYY-MM`) and day (`YYYY-MM-DD`) bounds with one
// containment rule: every bound stands for whole days, the consent's days must contain the request's.
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const periodRoute: ConsentRequirement<FakeRequest> = {
  scope: SCOPE,
  resource: RESOURCE,
  subject: (r) => r.params.personId,
  period: {
    start: 'fraogmed',
    end: 'tilogmed',
    requested: (r) => (r.params.from === undefined ? undefined : { from: r.params.from, to: r.params.to ?? r.params.from }),
  },
}
const run = async (fraogmed: string, tilogmed: string, from: string, to?: string) =>
  h.outcome(
    h.bearer(
      await h.issuer.consentToken({
        scope: SCOPE,
        consent: { from: { person: FNR_A }, resource: RESOURCE, metadata: { fraogmed, tilogmed } },
      }),
    ),
    { from, to },
    periodRoute,
  )

describe('period bounds: months and days', () => {
  it.each([
    ['day consent, day request inside', '2023-01-01', '2023-12-31', '2023-06-15', undefined],
    ['day consent covering whole months, month request', '2023-01-01', '2023-12-31', '2023-06', '2023-12'],
    ['month consent, day request inside', '2023-01', '2023-06', '2023-06-30', undefined],
    ['month consent, day range from the first to the last day', '2023-01', '2023-06', '2023-01-01', '2023-06-30'],
    ['mixed bounds', '2023-01', '2023-06-15', '2023-02', '2023-06-15'],
    ['leap day', '2024-02', '2024-02', '2024-02-29', undefined],
  ])('%s: accepted', async (_name, fra, til, from, to) => {
    expect(await run(fra, til, from, to)).toBe('accepted')
  })

  it.each([
    ['month request wider than a day consent inside the month', '2023-06-10', '2023-06-20', '2023-06', undefined],
    ['day request before the consent', '2023-06-10', '2023-06-20', '2023-06-09', undefined],
    ['day request after a month consent', '2023-01', '2023-06', '2023-07-01', undefined],
    ['day consent ending before the month ends', '2023-01-01', '2023-06-29', '2023-06', undefined],
    ['reversed day consent', '2023-06-20', '2023-06-10', '2023-06-15', undefined],
  ])('%s: 403', async (_name, fra, til, from, to) => {
    expect(await run(fra, til, from, to)).toBe('consent_metadata_mismatch')
  })

  it.each([
    ['2023-06-31'],
    ['2023-02-29'],
    ['2023-6-01'],
    ['2023-06-1'],
    ['20230601'],
    ['2023-06-01T00:00:00Z'],
    ['2023-06-01 '],
    ['2023'],
    ['2023-W23'],
  ])('a consent bound %j is refused with the 403 code', async (bad) => {
    expect(await run(bad, '2023-12-31', '2023-07-01')).toBe('consent_metadata_mismatch')
    expect(await run('2023-01-01', bad, '2023-01-02')).toBe('consent_metadata_mismatch')
  })

  it.each([['2023-06-31'], ['2023-6-1'], ['2023-06-01T00:00:00Z']])('a requested bound %j is 400', async (bad) => {
    expect(await run('2023-01', '2023-12', bad)).toBe('request_parameter_invalid')
  })
  it('a requested day range ending before it starts is 400', async () => {
    expect(await run('2023-01', '2023-12', '2023-06-15', '2023-06-14')).toBe('request_parameter_invalid')
    expect(await run('2023-01', '2023-12', '2023-06-15', '2023-06')).toBe('accepted')
  })
})
