/**
 * The conformance table: one row per behaviour, run unchanged against every adapter. Expected
 * values are written out here (not derived from core), so a row fails if an adapter or core
 * changes a status, a challenge or a code.
 */
import type { ConsentGuardErrorCode } from '@consent-guard/core'
import { deterministicSigningKey, TEST_IDENTITIES, type JwksBehaviour, type TestIssuer } from '@consent-guard/testkit'
import type { HeaderLine, RequestSpec } from './client.js'
import { SCOPE } from './routes.js'

const { personA, personB, consumerOrgno, otherOrgno } = TEST_IDENTITIES

/** Which app instance a scenario runs against. */
export type AppKind = 'single' | 'twoToken' | 'outage'

export interface ScenarioContext {
  /** Issuer trusted by the `single` and `twoToken` apps. */
  readonly issuer: TestIssuer
  /** Issuer trusted by the `outage` app; its JWKS endpoint is switched into failure modes. */
  readonly outageIssuer: TestIssuer
}

export interface Prepared extends RequestSpec {
  /** Requests sent first, with the status each must get (one-time consent sequences). */
  readonly before?: readonly { readonly spec: RequestSpec; readonly status: number }[]
  /** The consent id the token carries, for accepted requests. */
  readonly consentId?: string
}

/** RFC 6750 challenge expected in `WWW-Authenticate`; `absent` = no such header (503). */
export type Challenge = 'no-error' | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'absent'

export interface Accepted {
  readonly status: 200
  readonly route: string
  readonly subject: string
  readonly resource: string
  readonly metadata: Readonly<Record<string, string>>
  readonly twoToken: boolean
}

export interface Rejected {
  readonly status: 400 | 401 | 403 | 503
  readonly code: ConsentGuardErrorCode
  readonly challenge: Challenge
  /** Text the challenge must also contain, e.g. `scope="example:income"`. */
  readonly challengeIncludes?: string
}

export interface Scenario {
  readonly name: string
  readonly app: AppKind
  prepare(ctx: ScenarioContext): Promise<Prepared>
  readonly expect: Accepted | Rejected
}

const now = (): number => Math.floor(Date.now() / 1000)
const bearer = (token: string): HeaderLine => ['Authorization', `Bearer ${token}`]
const income2023 = { resource: 'example-income', metadata: { inntektsaar: '2023' } }
const incomePath = (personId: string = personA, year = '2023'): string => `/income/${year}/${personId}`

const rejected = (status: Rejected['status'], code: ConsentGuardErrorCode, challenge: Challenge, challengeIncludes?: string): Rejected => ({
  status,
  code,
  challenge,
  ...(challengeIncludes !== undefined && { challengeIncludes }),
})

const incomeAccepted: Accepted = {
  status: 200,
  route: '/income/:year/:personId',
  subject: personA,
  resource: 'example-income',
  metadata: { inntektsaar: '2023' },
  twoToken: false,
}

/** One row per outage mode: a fresh guard that has never fetched keys, and a failing key set. */
function outage(name: string, behaviour: JwksBehaviour): Scenario {
  return {
    name: `key-set outage (${name}): 503 jwks_unavailable`,
    app: 'outage',
    async prepare({ outageIssuer }) {
      outageIssuer.server.setBehaviour(behaviour)
      const token = await outageIssuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(503, 'jwks_unavailable', 'absent'),
  }
}

export const SCENARIOS: readonly Scenario[] = [
  // ---- accepted -------------------------------------------------------------------------------
  {
    name: 'accepted: single-token consent for the requested person and year',
    app: 'single',
    async prepare({ issuer }) {
      const consentId = '0d3f6c2e-6a0b-4a5e-9d43-6f1f1d1c8a01'
      const token = await issuer.consentToken({ scope: SCOPE, consent: { ...income2023, id: consentId } })
      return { path: incomePath(), headers: [bearer(token)], consentId }
    },
    expect: incomeAccepted,
  },
  {
    name: 'accepted: the Bearer scheme in any case',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath(), headers: [['authorization', `bEARER ${token}`]] }
    },
    expect: incomeAccepted,
  },
  {
    name: 'accepted: a period inside the consented fraogmed..tilogmed',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({
        scope: SCOPE,
        consent: { resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
      })
      return { path: `/income-period/${personA}?from=2024-03&to=2024-06`, headers: [bearer(token)] }
    },
    expect: {
      status: 200,
      route: '/income-period/:personId',
      subject: personA,
      resource: 'example-income-period',
      metadata: { fraogmed: '2024-01', tilogmed: '2024-12' },
      twoToken: false,
    },
  },
  {
    name: 'accepted: consumer on the allow-list',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: `/allow-listed/2023/${personA}`, headers: [bearer(token)] }
    },
    expect: { ...incomeAccepted, route: '/allow-listed/:year/:personId' },
  },
  {
    name: 'accepted: two-token mode, consent token in the AltinnSamtykke header',
    app: 'twoToken',
    async prepare({ issuer }) {
      const access = await issuer.accessToken({ scope: SCOPE })
      const consent = await issuer.consentToken({ scope: 'altinn:consentrequests.read', consent: income2023 })
      return { path: incomePath(), headers: [bearer(access), ['AltinnSamtykke', consent]] }
    },
    expect: { ...incomeAccepted, twoToken: true },
  },

  // ---- consent does not cover the request (403) -------------------------------------------------
  {
    name: 'consent from another person',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath(personB), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_subject_mismatch', 'insufficient_scope'),
  },
  {
    name: 'consent for another resource',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { resource: 'example-other', metadata: { inntektsaar: '2023' } } })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_resource_mismatch', 'insufficient_scope'),
  },
  {
    name: 'consent for another action',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { ...income2023, action: ['read'] } })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_action_mismatch', 'insufficient_scope'),
  },
  {
    name: 'consent metadata for another year',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { resource: 'example-income', metadata: { inntektsaar: '2022' } } })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_metadata_mismatch', 'insufficient_scope'),
  },
  {
    name: 'requested period outside the consented period',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({
        scope: SCOPE,
        consent: { resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
      })
      return { path: `/income-period/${personA}?from=2023-11&to=2024-02`, headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_metadata_mismatch', 'insufficient_scope'),
  },
  {
    name: 'consent expired',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { ...income2023, validTo: now() - 60 } })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_expired', 'insufficient_scope'),
  },
  {
    name: 'consent given to another organisation than the consumer',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { ...income2023, to: otherOrgno } })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_not_for_consumer', 'insufficient_scope'),
  },
  {
    name: 'token without any consent',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.accessToken({ scope: SCOPE })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'consent_missing', 'insufficient_scope'),
  },
  {
    name: 'required scope missing',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: 'example:other', consent: income2023 })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(403, 'scope_missing', 'insufficient_scope', `scope="${SCOPE}"`),
  },
  {
    name: 'consumer not on the allow-list',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consumer: otherOrgno, consent: income2023 })
      return { path: `/allow-listed/2023/${personA}`, headers: [bearer(token)] }
    },
    expect: rejected(403, 'consumer_not_allowed', 'insufficient_scope'),
  },
  {
    name: 'one-time consent used a second time',
    app: 'single',
    async prepare({ issuer }) {
      const consent = { id: crypto.randomUUID(), resource: 'example-loan-check' }
      const first = await issuer.consentToken({ scope: SCOPE, consent })
      // A fresh token for the same consent is refused too: the record is per consent, not per token.
      const second = await issuer.consentToken({ scope: SCOPE, consent })
      return {
        before: [{ spec: { path: `/loan-check/${personA}`, headers: [bearer(first)] }, status: 200 }],
        path: `/loan-check/${personA}`,
        headers: [bearer(second)],
      }
    },
    expect: rejected(403, 'consent_already_used', 'insufficient_scope'),
  },
  {
    name: 'one-time consent released by a failing handler can be used once more',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: { id: crypto.randomUUID(), resource: 'example-loan-check' } })
      return {
        before: [
          { spec: { path: `/loan-check-failing/${personA}`, headers: [bearer(token)] }, status: 500 },
          { spec: { path: `/loan-check/${personA}`, headers: [bearer(token)] }, status: 200 },
        ],
        path: `/loan-check/${personA}`,
        headers: [bearer(token)],
      }
    },
    expect: rejected(403, 'consent_already_used', 'insufficient_scope'),
  },

  // ---- the request is incomplete or ambiguous (400) -------------------------------------------
  {
    name: 'two Authorization lines',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath(), headers: [bearer(token), bearer(token)] }
    },
    expect: rejected(400, 'credentials_duplicated', 'invalid_request'),
  },
  {
    name: 'two Authorization lines in different case',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      const other = await issuer.consentToken({ scope: SCOPE, consent: { ...income2023, from: { person: personB } } })
      return {
        path: incomePath(),
        headers: [
          ['Authorization', `Bearer ${token}`],
          ['authorization', `Bearer ${other}`],
        ],
      }
    },
    expect: rejected(400, 'credentials_duplicated', 'invalid_request'),
  },
  {
    name: 'comma-joined credentials in one Authorization line',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath(), headers: [['Authorization', `Bearer ${token}, Bearer ${token}`]] }
    },
    expect: rejected(400, 'credentials_duplicated', 'invalid_request'),
  },
  {
    name: 'token in the query string as well as the header',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: `${incomePath()}?access_token=${token}`, headers: [bearer(token)] }
    },
    expect: rejected(400, 'credentials_in_url', 'invalid_request'),
  },
  {
    name: 'subject in the URL is not an identity number',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: incomePath('1234'), headers: [bearer(token)] }
    },
    expect: rejected(400, 'subject_invalid', 'invalid_request'),
  },
  {
    name: 'period route without the period',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({
        scope: SCOPE,
        consent: { resource: 'example-income-period', metadata: { fraogmed: '2024-01', tilogmed: '2024-12' } },
      })
      return { path: `/income-period/${personA}`, headers: [bearer(token)] }
    },
    expect: rejected(400, 'request_parameter_missing', 'invalid_request'),
  },

  // ---- missing or unusable credentials (401) --------------------------------------------------
  {
    name: 'no credentials',
    app: 'single',
    async prepare() {
      return { path: incomePath(), headers: [] }
    },
    expect: rejected(401, 'credentials_missing', 'no-error'),
  },
  {
    name: 'another authentication scheme',
    app: 'single',
    async prepare() {
      return { path: incomePath(), headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }
    },
    expect: rejected(401, 'credentials_missing', 'no-error'),
  },
  {
    name: 'token only in the query string (not accepted there)',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 })
      return { path: `${incomePath()}?access_token=${token}`, headers: [] }
    },
    expect: rejected(401, 'credentials_missing', 'no-error'),
  },
  {
    name: 'HEAD without credentials is refused like GET',
    app: 'single',
    async prepare() {
      return { method: 'HEAD', path: incomePath(), headers: [] }
    },
    expect: rejected(401, 'credentials_missing', 'no-error'),
  },
  {
    name: 'malformed bearer token',
    app: 'single',
    async prepare() {
      return { path: incomePath(), headers: [['Authorization', 'Bearer not-a.jwt']] }
    },
    expect: rejected(401, 'token_malformed', 'invalid_token'),
  },
  {
    name: 'expired access token',
    app: 'single',
    async prepare({ issuer }) {
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023, iat: now() - 600, exp: now() - 300 })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(401, 'token_expired', 'invalid_token'),
  },
  {
    name: 'token signed by an attacker key under the issuer kid',
    app: 'single',
    async prepare({ issuer }) {
      const key = await deterministicSigningKey('attacker', { kid: issuer.signer.kid })
      const token = await issuer.consentToken({ scope: SCOPE, consent: income2023 }, { key })
      return { path: incomePath(), headers: [bearer(token)] }
    },
    expect: rejected(401, 'token_signature_invalid', 'invalid_token'),
  },

  // ---- two-token mode ------------------------------------------------------------------------
  {
    name: 'two-token mode without the consent header',
    app: 'twoToken',
    async prepare({ issuer }) {
      const access = await issuer.accessToken({ scope: SCOPE })
      return { path: incomePath(), headers: [bearer(access)] }
    },
    expect: rejected(403, 'consent_missing', 'insufficient_scope'),
  },
  {
    name: 'two-token mode with two consent header lines',
    app: 'twoToken',
    async prepare({ issuer }) {
      const access = await issuer.accessToken({ scope: SCOPE })
      const consent = await issuer.consentToken({ consent: income2023 })
      return { path: incomePath(), headers: [bearer(access), ['AltinnSamtykke', consent], ['altinnsamtykke', consent]] }
    },
    expect: rejected(400, 'consent_token_duplicated', 'invalid_request'),
  },
  {
    name: 'two-token mode with tokens of two different consumers',
    app: 'twoToken',
    async prepare({ issuer }) {
      const access = await issuer.accessToken({ scope: SCOPE, consumer: consumerOrgno })
      const consent = await issuer.consentToken({ consumer: otherOrgno, consent: income2023 })
      return { path: incomePath(), headers: [bearer(access), ['AltinnSamtykke', consent]] }
    },
    expect: rejected(403, 'token_binding_mismatch', 'insufficient_scope'),
  },
  {
    name: 'two-token mode with a malformed consent token',
    app: 'twoToken',
    async prepare({ issuer }) {
      const access = await issuer.accessToken({ scope: SCOPE })
      return { path: incomePath(), headers: [bearer(access), ['AltinnSamtykke', 'not-a.jwt']] }
    },
    expect: rejected(401, 'token_malformed', 'invalid_token'),
  },

  // ---- our dependency failed (503) ------------------------------------------------------------
  outage('HTTP 500', 'status500'),
  outage('connection reset', 'down'),
  outage('HTML maintenance page', 'html'),
  outage('slower than the fetch timeout', { delayMs: 2_000 }),
]
