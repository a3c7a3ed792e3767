/**
 * Request- and consent-level rows of docs/security.md: CON, BND, HTTP (the cases that fit one request;
 * duplicate headers, query tokens and parser limits are in headers.test.ts, routes in
 * routes.test.ts) and LEG. Consent rows run in single-token mode and with the consent in the
 * AltinnSamtykke header beside a good access token.
 */
import { altinn2Claims, altinnTimestamp, deterministicSigningKey, type Altinn2ClaimsOptions } from '@consent-guard/testkit'
import { expect } from 'vitest'
import {
  CONSENT_MODES,
  noCredentials,
  ok,
  r400,
  r401,
  r403,
  r503,
  r500,
  SINGLE,
  TWO_ACCESS,
  type Mode,
  type Row,
  type Variant,
} from '../support/catalogue.js'
import {
  BASE_CONSENT_ID,
  CONSENT_HEADER,
  CONSUMER,
  FNR_A,
  FNR_B,
  incomePath,
  NOW,
  OTHER_ORG,
  RESOURCE,
  SCOPE,
  SUPPLIER,
  T,
  type Claims,
  type Kit,
} from '../support/fixtures.js'
import type { HeaderLine } from '../support/http.js'

const v = (label: string, token: string, extra: Partial<Variant> = {}): Variant => ({ label, token, ...extra })
const ts = (seconds: number): string => altinnTimestamp(seconds)
/** The baseline consent entry `C` with members changed (`undefined` removes one). */
const entry = (k: Kit, patch: Claims = {}): Claims => (k.withConsent(patch).authorization_details as Claims[])[0] as Claims
/** A token whose consent entry has these members changed. */
const withEntry = (k: Kit, patch: Claims): string => k.sign(k.withConsent(patch))
/** A token whose single right is `right` (baseline action and resource unless given). */
const withRight = (k: Kit, right: Claims): string =>
  withEntry(k, { consentRights: [{ action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: RESOURCE }], ...right }] })
/** A token whose right carries this metadata member (raw value). */
const withMetadata = (k: Kit, metadata: unknown, member = 'metadata'): string =>
  withRight(k, metadata === undefined ? {} : { [member]: metadata })

/** Two-token request with explicit tokens. */
const pair = (access: string, consent?: string): HeaderLine[] => [
  ['Authorization', `Bearer ${access}`],
  ...(consent === undefined ? [] : ([[CONSENT_HEADER, consent]] as HeaderLine[])),
]
/** The Authorization line, plus the good consent token when the mode is two-token. */
const authorization =
  (value: string) =>
  (m: Mode, k: Kit): HeaderLine[] => [
    ['Authorization', value],
    ...(m.app === 'twoToken' ? ([[CONSENT_HEADER, k.goodConsent]] as HeaderLine[]) : []),
  ]
/** A token in the mode's transport: the only token, or the consent token beside a good access token. */
const carried =
  (token: string) =>
  (m: Mode, k: Kit): HeaderLine[] =>
    m.app === 'twoToken' ? pair(k.goodAccess, token) : pair(token)

const TWO: Mode = { app: 'twoToken', placement: 'custom' }
const LEGACY: Mode = { app: 'legacy', placement: 'custom' }

// ---------------------------------------------------------------------------------------------
// CON: consent semantics
// ---------------------------------------------------------------------------------------------
const ORG_URN = (org: string) => `urn:altinn:organization:identifier-no:${org}`
const PERSON_URN = (fnr: string) => `urn:altinn:person:identifier-no:${fnr}`

export const CON_ROWS: readonly Row[] = [
  {
    id: 'CON-00',
    title: 'baseline: the consent token C is accepted (the rows below differ only where named)',
    modes: CONSENT_MODES,
    expect: ok,
    variants: (k) => [v('baseline', k.good)],
  },
  {
    id: 'CON-01',
    title: 'consent given to another organisation',
    modes: CONSENT_MODES,
    expect: r403('consent_not_for_consumer'),
    variants: (k) => [v('to 0192:999999999', withEntry(k, { to: { authority: 'iso6523-actorid-upis', ID: '0192:999999999' } }))],
  },
  {
    id: 'CON-02',
    title: 'consent for another subject',
    modes: CONSENT_MODES,
    expect: r403('consent_subject_mismatch'),
    variants: (k) => [v('from FNR_A, request for FNR_B', k.good, { path: incomePath(FNR_B) })],
  },
  {
    id: 'CON-03',
    title: 'no subject in the request',
    modes: CONSENT_MODES,
    expect: r400('subject_missing'),
    variants: (k) => [
      v('?person absent', k.good, { path: '/income-by-query/2023' }),
      v('?person=', k.good, { path: '/income-by-query/2023?person=' }),
    ],
  },
  {
    id: 'CON-04',
    title: 'subject type mismatch',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('organisation consent on a person endpoint', withEntry(k, { from: ORG_URN(OTHER_ORG) }), {
        expect: r403('consent_subject_mismatch'),
      }),
      v(
        'person consent on an organisation endpoint',
        k.sign(k.claims({ consent: { from: { person: FNR_A }, resource: 'example-company' } })),
        { path: `/company/${OTHER_ORG}`, expect: r403('consent_subject_mismatch') },
      ),
      v(
        'control: organisation consent on the organisation endpoint',
        k.sign(k.claims({ consent: { from: { organization: OTHER_ORG }, resource: 'example-company' } })),
        { path: `/company/${OTHER_ORG}`, expect: ok },
      ),
      v('a person id on the organisation endpoint (400)', k.good, { path: `/company/${FNR_A}`, expect: r400('subject_invalid') }),
    ],
  },
  {
    id: 'CON-05',
    title: 'from URN variants are malformed (policy: 401, no normalisation)',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) =>
      [
        PERSON_URN(FNR_A).toUpperCase(),
        `${PERSON_URN(FNR_A)} `,
        `\u200b${PERSON_URN(FNR_A)}`,
        PERSON_URN('２５９２２９４７４０９'),
        PERSON_URN('٢٥٩٢٢٩٤٧٤٠٩'),
        PERSON_URN(FNR_A.slice(0, 10)),
        PERSON_URN(`${FNR_A}0`),
        `urn:altinn:person:${FNR_A}`,
        `${PERSON_URN(FNR_A)}:x`,
      ].map((from) => v(`from ${JSON.stringify(from)}`, withEntry(k, { from }))),
  },
  {
    id: 'CON-06',
    title: 'wrong resource',
    modes: CONSENT_MODES,
    expect: r403('consent_resource_mismatch'),
    variants: (k) =>
      ['example-other', 'EXAMPLE-INCOME', `${RESOURCE}_v2`, 'example', `${RESOURCE} `].map((value) =>
        v(
          `resource ${JSON.stringify(value)}`,
          withRight(k, { resource: [{ type: 'urn:altinn:resource', value }], metadata: { inntektsaar: '2023' } }),
        ),
      ),
  },
  {
    id: 'CON-07',
    title: 'wrong resource type or shape',
    modes: CONSENT_MODES,
    expect: r403('consent_resource_mismatch'),
    variants: (k) =>
      (
        [
          ['type urn:altinn:app', { type: 'urn:altinn:app', value: RESOURCE }],
          ['type missing', { value: RESOURCE }],
          ['{id, value} (older overview page)', { id: 'urn:altinn:resource', value: RESOURCE }],
        ] as const
      ).map(([label, resource]) => v(label, withRight(k, { resource: [resource], metadata: { inntektsaar: '2023' } }))),
  },
  {
    id: 'CON-08',
    title: 'action mismatch',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('action ["read"]', withRight(k, { action: ['read'], metadata: { inntektsaar: '2023' } }), {
        expect: r403('consent_action_mismatch'),
      }),
      v('action []', withRight(k, { action: [], metadata: { inntektsaar: '2023' } }), { expect: r403('consent_action_mismatch') }),
      v('action "consent" (a string)', withRight(k, { action: 'consent', metadata: { inntektsaar: '2023' } }), {
        expect: r401('consent_malformed'),
      }),
    ],
  },
  {
    id: 'CON-09',
    title: 'metadata value mismatch',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => [v('inntektsaar 2022, request 2023', withMetadata(k, { inntektsaar: '2022' }))],
  },
  {
    id: 'CON-10',
    title: 'metadata missing never means unrestricted',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => [
      v('no metadata', withMetadata(k, undefined)),
      v('metadata {}', withMetadata(k, {})),
      v('metadata null', withMetadata(k, null)),
    ],
  },
  {
    id: 'CON-11',
    title: 'numeric coercion of metadata: only the exact string matches',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) =>
      ['0x7E7', '0o3747', '0b11111100111', '2.023e3', '2023.0', ' 2023', '2023\n', '2023abc'].map((value) =>
        v(`inntektsaar ${JSON.stringify(value)}`, withMetadata(k, { inntektsaar: value })),
      ),
  },
  {
    id: 'CON-12',
    title: 'metadata of the wrong JSON type',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) =>
      ([2023, ['2023'], { v: '2023' }, true, null] as const).map((value) =>
        v(`inntektsaar ${JSON.stringify(value)}`, withMetadata(k, { inntektsaar: value })),
      ),
  },
  {
    id: 'CON-13',
    title: 'metadata key and member casing (policy: case-insensitive keys, both spellings; ambiguity refused)',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('(a) key INNTEKTSAAR', withMetadata(k, { INNTEKTSAAR: '2023' }), { expect: ok }),
      v('(b) member metaData', withMetadata(k, { inntektsaar: '2023' }, 'metaData'), { expect: ok }),
      v('(c) inntektsaar 2022 and INNTEKTSAAR 2023', withMetadata(k, { inntektsaar: '2022', INNTEKTSAAR: '2023' }), {
        expect: r403('consent_metadata_mismatch'),
      }),
      v('(c) the same value under both casings', withMetadata(k, { inntektsaar: '2023', INNTEKTSAAR: '2023' }), {
        expect: r403('consent_metadata_mismatch'),
      }),
      v('(d) metadata and metaData', withRight(k, { metadata: { inntektsaar: '2022' }, metaData: { inntektsaar: '2023' } }), {
        expect: r403('consent_metadata_mismatch'),
      }),
    ],
  },
  {
    id: 'CON-14',
    title: 'period metadata',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => {
      const period = (fraOgMed: string, tilOgMed: string) =>
        k.sign(
          k.claims({
            consent: { id: BASE_CONSENT_ID, from: { person: FNR_A }, resource: 'example-income-period', metadata: { fraOgMed, tilOgMed } },
          }),
        )
      const at = (month: string) => `/income-period/${FNR_A}?from=${month}&to=${month}`
      return [
        v('2017-06..2017-08, request 2017-09', period('2017-06', '2017-08'), { path: at('2017-09') }),
        v('fraOgMed after tilOgMed', period('2017-08', '2017-06'), { path: at('2017-07') }),
        v('"2017-6"', period('2017-6', '2017-08'), { path: at('2017-07') }),
        v('"2017-13"', period('2017-06', '2017-13'), { path: at('2017-07') }),
        v('control: 2017-07 inside 2017-06..2017-08', period('2017-06', '2017-08'), { path: at('2017-07'), expect: ok }),
        v('request with a malformed month (400)', period('2017-06', '2017-08'), {
          path: at('2017-7'),
          expect: r400('request_parameter_invalid'),
        }),
      ]
    },
  },
  {
    id: 'CON-15',
    title: 'an unknown metadata key fails closed',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => [v('inntektsaar 2023 + formaal x', withMetadata(k, { inntektsaar: '2023', formaal: 'x' }))],
  },
  {
    id: 'CON-16',
    title: 'consent expired while the token is fresh (exclusive end, no tolerance)',
    modes: CONSENT_MODES,
    expect: r403('consent_expired'),
    variants: (k) => [
      v('validTo = NOW-1s', withEntry(k, { validTo: ts(NOW - 1) })),
      v('validTo = NOW', withEntry(k, { validTo: ts(NOW) })),
      v('validTo = NOW-1s, T not applied', withEntry(k, { validTo: ts(NOW - T + 5) })),
    ],
  },
  {
    id: 'CON-17',
    title: 'consent timeline inconsistent',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('consented = NOW+1h', withEntry(k, { consented: ts(NOW + 3600) }), { expect: r403('consent_not_yet_valid') }),
      v('consented = NOW+T (inside the tolerance)', withEntry(k, { consented: ts(NOW + T) }), { expect: ok }),
      v('validTo = consented', withEntry(k, { consented: ts(NOW + 5), validTo: ts(NOW + 5) }), { expect: r403('consent_expired') }),
      v('validTo before consented', withEntry(k, { consented: ts(NOW - 60), validTo: ts(NOW - 3600) }), {
        expect: r403('consent_expired'),
      }),
    ],
  },
  {
    id: 'CON-17',
    title: 'consent given after the token was issued (consented > iat + T)',
    modes: CONSENT_MODES,
    expect: r403('consent_not_yet_valid'),
    variants: (k) => [
      v(
        'iat = NOW-100, consented = NOW-60',
        k.sign(k.withConsent({ consented: ts(NOW - 60) }, k.claims({ iat: NOW - 100, exp: NOW + 20 }))),
      ),
    ],
  },
  {
    id: 'CON-18',
    title: 'timestamp format abuse (strict RFC 3339 with an offset)',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) =>
      (
        [
          'not-a-date',
          '2026-02-30T00:00:00Z',
          '2030-07-18T07:57:15',
          '2030-07-18 07:57:15Z',
          1_900_000_000,
          '+275760-09-13T00:00:00.000Z',
          '2030-07-18T07:57:15.1234567891+00:00',
          '',
        ] as const
      ).map((validTo) => v(`validTo ${JSON.stringify(validTo)}`, withEntry(k, { validTo }))),
  },
  {
    id: 'CON-19',
    title: 'required consent fields missing',
    modes: CONSENT_MODES,
    variants: (k) => [
      ...['id', 'from', 'to', 'consented', 'validTo', 'consentRights'].map((field) =>
        v(`no ${field}`, withEntry(k, { [field]: undefined }), { expect: r401('consent_malformed') }),
      ),
      v('consentRights []', withEntry(k, { consentRights: [] }), { expect: r403('consent_resource_mismatch') }),
    ],
  },
  {
    id: 'CON-20',
    title: 'authorization_details shape',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('absent', k.sign(k.patch({ authorization_details: undefined })), { expect: r403('consent_missing') }),
      v('[]', k.sign(k.patch({ authorization_details: [] })), { expect: r403('consent_missing') }),
      ...(
        [
          ['null', null],
          ['an object', entry(k)],
          ['an array of strings', ['urn:altinn:consent']],
          ['a string', 'urn:altinn:consent'],
        ] as const
      ).map(([label, value]) => v(label, k.sign(k.patch({ authorization_details: value })), { expect: r401('consent_malformed') })),
    ],
  },
  {
    id: 'CON-21',
    title: 'type misspellings and confusables are not consents',
    modes: CONSENT_MODES,
    expect: r403('consent_missing'),
    variants: (k) =>
      [
        'urn:altinn:Consent',
        'urn:altinn:concent',
        'urn:altinn:consent ',
        'URN:altinn:consent',
        'urn:altinn:cоnsent',
        'urn:altinn：consent',
      ].map((type) => v(`type ${JSON.stringify(type)}`, withEntry(k, { type }))),
  },
  {
    id: 'CON-22',
    title: 'no mix-and-match across entries',
    modes: CONSENT_MODES,
    expect: r403('consent_resource_mismatch'),
    variants: (k) => {
      const e1 = entry(k, {
        id: '11111111-1111-4111-8111-111111111111',
        consentRights: [
          { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'example-other' }], metadata: { inntektsaar: '2023' } },
        ],
      })
      const e2 = entry(k, {
        id: '22222222-2222-4222-8222-222222222222',
        to: { authority: 'iso6523-actorid-upis', ID: `0192:${OTHER_ORG}` },
      })
      return [
        v('entry 1: right to/from, other resource; entry 2: other to, our resource', k.sign(k.patch({ authorization_details: [e1, e2] }))),
      ]
    },
  },
  {
    id: 'CON-23',
    title: 'no mix-and-match across rights',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => [
      v(
        'right 1: our resource, no metadata; right 2: inntektsaar 2023 for another resource',
        withEntry(k, {
          consentRights: [
            { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: RESOURCE }] },
            { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'example-other' }], metadata: { inntektsaar: '2023' } },
          ],
        }),
      ),
    ],
  },
  {
    id: 'CON-24',
    title: 'a valid entry next to a broken one, and next to a foreign type',
    modes: CONSENT_MODES,
    variants: (k) => [
      v(
        'valid + consent entry with to as a number',
        k.sign(k.patch({ authorization_details: [entry(k), entry(k, { id: '33333333-3333-4333-8333-333333333333', to: 991825827 })] })),
        { expect: r401('consent_malformed') },
      ),
      v(
        'valid + urn:altinn:systemuser entry',
        k.sign(k.patch({ authorization_details: [{ type: 'urn:altinn:systemuser', systemuser_id: ['x'] }, entry(k)] })),
        { expect: ok },
      ),
    ],
  },
  {
    id: 'CON-25',
    title: 'the same consent id twice',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) => [
      v('same id, other from', k.sign(k.patch({ authorization_details: [entry(k), entry(k, { from: PERSON_URN(FNR_B) })] }))),
      v('same id, other validTo', k.sign(k.patch({ authorization_details: [entry(k), entry(k, { validTo: ts(NOW + 60) })] }))),
    ],
  },
  {
    id: 'CON-25',
    title: 'the same consent id twice, differing only in letter case',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) => [
      v(
        'same id in upper case, other validTo',
        k.sign(k.patch({ authorization_details: [entry(k), entry(k, { id: BASE_CONSENT_ID.toUpperCase(), validTo: ts(NOW + 60) })] })),
      ),
    ],
  },
  {
    id: 'CON-26',
    title: 'prototype-pollution keys grant nothing and pollute nothing',
    modes: CONSENT_MODES,
    variants: (k) => {
      const json = JSON.stringify(k.claims())
      const md = (raw: string) => json.replace('"metadata":{"inntektsaar":"2023"}', `"metadata":${raw}`)
      return [
        v('metadata {"__proto__":{"inntektsaar":"2023"}}', k.sign(md('{"__proto__":{"inntektsaar":"2023"}}')), {
          expect: r403('consent_metadata_mismatch'),
        }),
        v(
          'metadata {"constructor":{"prototype":{"inntektsaar":"2023"}}}',
          k.sign(md('{"constructor":{"prototype":{"inntektsaar":"2023"}}}')),
          { expect: r403('consent_metadata_mismatch') },
        ),
        // RFC 9396 §2: every entry has an own string type; one that only inherits it is malformed.
        v(
          'entry whose type is only in __proto__',
          k.sign(json.replace('"type":"urn:altinn:consent"', '"__proto__":{"type":"urn:altinn:consent"}')),
          { expect: r401('consent_malformed') },
        ),
        v('top-level "__proto__":{"isAdmin":true} (harmless)', k.sign(`{"__proto__":{"isAdmin":true},${json.slice(1)}`), { expect: ok }),
      ]
    },
    after: () => {
      const probe = {} as Record<string, unknown>
      expect(probe.inntektsaar).toBeUndefined()
      expect(probe.isAdmin).toBeUndefined()
      expect(probe.type).toBeUndefined()
      expect(
        Object.getOwnPropertyNames(Object.prototype).filter((n) => ['inntektsaar', 'isAdmin', 'type', 'prototype'].includes(n)),
      ).toEqual([])
    },
  },
  {
    id: 'CON-27',
    title: 'keys named like Object.prototype members: the normal decision, no 500',
    modes: CONSENT_MODES,
    expect: r403('consent_metadata_mismatch'),
    variants: (k) => [
      v('{"toString":"2023","hasOwnProperty":"x","valueOf":{}}', withMetadata(k, { toString: '2023', hasOwnProperty: 'x', valueOf: {} })),
      v('inntektsaar 2023 + toString 2023', withMetadata(k, { inntektsaar: '2023', toString: '2023' })),
      v('inntektsaar 2023 + constructor', withMetadata(k, { inntektsaar: '2023', constructor: '2023' })),
    ],
  },
  {
    id: 'CON-28',
    title: 'cardinality caps (the 8 KiB token cap stops 10 000-element shapes first)',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) => {
      const right = (extra: Claims = {}) => ({
        action: ['consent'],
        resource: [{ type: 'urn:altinn:resource', value: RESOURCE }],
        metadata: { inntektsaar: '2023' },
        ...extra,
      })
      return [
        v(
          '21 authorization_details (20 foreign + C)',
          k.sign(k.patch({ authorization_details: [...Array.from({ length: 20 }, () => ({ type: 'x' })), entry(k)] })),
        ),
        v(
          '51 consentRights',
          withEntry(k, { consentRights: [...Array.from({ length: 50 }, () => ({ action: [], resource: [] })), right()] }),
        ),
        v(
          '21 resources in one right',
          withEntry(k, {
            consentRights: [
              right({
                resource: [...Array.from({ length: 20 }, () => ({ value: 'x' })), { type: 'urn:altinn:resource', value: RESOURCE }],
              }),
            ],
          }),
        ),
        v(
          '21 actions in one right',
          withEntry(k, { consentRights: [right({ action: [...Array.from({ length: 20 }, () => 'x'), 'consent'] })] }),
        ),
        v(
          '21 metadata keys',
          withMetadata(k, { inntektsaar: '2023', ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'x'])) }),
        ),
        v(
          'a 257-character resource value',
          withRight(k, { resource: [{ type: 'urn:altinn:resource', value: 'r'.repeat(257) }], metadata: { inntektsaar: '2023' } }),
        ),
        // 10 000 entries cannot even travel in a header (Node: 431); 700 already exceed the token cap.
        v('700 authorization_details', k.sign(k.patch({ authorization_details: Array.from({ length: 700 }, () => ({ type: 'x' })) })), {
          expect: r401('token_too_large'),
        }),
      ]
    },
  },
  {
    id: 'CON-29',
    title: 'non-string identifiers',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) =>
      (
        [
          ['id 42', { id: 42 }],
          ['from {}', { from: {} }],
          ['to.ID 192991825827', { to: { authority: 'iso6523-actorid-upis', ID: 192991825827 } }],
          ['consented 1752825450', { consented: 1752825450 }],
        ] as const
      ).map(([label, patch]) => v(label, withEntry(k, patch))),
  },
  {
    id: 'CON-30',
    title: 'consent id as an injection vector',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) =>
      ['../../../admin', 'a?x=1#y', "' OR 1=1 --", 'i'.repeat(2_000), 'not-a-uuid', `${BASE_CONSENT_ID}\n`, ''].map((id) =>
        v(`id ${JSON.stringify(id.length > 40 ? `${id.slice(0, 10)}… (${id.length})` : id)}`, withEntry(k, { id })),
      ),
  },
  {
    id: 'CON-31',
    title: 'to shape variants (policy: only the documented ISO 6523 object)',
    modes: CONSENT_MODES,
    variants: (k) => [
      v('to as the URN string', withEntry(k, { to: ORG_URN(CONSUMER) }), { expect: r401('consent_malformed') }),
      v('to with a lower-case id', withEntry(k, { to: { authority: 'iso6523-actorid-upis', id: `0192:${CONSUMER}` } }), {
        expect: r401('consent_malformed'),
      }),
      v(
        'ID = another org, id = ours',
        withEntry(k, { to: { authority: 'iso6523-actorid-upis', ID: `0192:${OTHER_ORG}`, id: `0192:${CONSUMER}` } }),
        { expect: r401('consent_malformed') },
      ),
    ],
  },
  {
    id: 'CON-31',
    title: 'to with both ID and id naming different organisations',
    modes: CONSENT_MODES,
    expect: r401('consent_malformed'),
    variants: (k) => [
      v(
        'ID = ours, id = another org',
        withEntry(k, { to: { authority: 'iso6523-actorid-upis', ID: `0192:${CONSUMER}`, id: `0192:${OTHER_ORG}` } }),
      ),
    ],
  },
]

// ---------------------------------------------------------------------------------------------
// BND: two-token binding
// ---------------------------------------------------------------------------------------------
export const BND_ROWS: readonly Row[] = [
  {
    id: 'BND-00',
    title: 'baseline: access token + consent token',
    modes: [TWO],
    expect: ok,
    variants: () => [{ label: 'AT + CT', headers: (_m, k) => pair(k.goodAccess, k.goodConsent) }],
  },
  {
    id: 'BND-01',
    title: 'consumer mismatch between the tokens',
    modes: [TWO],
    expect: r403('token_binding_mismatch'),
    variants: (k) => [
      {
        label: 'AT consumer A, CT consumer B with to = B',
        headers: pair(k.goodAccess, k.sign(k.claims({ consumer: OTHER_ORG, scope: 'altinn:consentrequests.read' }))),
      },
    ],
  },
  {
    id: 'BND-02',
    title: 'client_id mismatch is accepted (policy: relaxed by design, Altinn recommends separate clients)',
    modes: [TWO],
    expect: ok,
    variants: (k) => [
      {
        label: 'same consumer, client c-1 and c-2',
        headers: pair(k.goodAccess, k.sign(k.claims({ client_id: 'c-2', scope: 'altinn:consentrequests.read' }))),
      },
    ],
  },
  {
    id: 'BND-03',
    title: 'environment mismatch between the tokens',
    modes: [TWO],
    expect: r401('token_key_unknown'),
    variants: (k) => {
      const testToken = (c: Claims) =>
        k.sign({ ...c, iss: 'https://test.maskinporten.no/' }, { alg: 'RS256', kid: 'env2-1' }, k.env2.signer.privateKey)
      return [
        { label: 'AT prod, CT test', headers: pair(k.goodAccess, testToken(k.claims())) },
        { label: 'AT test, CT prod', headers: pair(testToken(k.accessClaims()), k.goodConsent) },
      ]
    },
  },
  {
    id: 'BND-04',
    title: 'slot swap and doubling',
    modes: [TWO],
    variants: (k) => [
      {
        label: 'swap: CT in Authorization, AT in the consent header',
        headers: pair(k.goodConsent, k.goodAccess),
        expect: r403('scope_missing', SCOPE),
      },
      { label: 'AT in both slots', headers: pair(k.goodAccess, k.goodAccess), expect: r403('consent_missing') },
      { label: 'CT twice, CT carries the API scope (the single-token form is allowed)', headers: pair(k.good, k.good), expect: ok },
      { label: 'CT twice, CT without the API scope', headers: pair(k.goodConsent, k.goodConsent), expect: r403('scope_missing', SCOPE) },
    ],
  },
  {
    id: 'BND-05',
    title: 'supplier and delegation',
    modes: [SINGLE, TWO],
    variants: (k) => {
      const delegated = (to: string, supplier: string = SUPPLIER) =>
        k.claims({
          supplier,
          consent: { id: BASE_CONSENT_ID, from: { person: FNR_A }, to, resource: RESOURCE, metadata: { inntektsaar: '2023' } },
        })
      const headers =
        (consent: Claims, accessSupplier = SUPPLIER) =>
        (m: Mode): HeaderLine[] =>
          m.app === 'twoToken'
            ? pair(k.sign(k.accessClaims({ supplier: accessSupplier })), k.sign({ ...consent, scope: 'altinn:consentrequests.read' }))
            : pair(k.sign(consent))
      return [
        { label: '(a) consent given to the supplier', headers: headers(delegated(SUPPLIER)), expect: r403('consent_not_for_consumer') },
        { label: '(b) consent given to the consumer', headers: headers(delegated(CONSUMER)), expect: ok },
        {
          label: '(c) CT supplier S2 ≠ AT supplier S',
          headers: headers(delegated(CONSUMER, OTHER_ORG)),
          expect: (m) => (m.app === 'twoToken' ? r403('token_binding_mismatch') : ok),
        },
        {
          label: '(d) supplier on a route that denies delegation',
          headers: headers(delegated(CONSUMER)),
          path: `/no-delegation/2023/${FNR_A}`,
          expect: r403('supplier_not_allowed'),
        },
      ]
    },
  },
  {
    id: 'BND-06',
    title: 'consent minted for another data source',
    modes: [SINGLE, TWO],
    variants: (k) => {
      const foreign = k.sign(
        k.claims({
          scope: 'other:api',
          consent: { id: BASE_CONSENT_ID, from: { person: FNR_A }, resource: 'other-api-resource', metadata: { inntektsaar: '2023' } },
        }),
      )
      return [
        {
          label: 'CT with another API’s scope and resource',
          headers: carried(foreign),
          expect: (m) => (m.app === 'twoToken' ? r403('consent_resource_mismatch') : r403('scope_missing', SCOPE)),
        },
      ]
    },
  },
  {
    id: 'BND-07',
    title: 'consent token expired, access token fresh',
    modes: [TWO],
    expect: r401('token_expired'),
    variants: (k) => [{ label: 'CT exp = NOW-60', headers: pair(k.goodAccess, k.sign(k.claims({ iat: NOW - 180, exp: NOW - 60 }))) }],
  },
  {
    id: 'BND-08',
    title: 'consent token missing or duplicated',
    modes: [TWO],
    variants: (k) => [
      { label: 'no consent header', headers: pair(k.goodAccess), expect: r403('consent_missing') },
      { label: 'an empty consent header', headers: [...pair(k.goodAccess), [CONSENT_HEADER, '']], expect: r403('consent_missing') },
      {
        label: 'two consent header lines',
        headers: [...pair(k.goodAccess, k.goodConsent), [CONSENT_HEADER.toLowerCase(), k.goodConsent]],
        expect: r400('consent_token_duplicated'),
      },
      {
        label: 'two comma-joined consent tokens',
        headers: pair(k.goodAccess, `${k.goodConsent}, ${k.goodConsent}`),
        expect: r400('consent_token_duplicated'),
      },
    ],
  },
  {
    id: 'BND-09',
    title: 'subject named twice',
    modes: [SINGLE, TWO],
    expect: r400('subject_invalid'),
    variants: (k) => [
      { label: '?person=A&person=B', headers: carried(k.good), path: `/income-by-query/2023?person=${FNR_A}&person=${FNR_B}` },
      { label: '?person=A&person=A', headers: carried(k.good), path: `/income-by-query/2023?person=${FNR_A}&person=${FNR_A}` },
    ],
  },
  {
    id: 'BND-10',
    title: 'consent token without an access token',
    modes: [TWO],
    expect: noCredentials,
    variants: (k) => [{ label: 'only the consent header', headers: [[CONSENT_HEADER, k.goodConsent]] }],
  },
]

// ---------------------------------------------------------------------------------------------
// HTTP: one-request cases
// ---------------------------------------------------------------------------------------------
const ACCESS_SLOTS: readonly Mode[] = [SINGLE, TWO_ACCESS]

export const HTTP_ROWS: readonly Row[] = [
  {
    id: 'HTTP-01',
    title: 'no credentials: 401 with a bare challenge',
    modes: [SINGLE, TWO],
    expect: noCredentials,
    variants: () => [{ label: 'no Authorization', headers: [] }],
  },
  {
    id: 'HTTP-02',
    title: 'the scheme is case-insensitive',
    modes: ACCESS_SLOTS,
    expect: ok,
    variants: (k) => ['bearer', 'BEARER', 'bEaReR'].map((scheme) => ({ label: scheme, headers: authorization(`${scheme} ${k.good}`) })),
  },
  {
    id: 'HTTP-03',
    title: 'other schemes or no token: the raw value is never a token',
    modes: ACCESS_SLOTS,
    expect: noCredentials,
    variants: (k) =>
      ['Basic dXNlcjpwYXNz', `DPoP ${k.good}`, `Token ${k.good}`, 'Bearer', 'Bearer ', `Bearer${k.good}`, k.good].map((value) => ({
        label: JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…` : value),
        headers: authorization(value),
      })),
  },
  {
    id: 'HTTP-04',
    title: 'whitespace (policy: 1*SP accepted, tab refused)',
    modes: ACCESS_SLOTS,
    variants: (k) => [
      { label: 'two spaces', headers: authorization(`Bearer  ${k.good}`), expect: ok },
      { label: 'three spaces', headers: authorization(`Bearer   ${k.good}`), expect: ok },
      { label: 'trailing spaces (Node trims them)', headers: authorization(`Bearer ${k.good}   `), expect: ok },
      { label: 'tab', headers: authorization(`Bearer\t${k.good}`), expect: noCredentials },
      { label: 'space then tab', headers: authorization(`Bearer \t${k.good}`), expect: r401('token_malformed') },
    ],
  },
  {
    id: 'HTTP-11',
    title: 'error responses: fixed descriptions, nothing echoed, no header injection',
    modes: CONSENT_MODES,
    variants: (k) => {
      const nasty = `"\r\nX-Injected: 1 ${FNR_B} "`
      return [
        v('metadata value with a quote, CRLF and an identity number', withMetadata(k, { inntektsaar: nasty }), {
          expect: r403('consent_metadata_mismatch'),
        }),
        // jti is an issuer-made identifier the audit event records as it is (LOG-03), so this one
        // carries no identity number: the point is the quote and CRLF, which must not reach a header.
        v(
          'jti with a quote and CRLF',
          k.sign(
            k.claims({
              jti: '"\r\nX-Injected: 1 "',
              consent: { id: BASE_CONSENT_ID, from: { person: FNR_B }, resource: RESOURCE, metadata: { inntektsaar: '2023' } },
            }),
          ),
          {
            expect: r403('consent_subject_mismatch'),
          },
        ),
        // 4 KB keeps the token under the 8 KiB cap, so the claim check itself answers.
        v('a 4 KB client_id holding an identity number', k.sign(k.claims({ client_id: `${FNR_B}${'c'.repeat(4_000)}` })), {
          expect: r401('token_claims_invalid'),
        }),
        v(
          'consent for FNR_B, request for FNR_A',
          k.sign(
            k.claims({ consent: { id: BASE_CONSENT_ID, from: { person: FNR_B }, resource: RESOURCE, metadata: { inntektsaar: '2023' } } }),
          ),
          { expect: r403('consent_subject_mismatch') },
        ),
      ]
    },
  },
  {
    id: 'HTTP-12',
    title: 'failures inside the check end in an answer, never in the handler',
    modes: [SINGLE, TWO],
    variants: (k) => [
      {
        label: 'the route’s subject function throws → 500 from the framework',
        headers: carried(k.good),
        path: `/throwing-subject/${FNR_A}`,
        expect: r500,
      },
      {
        label: 'the consumer allow-list lookup rejects → 503',
        headers: carried(k.good),
        path: `/consumer-check-fails/2023/${FNR_A}`,
        expect: r503('consumer_check_unavailable'),
      },
    ],
  },
]

// ---------------------------------------------------------------------------------------------
// LEG: legacy Altinn 2 consent tokens (two-token mode with `altinn2: { jwksUri }`)
// ---------------------------------------------------------------------------------------------
const LEGACY_PATH = `/legacy-income/2023/${FNR_A}`
const SERVICE_2023 = [{ serviceCode: '4629', serviceEdition: '2', metadata: { inntektsaar: '2023' } }]
const legacy = (k: Kit, options: Altinn2ClaimsOptions = {}, header?: Record<string, unknown>): string =>
  k.altinn2.token({ services: SERVICE_2023, ...options }, header)
const lv = (label: string, token: string, extra: Partial<Variant> = {}): Variant => ({
  label,
  path: LEGACY_PATH,
  headers: (_m, k) => pair(k.goodAccess, token),
  ...extra,
})

export const LEG_ROWS: readonly Row[] = [
  {
    id: 'LEG-00',
    title: 'baseline: a current legacy token on the legacy route',
    modes: [LEGACY],
    expect: ok,
    variants: (k) => [lv('Services 4629_2_inntektsaar=2023', legacy(k))],
  },
  {
    id: 'LEG-01',
    title: 'legacy support switched off',
    modes: [TWO],
    expect: r401('legacy_token_not_accepted'),
    variants: (k) => [lv('a valid legacy token, no altinn2 option', legacy(k))],
  },
  {
    id: 'LEG-02',
    title: 'mutually exclusive token kinds',
    modes: [LEGACY],
    variants: (k) => [
      lv('legacy-shaped token signed by K_mp (kid mp-1)', k.sign(altinn2Claims({ now: NOW, services: SERVICE_2023 })), {
        expect: r401('token_signature_invalid'),
      }),
      {
        label: 'legacy token in Authorization',
        path: LEGACY_PATH,
        headers: (_m, kit) => pair(legacy(kit), kit.goodConsent),
        expect: r401('token_key_unknown'),
      },
      // One consent header carries either kind by design: an Altinn 3 consent token there is the normal case.
      lv('Altinn 3 consent token in the consent header of a legacy deployment', k.goodConsent, { expect: ok }),
    ],
  },
  {
    id: 'LEG-03',
    title: 'environment separation by key set',
    modes: [LEGACY],
    variants: async (k) => {
      const tt02 = await deterministicSigningKey('attacker', { kid: 'tt02-altinn' })
      const claims = altinn2Claims({ now: NOW, services: SERVICE_2023 })
      return [
        lv(
          'test-signed legacy token, its own thumbprint',
          k.sign(claims, { alg: 'RS256', kid: 'tt02-thumbprint', x5t: 'tt02-thumbprint', typ: 'JWT' }, tt02.privateKey),
          { expect: r401('token_key_unknown') },
        ),
        lv(
          'test-signed legacy token under the prod thumbprint',
          k.sign(claims, { alg: 'RS256', kid: k.altinn2.thumbprint, x5t: k.altinn2.thumbprint, typ: 'JWT' }, tt02.privateKey),
          { expect: r401('token_signature_invalid') },
        ),
      ]
    },
  },
  {
    id: 'LEG-04',
    title: 'certificate header tricks',
    modes: [LEGACY],
    variants: (k) => {
      const claims = altinn2Claims({ now: NOW, services: SERVICE_2023 })
      const t = k.altinn2.thumbprint
      return [
        lv(
          'x5c attacker chain, K_att signature',
          k.sign(claims, { alg: 'RS256', kid: t, x5t: t, x5c: [Buffer.from('attacker-cert').toString('base64')] }, k.attacker.privateKey),
          { expect: r401('token_signature_invalid') },
        ),
        lv('x5t of Altinn’s certificate only, K_att signature', k.sign(claims, { alg: 'RS256', x5t: t }, k.attacker.privateKey), {
          expect: r401('token_signature_invalid'),
        }),
        lv('kid and x5t disagree', k.sign(claims, { alg: 'RS256', kid: t, x5t: 'another-thumbprint' }, k.altinn2.key.privateKey), {
          expect: r401('token_header_invalid'),
        }),
        lv('control: x5t only, Altinn’s key', k.sign(claims, { alg: 'RS256', x5t: t }, k.altinn2.key.privateKey), { expect: ok }),
      ]
    },
  },
  {
    id: 'LEG-05',
    title: 'party mismatch',
    modes: [LEGACY],
    variants: (k) => [
      lv('OfferedBy FNR_B', legacy(k, { offeredBy: FNR_B }), { expect: r403('consent_subject_mismatch') }),
      lv('CoveredBy another org', legacy(k, { coveredBy: OTHER_ORG }), { expect: r403('consent_not_for_consumer') }),
      lv('CoveredBy 0192-prefixed', legacy(k, { coveredBy: `0192:${CONSUMER}` }), { expect: r401('consent_malformed') }),
      lv('HandledBy present, access token without supplier', legacy(k, { handledBy: SUPPLIER }), {
        expect: r403('token_binding_mismatch'),
      }),
      {
        label: 'HandledBy ≠ the access token’s supplier',
        path: LEGACY_PATH,
        headers: (_m, kit) => pair(kit.sign(kit.accessClaims({ supplier: OTHER_ORG })), legacy(kit, { handledBy: SUPPLIER })),
        expect: r403('token_binding_mismatch'),
      },
      {
        label: 'control: HandledBy = the access token’s supplier',
        path: LEGACY_PATH,
        headers: (_m, kit) => pair(kit.sign(kit.accessClaims({ supplier: SUPPLIER })), legacy(kit, { handledBy: SUPPLIER })),
        expect: ok,
      },
    ],
  },
  {
    id: 'LEG-06',
    title: 'Services parsing is strict',
    modes: [LEGACY],
    variants: (k) => {
      const services = (value: unknown, name = 'Services') => legacy(k, { extra: { Services: undefined, [name]: value } })
      return [
        lv('array 4629_2 + 4629_2_inntektsaar=2023', services(['4629_2', '4629_2_inntektsaar=2023']), { expect: ok }),
        lv('comma form 4629,2 + 4629,2,inntektsaar=2023', services(['4629,2', '4629,2,inntektsaar=2023']), { expect: ok }),
        lv('ServiceCodes name', services(['4629,2', '4629,2,inntektsaar=2023'], 'ServiceCodes'), { expect: ok }),
        lv('a single string entry 4629_2_inntektsaar=2023', services('4629_2_inntektsaar=2023'), { expect: ok }),
        lv('mixed separators 4629_2,inntektsaar=2023', services(['4629_2', '4629_2,inntektsaar=2023']), {
          expect: r401('consent_malformed'),
        }),
        lv('the same key twice with different years', services(['4629_2_inntektsaar=2016', '4629_2_inntektsaar=2023']), {
          expect: r403('consent_metadata_mismatch'),
        }),
        // Several parameters in one entry are documented (Altinn's 2017 example); one key twice is ambiguous.
        lv('inntektsaar=2016_inntektsaar=2023', services(['4629_2_inntektsaar=2016_inntektsaar=2023']), {
          expect: r403('consent_metadata_mismatch'),
        }),
        lv(
          'two parameters in one entry, one unknown to the route: 4629,2,inntektsaar=2023,x=1',
          services(['4629,2', '4629,2,inntektsaar=2023,x=1']),
          {
            expect: r403('consent_metadata_mismatch'),
          },
        ),
        lv('a value with "=" 4629_2_inntektsaar=2023=2016', services(['4629_2_inntektsaar=2023=2016']), {
          expect: r401('consent_malformed'),
        }),
        lv('another service code', services(['4630_2', '4630_2_inntektsaar=2023']), { expect: r403('consent_resource_mismatch') }),
        lv('both Services and ServiceCodes', legacy(k, { extra: { ServiceCodes: ['4629,2'] } }), { expect: r401('consent_malformed') }),
      ]
    },
  },
  {
    id: 'LEG-07',
    title: 'time',
    modes: [LEGACY],
    variants: (k) => [
      lv('ValidToDate < NOW', legacy(k, { validToDate: NOW - 60 }), { expect: r403('consent_expired') }),
      lv('DelegatedDate > NOW', legacy(k, { delegatedDate: NOW + 3600 }), { expect: r403('consent_not_yet_valid') }),
      lv('exp in the past', legacy(k, { now: NOW - 100 }), { expect: r401('token_expired') }),
      lv('nbf in the future', legacy(k, { now: NOW + 60 }), { expect: r401('token_not_yet_valid') }),
      lv('no nbf', legacy(k, { extra: { nbf: undefined } }), { expect: r401('token_claims_invalid') }),
    ],
  },
  {
    id: 'LEG-08',
    title: 'long-lived legacy token',
    modes: [LEGACY],
    expect: r401('token_lifetime_exceeded'),
    variants: (k) => [
      lv('exp - nbf = 3 days', legacy(k, { lifetimeSeconds: 3 * 86_400 })),
      lv('exp - nbf = 121 s (cap 120)', legacy(k, { lifetimeSeconds: 121 })),
    ],
  },
]

export { pair }
