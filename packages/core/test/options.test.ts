import { describe, expect, it } from 'vitest'
import {
  ConsentGuardConfigError,
  createConsentGuard,
  MemoryConsentUseStore,
  type ConsentGuardConfigErrorCode,
  type ConsentGuardOptions,
} from '@consent-guard/core'
import { resolveOptions } from '@consent-guard/core/pipeline'

// Every start-up rule of the guard's options has a row here that fails when the rule is removed:
// each bad value differs from a good baseline in one place only.
const base: ConsentGuardOptions = { maskinporten: { issuer: 'https://issuer.example/', jwksUri: 'https://issuer.example/jwk' } }
const mp = (jwksUri: string, issuer = 'https://issuer.example/'): Partial<ConsentGuardOptions> => ({ maskinporten: { issuer, jwksUri } })

const refuse = (options: unknown): ConsentGuardConfigError => {
  try {
    resolveOptions(options as ConsentGuardOptions)
  } catch (err) {
    expect(err).toBeInstanceOf(ConsentGuardConfigError)
    return err as ConsentGuardConfigError
  }
  throw new Error('accepted')
}

describe('resolveOptions: defaults', () => {
  it('fills in the documented defaults', () => {
    const r = resolveOptions(base)
    expect(r).toMatchObject({
      issuer: 'https://issuer.example/',
      consentHeader: undefined,
      altinn2JwksUri: undefined,
      altinn2MaxTokenAge: 120,
      algorithms: ['RS256', 'RS384', 'RS512'],
      clockTolerance: 10,
      maxTokenAge: 3600,
      audience: undefined,
      requireAudience: false,
      delegationSources: undefined,
      consumerAuthorities: new Set(),
      realm: 'consent-guard',
      storeTimeoutMs: 1000,
      consumerCheckTimeoutMs: 1000,
      oneTimeMaxTtl: 3 * 366 * 86_400,
    })
    expect(r.jwksUri.href).toBe('https://issuer.example/jwk')
    expect(r.clock()).toBeInstanceOf(Date)
    expect(Object.isFrozen(r)).toBe(true)
  })
  it('resolves the Maskinporten and Altinn 2 presets', () => {
    expect(resolveOptions({ maskinporten: 'prod' })).toMatchObject({ issuer: 'https://maskinporten.no/' })
    expect(resolveOptions({ maskinporten: 'test' }).jwksUri.href).toBe('https://test.maskinporten.no/jwk')
    const a2 = resolveOptions({ ...base, consentHeader: 'AltinnSamtykke', altinn2: 'tt02' })
    expect(a2.altinn2JwksUri?.href).toBe('https://tt02.altinn.no/api/metadata/jwk')
  })
  it('normalises what it keeps', () => {
    const r = resolveOptions({ ...base, consentHeader: 'AltinnSamtykke', audience: 'https://api.example/', delegationSources: ['x'] })
    expect(r.consentHeader).toBe('altinnsamtykke')
    expect(r.audience).toEqual(['https://api.example/'])
    expect([...(r.delegationSources ?? [])]).toEqual(['x'])
  })
  it('accepts the boundaries of every range', () => {
    expect(resolveOptions({ ...base, clockTolerance: 0 }).clockTolerance).toBe(0)
    expect(resolveOptions({ ...base, clockTolerance: 60 }).clockTolerance).toBe(60)
    expect(resolveOptions({ ...base, maxTokenAge: 86_400 }).maxTokenAge).toBe(86_400)
    expect(resolveOptions({ ...base, altinn2MaxTokenAge: 3600 }).altinn2MaxTokenAge).toBe(3600)
    expect(
      resolveOptions({ ...base, algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'RS384', 'RS512', 'PS384', 'PS512'] }).algorithms,
    ).toHaveLength(8)
    expect(resolveOptions({ ...base, keys: { staleIfErrorMs: 0, cooldownMs: 0, maxKeys: 1 } })).toBeDefined()
  })
  it('allows http key sets on loopback addresses only', () => {
    for (const uri of ['http://127.0.0.1:8080/jwk', 'http://127.10.0.1/jwk', 'http://[::1]:9/jwk', 'http://localhost/jwk']) {
      expect(resolveOptions({ ...base, ...mp(uri) }).jwksUri.href).toBe(new URL(uri).href)
    }
  })
})

const bad: [string, unknown, ConsentGuardConfigErrorCode, RegExp][] = [
  ['options not an object', null, 'option_invalid', /options must be an object/],
  [
    'a misspelt option (consentheader)',
    { ...base, consentheader: 'AltinnSamtykke' },
    'option_unknown',
    /unknown option "consentheader" \(did you mean "consentHeader"\?\)/,
  ],
  ['an unknown option', { ...base, cacheKeys: true }, 'option_unknown', /unknown option "cacheKeys"$/],
  [
    'an unknown maskinporten field',
    { maskinporten: { issuer: 'https://i/', jwksUri: 'https://i/jwk', jwks: 'x' } },
    'option_unknown',
    /"maskinporten\.jwks"/,
  ],
  ['an unknown environment', { maskinporten: 'production' }, 'option_invalid', /"maskinporten" must be/],
  ['an empty issuer', { ...base, ...mp('https://i/jwk', '') }, 'option_invalid', /"maskinporten\.issuer"/],
  ['an issuer with spaces', { ...base, ...mp('https://i/jwk', ' https://i/') }, 'option_invalid', /"maskinporten\.issuer"/],
  ['a key-set URL that is no URL', { ...base, ...mp('not a url') }, 'option_invalid', /"jwksUri" is not a URL/],
  ['an http key set on a public host', { ...base, ...mp('http://issuer.example/jwk') }, 'option_invalid', /must use https/],
  ['an http key set on a private address', { ...base, ...mp('http://10.0.0.1/jwk') }, 'option_invalid', /must use https/],
  ['an http key set on 0.0.0.0', { ...base, ...mp('http://0.0.0.0/jwk') }, 'option_invalid', /must use https/],
  [
    'a key-set URL with credentials',
    { ...base, ...mp('https://u:p@issuer.example/jwk') },
    'option_invalid',
    /credentials, a query or a fragment/,
  ],
  [
    'a key-set URL with a query',
    { ...base, ...mp('https://issuer.example/jwk?x=1') },
    'option_invalid',
    /credentials, a query or a fragment/,
  ],
  [
    'a key-set URL with a fragment',
    { ...base, ...mp('https://issuer.example/jwk#k') },
    'option_invalid',
    /credentials, a query or a fragment/,
  ],
  ['another scheme', { ...base, ...mp('ftp://issuer.example/jwk') }, 'option_invalid', /must use https/],
  [
    'a consent header that is no header name',
    { ...base, consentHeader: 'Altinn Samtykke' },
    'option_invalid',
    /"consentHeader" must be an HTTP header name/,
  ],
  ['Authorization as consent header', { ...base, consentHeader: 'Authorization' }, 'option_invalid', /must not be Authorization/],
  [
    'authorization in any case as consent header',
    { ...base, consentHeader: 'AUTHORIZATION' },
    'option_invalid',
    /must not be Authorization/,
  ],
  ['altinn2 without a consent header', { ...base, altinn2: 'tt02' }, 'option_invalid', /"altinn2" needs "consentHeader"/],
  ['an unknown altinn2 preset', { ...base, consentHeader: 'A', altinn2: 'test' }, 'option_invalid', /"altinn2" must be/],
  [
    'an http altinn2 key set',
    { ...base, consentHeader: 'A', altinn2: { jwksUri: 'http://altinn.example/jwk' } },
    'option_invalid',
    /must use https/,
  ],
  [
    'an unknown altinn2 field',
    { ...base, consentHeader: 'A', altinn2: { jwksUri: 'https://a/jwk', issuer: 'x' } },
    'option_unknown',
    /"altinn2\.issuer"/,
  ],
  ['altinn2MaxTokenAge 0', { ...base, altinn2MaxTokenAge: 0 }, 'option_invalid', /"altinn2MaxTokenAge"/],
  ['altinn2MaxTokenAge above an hour', { ...base, altinn2MaxTokenAge: 3601 }, 'option_invalid', /"altinn2MaxTokenAge"/],
  ['a symmetric algorithm', { ...base, algorithms: ['HS256'] }, 'option_invalid', /"algorithms" must list asymmetric/],
  ['alg none', { ...base, algorithms: ['RS256', 'none'] }, 'option_invalid', /"algorithms"/],
  ['an empty algorithm list', { ...base, algorithms: [] }, 'option_invalid', /"algorithms"/],
  ['algorithms not a list', { ...base, algorithms: 'RS256' }, 'option_invalid', /"algorithms"/],
  ['clockTolerance above the 60 s cap', { ...base, clockTolerance: 61 }, 'option_invalid', /"clockTolerance" must be 0-60 seconds/],
  ['a negative clockTolerance', { ...base, clockTolerance: -1 }, 'option_invalid', /"clockTolerance"/],
  ['clockTolerance NaN', { ...base, clockTolerance: Number.NaN }, 'option_invalid', /"clockTolerance"/],
  ['maxTokenAge 0', { ...base, maxTokenAge: 0 }, 'option_invalid', /"maxTokenAge"/],
  ['maxTokenAge above a day', { ...base, maxTokenAge: 86_401 }, 'option_invalid', /"maxTokenAge"/],
  ['an empty audience list', { ...base, audience: [] }, 'option_invalid', /"audience"/],
  ['an empty audience', { ...base, audience: '' }, 'option_invalid', /"audience"/],
  ['requireAudience without audience', { ...base, requireAudience: true }, 'option_invalid', /"requireAudience" needs "audience"/],
  ['a realm with a quote', { ...base, realm: 'a"b' }, 'option_invalid', /"realm"/],
  ['a realm with a backslash', { ...base, realm: 'a\\b' }, 'option_invalid', /"realm"/],
  ['an empty realm', { ...base, realm: '' }, 'option_invalid', /"realm"/],
  ['a realm with a line break', { ...base, realm: 'a\r\nX: y' }, 'option_invalid', /"realm"/],
  ['storeTimeoutMs 0', { ...base, storeTimeoutMs: 0 }, 'option_invalid', /"storeTimeoutMs"/],
  ['consumerCheckTimeoutMs Infinity', { ...base, consumerCheckTimeoutMs: Infinity }, 'option_invalid', /"consumerCheckTimeoutMs"/],
  ['oneTimeMaxTtl negative', { ...base, oneTimeMaxTtl: -1 }, 'option_invalid', /"oneTimeMaxTtl"/],
  ['delegationSources not strings', { ...base, delegationSources: [1] }, 'option_invalid', /"delegationSources"/],
  ['delegationSources a string', { ...base, delegationSources: 'https://www.altinn.no' }, 'option_invalid', /"delegationSources"/],
  ['keys not an object', { ...base, keys: 5 }, 'option_invalid', /"keys" must be an object/],
  ['an unknown keys option', { ...base, keys: { timeout: 100 } }, 'option_unknown', /unknown option "keys\.timeout"$/],
  ['a misspelt keys option', { ...base, keys: { staleIfErrorMS: 0 } }, 'option_unknown', /did you mean "keys\.staleIfErrorMs"/],
  ['keys.timeoutMs 0', { ...base, keys: { timeoutMs: 0 } }, 'option_invalid', /"keys\.timeoutMs"/],
  ['keys.cooldownMs negative', { ...base, keys: { cooldownMs: -1 } }, 'option_invalid', /"keys\.cooldownMs"/],
  ['keys.cacheMaxAgeMs a string', { ...base, keys: { cacheMaxAgeMs: '600000' } }, 'option_invalid', /"keys\.cacheMaxAgeMs"/],
  ['keys.staleIfErrorMs NaN', { ...base, keys: { staleIfErrorMs: Number.NaN } }, 'option_invalid', /"keys\.staleIfErrorMs"/],
  ['keys.maxResponseBytes a fraction', { ...base, keys: { maxResponseBytes: 1.5 } }, 'option_invalid', /"keys\.maxResponseBytes"/],
  ['keys.maxKeys 0', { ...base, keys: { maxKeys: 0 } }, 'option_invalid', /"keys\.maxKeys"/],
  ['keys.fetch not a function', { ...base, keys: { fetch: 'fetch' } }, 'option_invalid', /"keys\.fetch"/],
  ['an unknown altinn2Keys option', { ...base, altinn2Keys: { maxkeys: 3 } }, 'option_unknown', /"altinn2Keys\.maxkeys"/],
  ['altinn2Keys.timeoutMs negative', { ...base, altinn2Keys: { timeoutMs: -5 } }, 'option_invalid', /"altinn2Keys\.timeoutMs"/],
  ['a logger without info', { ...base, logger: { log: () => undefined } }, 'option_invalid', /"logger"/],
  ['onDecision not a function', { ...base, onDecision: true }, 'option_invalid', /"onDecision"/],
  ['clock not a function', { ...base, clock: new Date() }, 'option_invalid', /"clock"/],
  ['a store without release', { ...base, store: { markUsed: async () => true } }, 'option_invalid', /"store"/],
]

describe('resolveOptions: every start-up rule', () => {
  it.each(bad)('refuses %s', (_name, options, code, message) => {
    const err = refuse(options)
    expect(err.code).toBe(code)
    expect(err.name).toBe('ConsentGuardConfigError')
    expect(err.message).toMatch(/^consent-guard options: /)
    expect(err.message).toMatch(message)
  })

  it('createConsentGuard validates before it builds anything', () => {
    expect(() => createConsentGuard({ ...base, consentheader: 'AltinnSamtykke' } as ConsentGuardOptions)).toThrow(ConsentGuardConfigError)
    expect(() => createConsentGuard({ ...base, clockTolerance: 120 })).toThrow(/"clockTolerance"/)
  })

  it('accepts every documented option at once', () => {
    const all: Required<ConsentGuardOptions> = {
      maskinporten: 'test',
      consentHeader: 'AltinnSamtykke',
      altinn2: 'tt02',
      altinn2Keys: { timeoutMs: 1000 },
      altinn2MaxTokenAge: 60,
      algorithms: ['RS256'],
      clockTolerance: 5,
      maxTokenAge: 600,
      audience: ['https://api.example/'],
      requireAudience: true,
      keys: { timeoutMs: 1, cooldownMs: 2, cacheMaxAgeMs: 3, staleIfErrorMs: 4, maxResponseBytes: 5, maxKeys: 6, fetch: globalThis.fetch },
      delegationSources: ['https://www.altinn.no'],
      consumerAuthorities: ['etsi-en-319-412'],
      realm: 'skatt',
      logger: { info: () => undefined },
      onDecision: () => undefined,
      auditKey: 'secret',
      store: new MemoryConsentUseStore(),
      storeTimeoutMs: 500,
      consumerCheckTimeoutMs: 500,
      oneTimeMaxTtl: 86_400,
      onDisclosure: () => undefined,
      disclosureMode: 'fire-and-forget',
      disclosureTimeoutMs: 500,
      clock: () => new Date(),
      tokenCache: { maxEntries: 100 },
      overload: {
        maxInFlight: 8,
        maxQueued: 16,
        queueTimeoutMs: 250,
        retryAfterSeconds: 2,
        maxEventLoopDelayMs: 200,
        maxVerificationsPerTurn: 16,
      },
      correlationHeader: 'Korrelasjonsid',
    }
    expect(resolveOptions(all).realm).toBe('skatt')
    expect(resolveOptions(all).correlationHeader).toBe('korrelasjonsid')
    expect(resolveOptions(all).tokenCache).toEqual({ maxEntries: 100 })
    expect(resolveOptions(all).overload).toEqual({
      maxInFlight: 8,
      maxQueued: 16,
      queueTimeoutMs: 250,
      retryAfterSeconds: 2,
      maxEventLoopDelayMs: 200,
      maxVerificationsPerTurn: 16,
    })
  })
})
