import { createTestIssuer, TEST_IDENTITIES, type TestIssuer, type ConsentTokenOptions } from '@consent-guard/testkit'
import {
  createConsentGuard,
  headersFromRecord,
  isConsentGuardError,
  type AuditEvent,
  type CompiledRequirement,
  type ConsentGuard,
  type ConsentGuardOptions,
  type ConsentRequirement,
  type VerifiedConsent,
} from '@consent-guard/core'

/** Fixed clock for every core test: 2026-07-18T07:57:15Z. */
export const NOW = 1_784_361_435
export const NOW_DATE = new Date(NOW * 1000)
export const SCOPE = 'example:income'
export const RESOURCE = 'example-income'
export const { personA: FNR_A, personB: FNR_B, consumerOrgno: CONSUMER, supplierOrgno: SUPPLIER, otherOrgno: OTHER_ORG } = TEST_IDENTITIES

/** A fake request as an adapter would pass it. */
export interface FakeRequest {
  params: Record<string, string | undefined>
}

/** The baseline route: person income for one year. */
export const incomeRoute: ConsentRequirement<FakeRequest> = {
  scope: SCOPE,
  resource: RESOURCE,
  subject: (req) => req.params.personId,
  metadata: { inntektsaar: { equals: (req) => req.params.year } },
}

export interface Harness {
  issuer: TestIssuer
  guard: ConsentGuard
  events: AuditEvent[]
  /** Baseline consent token options (scope + one consent for FNR_A, 2023). */
  tokenOptions(overrides?: ConsentTokenOptions): ConsentTokenOptions
  token(overrides?: ConsentTokenOptions): Promise<string>
  run(
    headers: Record<string, string | string[]>,
    params?: Partial<FakeRequest['params']>,
    requirement?: ConsentRequirement<FakeRequest>,
  ): Promise<VerifiedConsent>
  /** Runs and returns the error code, or 'accepted'. */
  outcome(
    headers: Record<string, string | string[]>,
    params?: Partial<FakeRequest['params']>,
    requirement?: ConsentRequirement<FakeRequest>,
  ): Promise<string>
  bearer(token: string): Record<string, string>
  close(): Promise<void>
}

export async function createHarness(options: Partial<ConsentGuardOptions> = {}, issuer?: TestIssuer): Promise<Harness> {
  const iss = issuer ?? (await createTestIssuer({ now: NOW }))
  const events: AuditEvent[] = []
  const guard = createConsentGuard({
    maskinporten: { issuer: iss.issuer, jwksUri: iss.jwksUri },
    clock: () => new Date(NOW * 1000),
    onDecision: (e) => events.push(e),
    ...options,
  })
  const compiled = new Map<ConsentRequirement<FakeRequest>, CompiledRequirement<FakeRequest>>()
  const tokenOptions = (overrides: ConsentTokenOptions = {}): ConsentTokenOptions => ({
    scope: SCOPE,
    consent: { from: { person: FNR_A }, resource: RESOURCE, metadata: { inntektsaar: '2023' } },
    ...overrides,
  })
  const run: Harness['run'] = async (headers, params = {}, requirement = incomeRoute) => {
    let c = compiled.get(requirement)
    if (c === undefined) {
      c = guard.compile(requirement)
      compiled.set(requirement, c)
    }
    const request: FakeRequest = { params: { personId: FNR_A, year: '2023', ...params } }
    return guard.check({ headers: headersFromRecord(headers), request }, c)
  }
  return {
    issuer: iss,
    guard,
    events,
    tokenOptions,
    token: (overrides) => iss.consentToken(tokenOptions(overrides)),
    run,
    async outcome(headers, params, requirement) {
      try {
        await run(headers, params, requirement)
        return 'accepted'
      } catch (err) {
        if (isConsentGuardError(err)) return err.code
        throw err
      }
    },
    bearer: (token) => ({ authorization: `Bearer ${token}` }),
    close: () => (issuer === undefined ? iss.close() : Promise.resolve()),
  }
}

/** A loop kept stalled by {@link stallEventLoop}. */
export interface EventLoopStall {
  /** Resolves once two loop turns have stalled: from then on every turn begins after a stall. */
  readonly ready: Promise<void>
  stop(): void
}

/**
 * Keeps the event loop stalled, as CPU saturation does: each loop turn runs a busy loop of
 * `blockMs` in its timers phase, then the turn's I/O, until `stop()`. The event-loop sampler's
 * window timer, due during a block, runs at the start of the next turn, before that turn's block
 * and I/O: every request handled after `ready` meets a sample taken after a stall.
 */
export function stallEventLoop(blockMs: number): EventLoopStall {
  let stopped = false
  let turns = 0
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  const turn = (): void => {
    if (stopped) return
    const end = performance.now() + blockMs
    while (performance.now() < end) {
      // busy: nothing else runs on this thread meanwhile
    }
    if (++turns === 2) markReady()
    setTimeout(turn, 0)
  }
  setTimeout(turn, 0)
  return {
    ready,
    stop: () => {
      stopped = true
    },
  }
}

/** Resolves after `ms` of a free-running loop. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
