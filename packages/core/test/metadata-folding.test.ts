import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsentDetailOptions } from '@consent-guard/testkit'
import { createHarness, FNR_A, RESOURCE, SCOPE, type Harness } from './support.js'

// Issue 11 #3: metadata keys fold as Altinn's .NET ordinal-ignore-case compare agrees with (ASCII
// letters); a key that reads as an expected key only through a non-ASCII case mapping is refused.
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const outcomeOf = async (metadata: Record<string, string>) =>
  h.outcome(
    h.bearer(
      await h.issuer.consentToken({
        scope: SCOPE,
        consent: { from: { person: FNR_A }, resource: RESOURCE, metadata } satisfies ConsentDetailOptions,
      }),
    ),
  )

describe('metadata keys: ASCII case folding only', () => {
  it.each([['inntektsaar'], ['INNTEKTSAAR'], ['InntektsAar']])('%s matches the rule on inntektsaar', async (key) => {
    expect(await outcomeOf({ [key]: '2023' })).toBe('accepted')
  })

  it.each([
    ['U+212A KELVIN SIGN for k', 'innte\u212Atsaar'],
    ['U+212A KELVIN SIGN, upper-case key', 'INNTE\u212ATSAAR'],
    ['U+0130 LATIN CAPITAL I WITH DOT for I', '\u0130nntektsaar'],
    ['U+0131 LATIN SMALL DOTLESS I for i', '\u0131nntektsaar'],
    ['U+017F LATIN SMALL LONG S for s', 'inntekt\u017Faar'],
  ])('%s: refused (403), never read as inntektsaar', async (_name, key) => {
    expect(await outcomeOf({ [key]: '2023' })).toBe('consent_metadata_mismatch')
  })

  it('a look-alike key beside the real one makes the right unusable', async () => {
    expect(await outcomeOf({ inntektsaar: '2023', ['innte\u212Atsaar']: '2023' })).toBe('consent_metadata_mismatch')
  })
})
