import { isConsentGuardError } from '../errors.js'
import type { GuardInput } from '../guard.js'
import type { CompiledRequirement } from '../requirement/compile.js'
import type { VerifiedConsent } from '../result.js'
import { checkChannel, type CheckTraceContext } from './diagnostics.js'

type Check = <Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>) => Promise<VerifiedConsent>

/**
 * Runs `check` inside the check tracing channel when anyone subscribes (else directly, at no
 * cost). The context carries resource, mode, one-time flag, then decision, code, status and
 * duration; never the verified consent (`result` stays undefined) nor anything from the token.
 */
export function traceCheck(check: Check, mode: CheckTraceContext['mode']): Check {
  return <Req>(input: GuardInput<Req>, compiled: CompiledRequirement<Req>): Promise<VerifiedConsent> => {
    if (!checkChannel.hasSubscribers) return check(input, compiled)
    const context: CheckTraceContext = { resource: compiled?.resource, mode, oneTime: compiled?.oneTime === true }
    const started = performance.now()
    let consent: VerifiedConsent | undefined
    return checkChannel
      .tracePromise(async () => {
        try {
          consent = await check(input, compiled)
          context.decision = 'accepted'
          context.status = 200
        } catch (err) {
          if (isConsentGuardError(err)) {
            context.decision = 'rejected'
            context.code = err.code
            context.status = err.statusCode
          } else {
            context.decision = 'error'
          }
          throw err
        } finally {
          context.durationMs = performance.now() - started
        }
        return undefined
      }, context)
      .then(() => consent as VerifiedConsent)
  }
}
