import {
  bindingOf,
  createConsentGuard,
  fromHeader,
  fromParam,
  fromQuery,
  headersFromRecord,
  isConsentGuardError,
  period,
} from '@consent-guard/core'
import { createTestIssuer, type TestIssuer } from '@consent-guard/testkit'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { FNR_A, NOW, RESOURCE, SCOPE } from './support.js'

interface Req {
  params: Record<string, string>
  query: Record<string, string | string[] | undefined>
  headers: Record<string, string | string[] | undefined>
}

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ now: NOW })
})
afterAll(() => issuer.close())

describe('binding helpers', () => {
  it('read the named path parameter, query parameter and header, and say where from', () => {
    const req: Req = { params: { personId: FNR_A }, query: { year: '2023', many: ['a', 'b'] }, headers: { 'x-person-id': FNR_A } }
    expect(fromParam('personId')(req)).toBe(FNR_A)
    expect(fromQuery('year')(req)).toBe('2023')
    expect(fromHeader('X-Person-Id')(req)).toBe(FNR_A)
    expect(fromQuery('nope')(req)).toBeUndefined()
    // A repeated parameter is passed on as sent, for the guard to refuse.
    expect(fromQuery('many')(req)).toEqual(['a', 'b'])
    // Inherited properties are not parameters.
    expect(fromQuery('toString')(req)).toBeUndefined()
    expect(bindingOf(fromParam('personId'))).toEqual([{ in: 'path', name: 'personId' }])
    expect(bindingOf(fromHeader('X-Person-Id'))).toEqual([{ in: 'header', name: 'x-person-id' }])
    expect(bindingOf(period.fromQuery('fraOgMed', 'tilOgMed'))).toEqual([
      { in: 'query', name: 'fraOgMed' },
      { in: 'query', name: 'tilOgMed' },
    ])
    expect(bindingOf((r: Req) => r.params.personId)).toBeUndefined()
  })

  it('name only parameters the request type declares', () => {
    const typed = (_: (request: { params: { personId: string }; query: { from: string; to: string } }) => unknown) => undefined
    typed(fromParam('personId'))
    // @ts-expect-error `personid` is not a declared path parameter
    typed(fromParam('personid'))
    typed(period.fromQuery('from', 'to'))
    // @ts-expect-error `fom` is not a declared query parameter
    typed(period.fromQuery('fom', 'to'))
    expectTypeOf(period.fromQuery('from', 'to')).returns.toEqualTypeOf<{ readonly from: string; readonly to: string } | undefined>()
  })

  describe('period.fromQuery in a guard', () => {
    const run = async (query: Req['query']) => {
      const guard = createConsentGuard({
        maskinporten: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
        clock: () => new Date(NOW * 1000),
      })
      const compiled = guard.compile<Req>({
        scope: SCOPE,
        resource: RESOURCE,
        subject: fromParam('personId'),
        period: { start: 'fraOgMed', end: 'tilOgMed', requested: period.fromQuery('fraOgMed', 'tilOgMed') },
      })
      const token = await issuer.consentToken({
        scope: SCOPE,
        consent: { from: { person: FNR_A }, resource: RESOURCE, metadata: { fraOgMed: '2024-01', tilOgMed: '2024-12' } },
      })
      try {
        const consent = await guard.check(
          {
            headers: headersFromRecord({ authorization: `Bearer ${token}` }),
            request: { params: { personId: FNR_A }, query, headers: {} },
          },
          compiled,
        )
        return consent.right.metadata
      } catch (err) {
        if (isConsentGuardError(err)) return err.code
        throw err
      }
    }
    it('accepts a period inside the consent', async () => {
      expect(await run({ fraOgMed: '2024-03', tilOgMed: '2024-05' })).toEqual({ fraogmed: '2024-01', tilogmed: '2024-12' })
    })
    it('refuses a period outside (403), a missing or empty bound (400 missing), a repeated or malformed one (400 invalid)', async () => {
      expect(await run({ fraOgMed: '2023-12', tilOgMed: '2024-05' })).toBe('consent_metadata_mismatch')
      expect(await run({ fraOgMed: '2024-03' })).toBe('request_parameter_missing')
      expect(await run({ fraOgMed: '', tilOgMed: '2024-05' })).toBe('request_parameter_missing')
      expect(await run({ fraOgMed: ['2024-03', '2024-04'], tilOgMed: '2024-05' })).toBe('request_parameter_invalid')
      expect(await run({ fraOgMed: '2024-3', tilOgMed: '2024-05' })).toBe('request_parameter_invalid')
    })
  })
})
