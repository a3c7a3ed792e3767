/**
 * The routes every adapter under test serves, as framework-neutral data. Both Fastify and Express
 * use `:name` path parameters and expose `params`/`query` on their request objects, so one
 * requirement table serves both.
 */
import type { ConsentRequirement, VerifiedConsent } from '@consent-guard/core'
import { TEST_IDENTITIES } from '@consent-guard/testkit'

/** The part of a Fastify or Express request the requirements read. */
export interface NeutralRequest {
  readonly params: unknown
  readonly query: unknown
}

const param =
  (name: string) =>
  (req: NeutralRequest): string | undefined =>
    (req.params as Record<string, string | undefined>)[name]
const query = (req: NeutralRequest, name: string): string | undefined => {
  const value = (req.query as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

export interface ConformanceRoute {
  readonly path: string
  readonly requirement: ConsentRequirement<NeutralRequest>
  /** When set, the handler fails after the check (500) and releases a one-time consent first. */
  readonly failsAndReleases?: boolean
}

export const SCOPE = 'example:income'
export const REALM = 'conformance'

export const ROUTES: readonly ConformanceRoute[] = [
  {
    path: '/income/:year/:personId',
    requirement: {
      scope: SCOPE,
      resource: 'example-income',
      subject: param('personId'),
      subjectType: 'person',
      metadata: { inntektsaar: { equals: param('year') } },
    },
  },
  {
    path: '/income-period/:personId',
    requirement: {
      scope: SCOPE,
      resource: 'example-income-period',
      subject: param('personId'),
      period: { start: 'fraogmed', end: 'tilogmed', requested: (req) => ({ from: query(req, 'from') ?? '', to: query(req, 'to') ?? '' }) },
    },
  },
  {
    path: '/allow-listed/:year/:personId',
    requirement: {
      scope: SCOPE,
      resource: 'example-income',
      subject: param('personId'),
      metadata: { inntektsaar: { equals: param('year') } },
      consumers: [TEST_IDENTITIES.consumerOrgno],
    },
  },
  {
    path: '/loan-check/:personId',
    requirement: { scope: SCOPE, resource: 'example-loan-check', subject: param('personId'), oneTime: true },
  },
  {
    path: '/loan-check-failing/:personId',
    requirement: { scope: SCOPE, resource: 'example-loan-check', subject: param('personId'), oneTime: true },
    failsAndReleases: true,
  },
]

/** What a protected handler saw: the route and the consent it was handed. */
export interface HandledCall {
  readonly path: string
  readonly consent: VerifiedConsent | null | undefined
}

/** The JSON every protected handler answers with (the same in every adapter). */
export function handlerBody(path: string, consent: VerifiedConsent) {
  return {
    route: path,
    consentId: consent.id,
    subject: consent.subject.id,
    resource: consent.resource,
    metadata: consent.right.metadata,
    consumer: consent.consumer,
    scopes: consent.token.scopes,
    twoToken: consent.consentToken !== undefined,
  }
}

/** Thrown by `failsAndReleases` handlers after releasing the consent. */
export class HandlerFailure extends Error {
  readonly statusCode = 500
}
