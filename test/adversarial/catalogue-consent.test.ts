/**
 * docs/security.md over HTTP, request- and consent-level categories: CON, BND, RPL, HTTP and LEG,
 * against Fastify, Express 5 and Express 4. Stateless cases are rows (catalogue/consent.ts);
 * the stateful replay cases (RPL) and the oracle comparison (HTTP-13) are written out below,
 * sharing the same apps and the same answer checks.
 */
import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { BND_ROWS, CON_ROWS, HTTP_ROWS, LEG_ROWS, pair } from './catalogue/consent.js'
import { checkAnswer, defineCatalogue, ok, r401, r403, type AppKind, type Expect } from './support/catalogue.js'
import { FNR_A, FNR_B, NOW, OTHER_ORG, RESOURCE, type Kit } from './support/fixtures.js'
import { send, type HeaderLine, type Seen } from './support/http.js'
import { TARGETS, type RunningTarget } from './support/targets.js'

const handle = defineCatalogue(
  'catalogue over HTTP: consent, binding, HTTP, legacy (CON, BND, HTTP, LEG)',
  [...CON_ROWS, ...BND_ROWS, ...HTTP_ROWS, ...LEG_ROWS],
  () => {
    /** Sends one request to app `i` of `kind` and checks it like a row does. */
    async function probe(
      kind: AppKind,
      i: number,
      label: string,
      path: string,
      headers: readonly HeaderLine[],
      expected: Expect,
    ): Promise<Seen> {
      const app = handle.apps(kind)[i] as RunningTarget
      const target = TARGETS[i] as (typeof TARGETS)[number]
      const id = randomUUID()
      const seen = await send(app.baseUrl, { path, headers: [...headers, ['x-probe', id]] })
      checkAnswer(
        `${target.name} · ${label}`,
        target,
        app,
        id,
        'GET',
        seen,
        expected,
        headers.map(([, v]) => v),
      )
      return seen
    }
    const each = (fn: (i: number, k: Kit) => Promise<void>) => () => Promise.all(TARGETS.map((_, i) => fn(i, handle.kit())))
    // Every token gets its own jti, as Maskinporten's do, unless a case reuses one on purpose.
    const loanToken = (k: Kit, consentId: string, extra: { jti?: string; client_id?: string; iat?: number } = {}) =>
      k.sign(k.claims({ jti: randomUUID(), ...extra, consent: { id: consentId, from: { person: FNR_A }, resource: 'example-loan-check' } }))
    const loan = `/loan-check/${FNR_A}`

    it(
      'RPL-01 bearer reuse within exp on an ordinary route: 200, 200',
      each(async (i, k) => {
        await probe('single', i, 'first', `/income/2023/${FNR_A}`, pair(k.good), ok)
        await probe('single', i, 'second', `/income/2023/${FNR_A}`, pair(k.good), ok)
      }),
    )

    it(
      'RPL-02 one-time consent reused with a fresh token (new jti): 200, then 403',
      each(async (i, k) => {
        const id = randomUUID()
        await probe('single', i, 'first use', loan, pair(loanToken(k, id, { jti: randomUUID() })), ok)
        await probe(
          'single',
          i,
          'fresh token, same consent',
          loan,
          pair(loanToken(k, id, { jti: randomUUID() })),
          r403('consent_already_used'),
        )
        // Two-token mode keys the record the same way: the consent, not the token.
        await probe('twoToken', i, 'two-token first use', loan, pair(k.goodAccess, loanToken(k, id)), ok)
        await probe(
          'twoToken',
          i,
          'two-token reuse',
          loan,
          pair(k.goodAccess, loanToken(k, id, { jti: randomUUID() })),
          r403('consent_already_used'),
        )
      }),
    )

    it(
      'RPL-03 twenty concurrent requests with one one-time consent: exactly one 200',
      each(async (i, k) => {
        const app = handle.apps('single')[i] as RunningTarget
        const token = loanToken(k, randomUUID())
        const probes: string[] = Array.from({ length: 20 }, () => randomUUID())
        const answers = await Promise.all(probes.map((id) => send(app.baseUrl, { path: loan, headers: [...pair(token), ['x-probe', id]] })))
        expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array.from({ length: 19 }, () => 403)])
        expect(answers.filter((a) => a.status === 403).every((a) => (a.body as { code?: string }).code === 'consent_already_used')).toBe(
          true,
        )
        expect(app.handled.filter((h) => probes.includes(h.probe ?? ''))).toHaveLength(1)
      }),
    )

    it(
      'RPL-04 other spellings of one token are refused, and cannot reuse a one-time consent',
      each(async (i, k) => {
        const token = loanToken(k, randomUUID())
        const [h, p, s] = token.split('.') as [string, string, string]
        // The last of 342 characters carries 4 padding bits: flipping one yields the same bytes.
        const last = s.at(-1) as string
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        const sibling = alphabet[(alphabet.indexOf(last) & ~0b1111) | ((alphabet.indexOf(last) + 1) & 0b1111)] as string
        expect(Buffer.from(s.slice(0, -1) + sibling, 'base64url')).toEqual(Buffer.from(s, 'base64url'))
        for (const [label, spelled] of [
          ['non-canonical last character', `${h}.${p}.${s.slice(0, -1)}${sibling}`],
          ['"==" appended', `${token}==`],
          ['"=" appended', `${token}=`],
        ] as const) {
          await probe('single', i, label, loan, pair(spelled), r401('token_malformed'))
        }
        await probe('single', i, 'canonical first use', loan, pair(token), ok)
        await probe('single', i, 'non-canonical reuse', loan, pair(`${h}.${p}.${s.slice(0, -1)}${sibling}`), r401('token_malformed'))
        await probe('single', i, 'canonical reuse', loan, pair(token), r403('consent_already_used'))
      }),
    )

    it(
      'RPL-07 jti reuse with the same consent on a one-time route: the second is 403',
      each(async (i, k) => {
        const id = randomUUID()
        await probe('single', i, 'first', loan, pair(loanToken(k, id, { jti: 'reused-jti', client_id: 'c-1' })), ok)
        await probe(
          'single',
          i,
          'same jti, other claims',
          loan,
          pair(loanToken(k, id, { jti: 'reused-jti', client_id: 'c-9', iat: NOW - 5 })),
          r403('consent_already_used'),
        )
      }),
    )

    it(
      'RPL-07 jti reuse with different content on a one-time route',
      each(async (i, k) => {
        const jti = `jti-${randomUUID()}`
        await probe('single', i, 'first', loan, pair(loanToken(k, randomUUID(), { jti })), ok)
        await probe('single', i, 'same jti, another consent', loan, pair(loanToken(k, randomUUID(), { jti })), r403('consent_already_used'))
      }),
    )

    it(
      'HTTP-13 no consent oracle: same status, challenge and description for every mismatch',
      each(async (i, k) => {
        const answers: Seen[] = [
          await probe(
            'single',
            i,
            'subject has no consent (consent for A, request for B)',
            `/income/2023/${FNR_B}`,
            pair(k.good),
            r403('consent_subject_mismatch'),
          ),
          await probe('single', i, 'subject unknown', '/income/2023/01010112345', pair(k.good), r403('consent_subject_mismatch')),
          await probe(
            'single',
            i,
            'consent for another org',
            `/income/2023/${FNR_A}`,
            pair(k.sign(k.withConsent({ to: { authority: 'iso6523-actorid-upis', ID: `0192:${OTHER_ORG}` } }))),
            r403('consent_not_for_consumer'),
          ),
          await probe(
            'single',
            i,
            'consent for another year',
            `/income/2023/${FNR_A}`,
            pair(
              k.sign(
                k.withConsent({
                  consentRights: [
                    {
                      action: ['consent'],
                      resource: [{ type: 'urn:altinn:resource', value: RESOURCE }],
                      metadata: { inntektsaar: '2022' },
                    },
                  ],
                }),
              ),
            ),
            r403('consent_metadata_mismatch'),
          ),
        ]
        const visible = (a: Seen) => ({
          status: a.status,
          challenge: a.headers['www-authenticate'],
          detail: (a.body as Record<string, unknown>).message ?? (a.body as Record<string, unknown>).detail,
        })
        const first = visible(answers[0] as Seen)
        for (const a of answers) expect(visible(a)).toEqual(first)
        expect(first.challenge).not.toContain('scope=')
      }),
    )
  },
)
