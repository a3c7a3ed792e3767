import {
  addConsentComponents,
  addConsentToOperation,
  createConsentGuard,
  describeConsentOperation,
  fromParam,
  period,
  possibleErrorCodes,
  type ConsentRequirement,
} from '@consent-guard/core'
import { describe, expect, it } from 'vitest'

interface Req {
  params: Record<string, string>
  query: Record<string, string | string[] | undefined>
}

const single = createConsentGuard({ maskinporten: 'test' })
const twoToken = createConsentGuard({ maskinporten: 'test', consentHeader: 'AltinnSamtykke' })

const income: ConsentRequirement<Req> = {
  scope: 'example:income',
  resource: 'example-income',
  subjectType: 'person',
  subject: fromParam('personId'),
  metadata: { inntektsaar: { equals: (r) => r.params.year }, formaal: { any: true }, kanal: { equals: 'api' } },
}

describe('describeConsentOperation', () => {
  it('lists 503 disclosure_log_unavailable only for a guard that records disclosures fail-closed', () => {
    const sink = (): void => undefined
    const failClosed = createConsentGuard({ maskinporten: 'test', onDisclosure: sink })
    const fireAndForget = createConsentGuard({ maskinporten: 'test', onDisclosure: sink, disclosureMode: 'fire-and-forget' })
    const answers503 = (guard: typeof single) =>
      JSON.stringify(describeConsentOperation(guard.compile(income), { guard: guard.options }).operation.responses['503'])
    expect(answers503(failClosed)).toContain('disclosure_log_unavailable')
    expect(answers503(fireAndForget)).not.toContain('disclosure_log_unavailable')
    expect(answers503(single)).not.toContain('disclosure_log_unavailable')
    expect(possibleErrorCodes(single.compile(income), { disclosureFailClosed: true })).toContain('disclosure_log_unavailable')
  })

  it('renders the bearer requirement with the scope, the error responses and x-altinn-consent', () => {
    const { operation, components } = describeConsentOperation(single.compile(income), { guard: single.options })
    expect(operation.security).toEqual([{ maskinporten: ['example:income'] }])
    expect(operation['x-altinn-consent']).toEqual({
      resource: 'example-income',
      resources: ['example-income'],
      action: 'consent',
      subject: { type: 'person', from: { in: 'path', name: 'personId' } },
      metadata: {
        inntektsaar: { rule: 'equals', from: { in: 'request' } },
        formaal: { rule: 'any' },
        kanal: { rule: 'equals', from: { value: 'api' } },
      },
      scope: { all: ['example:income'] },
      consumersRestricted: false,
      delegation: 'allow',
      oneTime: false,
    })
    expect(Object.keys(operation.responses)).toEqual(['400', '401', '403', '503'])
    const codes = (status: '400' | '401' | '403' | '503') => {
      const media = operation.responses[status].content as Record<
        string,
        { schema: { allOf: [unknown, { properties: { code: { enum: string[] } } }] } }
      >
      expect(Object.keys(media)).toEqual(['application/problem+json'])
      return media['application/problem+json']!.schema.allOf[1].properties.code.enum
    }
    expect(codes('400')).toEqual([
      'credentials_duplicated',
      'headers_too_many',
      'credentials_in_url',
      'subject_missing',
      'subject_invalid',
      'request_parameter_missing',
      'request_parameter_invalid',
    ])
    expect(codes('401')).toContain('credentials_missing')
    expect(codes('401')).toContain('token_expired')
    expect(codes('401')).not.toContain('legacy_token_not_accepted')
    expect(codes('403')).toContain('scope_missing')
    expect(codes('403')).toContain('consent_metadata_mismatch')
    expect(codes('403')).not.toContain('consent_already_used')
    expect(codes('403')).not.toContain('token_binding_mismatch')
    // Load shedding is on by default; `overload: false` takes `overloaded` off the list.
    expect(codes('503')).toEqual(['jwks_unavailable', 'overloaded'])
    const unshed = describeConsentOperation(single.compile(income), { guard: { ...single.options, overload: undefined } })
    const unshedCodes = (
      unshed.operation.responses['503'].content as Record<string, { schema: { allOf: { properties: { code: { enum: string[] } } }[] } }>
    )['application/problem+json']!.schema.allOf[1]!.properties.code.enum
    expect(unshedCodes).toEqual(['jwks_unavailable'])
    expect(operation.responses['401'].headers).toHaveProperty('WWW-Authenticate')
    expect(operation.responses['503'].headers).toHaveProperty('Retry-After')
    expect(components.securitySchemes).toEqual({
      maskinporten: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    })
    expect(Object.keys(components.schemas)).toEqual(['ConsentGuardProblem'])
  })

  it('adds the consent header scheme in two-token mode, and the codes of one-time, allow-list and period routes', () => {
    const route = twoToken.compile<Req>({
      scope: { any: ['a:one', 'a:two'] },
      resource: 'example-loan',
      subject: (r) => r.params.personId,
      period: { start: 'fraogmed', end: 'tilogmed', requested: period.fromQuery('from', 'to') },
      consumers: async () => true,
      delegation: 'deny',
      oneTime: true,
    })
    const { operation, components } = describeConsentOperation(route, { guard: twoToken.options, errorFormat: 'fastify' })
    expect(operation.security).toEqual([
      { maskinporten: ['a:one'], altinnConsentToken: [] },
      { maskinporten: ['a:two'], altinnConsentToken: [] },
    ])
    expect(components.securitySchemes.altinnConsentToken).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'altinnsamtykke' }),
    )
    expect(operation['x-altinn-consent']).toMatchObject({
      subject: { type: 'any', from: { in: 'request' } },
      metadata: { fraogmed: { rule: 'period-start' }, tilogmed: { rule: 'period-end' } },
      period: {
        start: 'fraogmed',
        end: 'tilogmed',
        from: [
          { in: 'query', name: 'from' },
          { in: 'query', name: 'to' },
        ],
      },
      scope: { any: ['a:one', 'a:two'] },
      consumersRestricted: true,
      delegation: 'deny',
      oneTime: true,
      consentHeader: 'altinnsamtykke',
    })
    const codes = possibleErrorCodes(route, { consentHeader: 'altinnsamtykke' })
    for (const code of [
      'consent_token_duplicated',
      'token_binding_mismatch',
      'legacy_token_not_accepted',
      'consent_already_used',
      'store_unavailable',
      'consumer_not_allowed',
      'consumer_check_unavailable',
      'supplier_not_allowed',
      'request_parameter_missing',
    ])
      expect(codes).toContain(code)
    expect(possibleErrorCodes(route, { consentHeader: 'altinnsamtykke', altinn2: true })).not.toContain('legacy_token_not_accepted')
    expect(Object.keys(operation.responses['403'].content as object)).toEqual(['application/json'])
    expect(Object.keys(components.schemas)).toEqual(['ConsentGuardError'])
  })

  it('leaves out codes a plain route cannot produce', () => {
    const codes = possibleErrorCodes(single.compile<Req>({ resource: 'r', subject: (r) => r.params.id }))
    for (const code of [
      'scope_missing',
      'consumer_not_allowed',
      'supplier_not_allowed',
      'consent_already_used',
      'store_unavailable',
      'request_parameter_missing',
    ])
      expect(codes).not.toContain(code)
    expect(codes).toContain('consent_subject_mismatch')
  })
})

describe('merging', () => {
  it('keeps the operation’s own responses and components of the same name, replaces security', () => {
    const { operation, components } = describeConsentOperation(single.compile(income))
    const merged = addConsentToOperation(
      { summary: 'x', security: [{ other: [] }], responses: { '200': { description: 'ok' }, '400': { description: 'mine' } } },
      operation,
    )
    expect(merged.summary).toBe('x')
    expect(merged.security).toEqual(operation.security)
    expect(merged.responses).toEqual({
      '200': { description: 'ok' },
      '400': { description: 'mine' },
      '401': operation.responses['401'],
      '403': operation.responses['403'],
      '503': operation.responses['503'],
    })
    expect(merged['x-altinn-consent'].resource).toBe('example-income')
    const doc: Record<string, unknown> = { openapi: '3.1.0', components: { schemas: { ConsentGuardProblem: { type: 'string' } } } }
    addConsentComponents(doc, components)
    expect(doc.components).toEqual({ schemas: { ConsentGuardProblem: { type: 'string' } }, securitySchemes: components.securitySchemes })
  })
})
