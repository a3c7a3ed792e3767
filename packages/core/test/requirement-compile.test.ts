import { describe, expect, it } from 'vitest'
import { ConsentGuardConfigError, type ConsentRequirement } from '@consent-guard/core'
import { compileRequirement } from '@consent-guard/core/pipeline'

const base: ConsentRequirement<{ id?: string }> = { resource: 'example-income', subject: (r) => r.id }

// A bad requirement must fail when the app starts, with a message naming the field.
describe('compileRequirement', () => {
  it('compiles a minimal requirement with defaults', () => {
    const c = compileRequirement(base)
    expect(c).toMatchObject({ resource: 'example-income', action: 'consent', delegation: 'allow', oneTime: false, scope: undefined })
    expect(Object.isFrozen(c)).toBe(true)
  })
  it('normalises scope forms', () => {
    expect(compileRequirement({ ...base, scope: 'a:b' }).scope).toEqual({ mode: 'all', scopes: ['a:b'] })
    expect(compileRequirement({ ...base, scope: { all: ['a', 'b'] } }).scope).toEqual({ mode: 'all', scopes: ['a', 'b'] })
    expect(compileRequirement({ ...base, scope: { any: ['a', 'b'] } }).scope).toEqual({ mode: 'any', scopes: ['a', 'b'] })
  })
  it('lower-cases metadata keys and records known keys', () => {
    const c = compileRequirement({
      ...base,
      metadata: { InntektsAar: { equals: '2024' }, formaal: { any: true } },
      period: { start: 'fraOgMed', end: 'tilOgMed', requested: () => '2024-01' },
    })
    expect([...c.knownKeys].sort()).toEqual(['formaal', 'fraogmed', 'inntektsaar', 'tilogmed'])
  })
  const bad: [string, unknown, RegExp][] = [
    ['typo in a field name', { ...base, resorce: 'x' }, /unknown field "resorce"/],
    ['missing resource', { subject: base.subject }, /"resource"/],
    ['resource with spaces', { ...base, resource: 'a b' }, /"resource"/],
    ['subject not a function', { ...base, subject: 'id' }, /"subject"/],
    ['subjectType unknown', { ...base, subjectType: 'company' }, /"subjectType"/],
    ['empty scope list', { ...base, scope: { all: [] } }, /at least one scope/],
    ['scope with a quote', { ...base, scope: 'a"b' }, /invalid scope/],
    ['scope with a space', { ...base, scope: 'a b' }, /invalid scope/],
    ['scope with all and any', { ...base, scope: { all: ['a'], any: ['b'] } }, /"scope" must be/],
    ['metadata rule without a kind', { ...base, metadata: { inntektsaar: {} } }, /exactly one of/],
    ['metadata rule with two kinds', { ...base, metadata: { inntektsaar: { equals: 'x', any: true } } }, /exactly one of/],
    ['metadata key twice by case', { ...base, metadata: { inntektsaar: { any: true }, INNTEKTSAAR: { any: true } } }, /declared twice/],
    ['equals of a wrong type', { ...base, metadata: { inntektsaar: { equals: 2024 } } }, /equals/],
    ['check not a function', { ...base, metadata: { inntektsaar: { check: true } } }, /check/],
    ['period with equal keys', { ...base, period: { start: 'a', end: 'A', requested: () => undefined } }, /must differ/],
    [
      'period key also a rule',
      { ...base, metadata: { fraogmed: { any: true } }, period: { start: 'fraogmed', end: 'tilogmed', requested: () => undefined } },
      /both a rule and a period/,
    ],
    ['consumer not an orgno', { ...base, consumers: ['12345'] }, /9-digit/],
    ['delegation unknown', { ...base, delegation: 'maybe' }, /"delegation"/],
    ['oneTime not boolean', { ...base, oneTime: 'yes' }, /"oneTime"/],
    ['action empty', { ...base, action: '' }, /"action"/],
  ]
  it.each(bad)('refuses %s', (_name, requirement, message) => {
    expect(() => compileRequirement(requirement as ConsentRequirement)).toThrow(ConsentGuardConfigError)
    expect(() => compileRequirement(requirement as ConsentRequirement, 'GET /x')).toThrow(message)
  })
  const unknownFields: [string, unknown, RegExp][] = [
    ['a misspelt top-level field', { ...base, onetime: true }, /unknown field "onetime"$/],
    ['an unknown altinn2 field', { ...base, altinn2: { serviceCode: '4629', serviceEdition: '2', edition: '1' } }, /"altinn2\.edition"/],
    ['an unknown scope field', { ...base, scope: { all: ['a:b'], some: ['c:d'] } }, /"scope\.some"/],
    [
      'an unknown metadata rule field',
      { ...base, metadata: { inntektsaar: { equals: '2024', optional: true } } },
      /"metadata\.inntektsaar\.optional"/,
    ],
    [
      'an unknown period field',
      { ...base, period: { start: 'a', end: 'b', requested: () => '2024-01', inclusive: true } },
      /"period\.inclusive"/,
    ],
  ]
  it.each(unknownFields)('refuses %s with code requirement_field_unknown', (_name, requirement, message) => {
    let err: unknown
    try {
      compileRequirement(requirement as ConsentRequirement, 'GET /x')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConsentGuardConfigError)
    expect((err as ConsentGuardConfigError).code).toBe('requirement_field_unknown')
    expect((err as ConsentGuardConfigError).message).toMatch(/^GET \/x: /)
    expect((err as ConsentGuardConfigError).message).toMatch(message)
  })
  it('gives a bad value the code requirement_invalid', () => {
    expect(() => compileRequirement({ ...base, resource: '' })).toThrow(expect.objectContaining({ code: 'requirement_invalid' }))
  })
  it('names the route in the message', () => {
    expect(() => compileRequirement({ ...base, resource: '' }, 'GET /income/:year')).toThrow(/^GET \/income\/:year: /)
  })
})
