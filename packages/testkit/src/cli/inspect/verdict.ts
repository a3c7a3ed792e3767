import { headersFromRecord, isConsentGuardError, type ConsentGuard } from '@consent-guard/core'
import { verifyAltinn2Token, verifyMaskinportenToken } from '@consent-guard/core/pipeline'
import type { Verdict } from './report.js'
import { CONSENT_HEADER, type Setup } from './setup.js'

/** Runs the real core guard on the token (or on a re-signed copy when no JWKS is given). */
export async function coreVerdict(setup: Setup): Promise<Verdict> {
  const { guard, compiled, candidate } = setup
  const o = guard.options
  const reject = (err: unknown, scope: Verdict['scope']): Verdict => {
    if (!isConsentGuardError(err)) throw err
    return { scope, accepted: false, status: err.statusCode, code: err.code, description: err.message }
  }
  if (compiled === undefined) {
    try {
      if (setup.legacy) {
        const keySet = guard.altinn2KeySet as NonNullable<ConsentGuard['altinn2KeySet']>
        await verifyAltinn2Token(candidate, {
          getKey: keySet.getKey,
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.altinn2MaxTokenAge,
          nowMs: () => o.clock().getTime(),
        })
      } else {
        await verifyMaskinportenToken(candidate, {
          issuer: o.issuer,
          getKey: guard.keySet.getKey,
          algorithms: o.algorithms,
          clockTolerance: o.clockTolerance,
          maxTokenAge: o.maxTokenAge,
          audience: o.audience,
          requireAudience: o.requireAudience,
          consumerAuthorities: o.consumerAuthorities,
          nowMs: () => o.clock().getTime(),
        })
      }
      return { scope: 'token', accepted: true, description: 'the token passes the token checks (no route requirement was given)' }
    } catch (err) {
      return reject(err, 'token')
    }
  }
  const headers =
    setup.standIn !== undefined
      ? { authorization: `Bearer ${setup.standIn.token}`, [CONSENT_HEADER]: candidate }
      : { authorization: `Bearer ${candidate}` }
  try {
    const consent = await guard.check({ headers: headersFromRecord(headers), request: setup.request }, compiled)
    return {
      scope: 'full',
      accepted: true,
      description: `the consent ${consent.id} covers this request${setup.legacy ? ' (beside the assumed access token)' : ''}`,
    }
  } catch (err) {
    return reject(err, 'full')
  }
}
