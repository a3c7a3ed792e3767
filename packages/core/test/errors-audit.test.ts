import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsentGuardError, ERROR_CODES, maskIdentityNumbers, redactUrlForLog, type ConsentGuardErrorCode } from '@consent-guard/core'
import { SubjectHasher } from '@consent-guard/core/pipeline'
import { createHarness, FNR_A, FNR_B, type Harness } from './support.js'

describe('ConsentGuardError', () => {
  it('maps every code to the status matrix of the error table in docs/core.md', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const err = new ConsentGuardError(code as ConsentGuardErrorCode)
      expect(err.statusCode).toBe(spec.status)
      expect(err.status).toBe(spec.status)
      expect(err.headers['Cache-Control']).toBe('no-store')
      if (spec.status === 503) {
        expect(err.headers['WWW-Authenticate']).toBeUndefined()
        expect(err.headers['Retry-After']).toBe('5')
      } else {
        const expected =
          spec.bearerError === null
            ? 'Bearer realm="consent-guard"'
            : `Bearer realm="consent-guard", error="${spec.bearerError}", error_description="${spec.description}"`
        expect(err.headers['WWW-Authenticate']).toBe(expected)
      }
      expect(
        { 400: 'invalid_request', 401: spec.bearerError === null ? null : 'invalid_token', 403: 'insufficient_scope', 503: null }[
          spec.status
        ],
      ).toBe(spec.bearerError)
    }
  })
  it('names missing scopes in the challenge and uses the configured realm', () => {
    const err = new ConsentGuardError('scope_missing', { realm: 'skatt', scope: ['a:b', 'c:d'] })
    expect(err.headers['WWW-Authenticate']).toBe(
      'Bearer realm="skatt", error="insufficient_scope", error_description="The token lacks a required scope", scope="a:b c:d"',
    )
  })
  it('moves an error into another realm, keeping its code and scope', () => {
    const err = new ConsentGuardError('scope_missing', { scope: ['a:b'] })
    expect(err.withRealm('consent-guard')).toBe(err)
    const moved = err.withRealm('skatt')
    expect(moved.code).toBe('scope_missing')
    expect(moved.headers['WWW-Authenticate']).toBe(
      'Bearer realm="skatt", error="insufficient_scope", error_description="The token lacks a required scope", scope="a:b"',
    )
  })
  it('renders RFC 9457 problem details', () => {
    expect(new ConsentGuardError('consent_expired').toProblem()).toEqual({
      type: 'https://github.com/consent-guard/consent-guard/blob/main/docs/errors.md#consent_expired',
      title: 'Forbidden',
      status: 403,
      detail: 'The consent does not cover this request',
      code: 'consent_expired',
    })
  })
  it('gives every consent mismatch the same description (no oracle, HTTP-13)', () => {
    const codes: ConsentGuardErrorCode[] = [
      'consent_not_for_consumer',
      'consent_subject_mismatch',
      'consent_resource_mismatch',
      'consent_metadata_mismatch',
      'consent_expired',
      'consent_already_used',
    ]
    expect(new Set(codes.map((c) => new ConsentGuardError(c).message)).size).toBe(1)
  })
})

describe('audit events and privacy', () => {
  let h: Harness
  const lines: string[] = []
  beforeAll(async () => {
    h = await createHarness({
      logger: { info: (o, m) => lines.push(JSON.stringify(o) + m), warn: (o, m) => lines.push(JSON.stringify(o) + m) },
      auditKey: 'test-key',
    })
  })
  afterAll(() => h.close())

  it('emits one accepted event with consent facts and a keyed subject hash', async () => {
    h.events.length = 0
    const token = await h.token({ jti: 'jti-accept' })
    const consent = await h.run(h.bearer(token))
    expect(h.events).toHaveLength(1)
    expect(h.events[0]).toEqual({
      event: 'consent_guard.decision',
      decision: 'accepted',
      resource: 'example-income',
      issuer: h.issuer.issuer,
      durationMs: expect.any(Number),
      consentId: consent.id,
      jti: 'jti-accept',
      clientId: consent.token.clientId,
      consumer: consent.consumer,
      consumerIdentifier: { authority: 'iso6523-actorid-upis', id: `0192:${consent.consumer}` },
      subjectType: 'person',
      subjectRef: new SubjectHasher('test-key').ref({ type: 'person', id: FNR_A }),
      metadata: { inntektsaar: '2023' },
    })
  })
  it('emits one rejected event with the reason code', async () => {
    h.events.length = 0
    await h.run(h.bearer(await h.token()), { personId: FNR_B }).catch(() => undefined)
    expect(h.events).toMatchObject([{ decision: 'rejected', code: 'consent_subject_mismatch', subjectType: 'person' }])
  })
  it('LOG-01 no token, payload segment or identity number reaches logs or error messages', async () => {
    lines.length = 0
    const token = await h.token()
    const errors: unknown[] = []
    for (const personId of [FNR_A, FNR_B]) await h.run(h.bearer(token), { personId }).catch((e: unknown) => errors.push(e))
    await h.run(h.bearer(token.slice(0, -3) + 'AAA')).catch((e: unknown) => errors.push(e))
    await h.run(h.bearer(await h.token({ exp: 1, iat: 0 }))).catch((e: unknown) => errors.push(e))
    const text = lines.join('\n') + errors.map((e) => JSON.stringify(e) + String(e) + (e as Error).stack).join('\n')
    expect(lines.length).toBeGreaterThanOrEqual(4)
    for (const secret of [FNR_A, FNR_B, token, token.split('.')[1] as string]) expect(text).not.toContain(secret)
  })
  it('hashes are stable per key and differ between keys', () => {
    const party = { type: 'person' as const, id: FNR_A }
    expect(new SubjectHasher('k').ref(party)).toBe(new SubjectHasher('k').ref(party))
    expect(new SubjectHasher('k').ref(party)).not.toBe(new SubjectHasher('other').ref(party))
    expect(new SubjectHasher('k').ref(party)).not.toContain(FNR_A)
  })
  it('masks 11-digit runs in free text', () => {
    expect(maskIdentityNumbers(`/income/2024/${FNR_A}?x=${FNR_B}`)).toBe('/income/2024/***********?x=***********')
    expect(maskIdentityNumbers('/company/991825827/accounts')).toBe('/company/991825827/accounts')
    expect(maskIdentityNumbers('123456789012')).toBe('************')
  })
  it('redacts access_token query values and identity numbers in URLs for access logs', () => {
    expect(redactUrlForLog(`/income/2024/${FNR_A}?access_token=abc.def.ghi&year=2024`)).toBe(
      '/income/2024/***********?access_token=[redacted]&year=2024',
    )
    expect(redactUrlForLog(`/x?Access%5Ftoken=abc&p=${FNR_B}`)).toBe('/x?Access%5Ftoken=[redacted]&p=***********')
    expect(redactUrlForLog('/health')).toBe('/health')
    expect(redactUrlForLog('/x?AltinnSamtykke=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl&a=1')).toBe(
      '/x?AltinnSamtykke=[redacted]&a=1',
    )
  })
})

describe('realm', () => {
  let h: Harness
  beforeAll(async () => {
    h = await createHarness({ realm: 'skatt' })
  })
  afterAll(() => h.close())

  const challenge = async (headers: Record<string, string>, params?: Record<string, string>): Promise<string | undefined> => {
    try {
      await h.run(headers, params)
    } catch (err) {
      return (err as ConsentGuardError).headers['WWW-Authenticate']
    }
    return 'accepted'
  }

  it('is applied to every rejection the guard makes, whichever rule failed', async () => {
    expect(await challenge({})).toBe('Bearer realm="skatt"')
    expect(await challenge(h.bearer('not-a-token'))).toMatch(/^Bearer realm="skatt", error="invalid_token"/)
    expect(await challenge(h.bearer(await h.token({ scope: 'other:scope' })))).toMatch(
      /^Bearer realm="skatt", error="insufficient_scope", .*, scope="example:income"$/,
    )
    expect(await challenge(h.bearer(await h.token()), { personId: '123' })).toMatch(/^Bearer realm="skatt", error="invalid_request"/)
    expect(await challenge(h.bearer(await h.token()), { personId: FNR_B })).toMatch(/^Bearer realm="skatt", error="insufficient_scope"/)
  })
})
