/**
 * `@consent-guard/fastify`: a Fastify plugin that lets a data source require Altinn consent
 * (samtykke) carried by Maskinporten access tokens, with every rule in `@consent-guard/core`.
 *
 * ```ts
 * import consentGuard from '@consent-guard/fastify'
 * await fastify.register(consentGuard, { maskinporten: 'prod' })
 * ```
 * @packageDocumentation
 */
import { consentGuard } from './plugin.js'
export { consentProblemHandler, consentFrameworkErrors } from './operations.js'

export {
  consentGuard,
  getConsent,
  type ConsentGuardPluginOptions,
  type ConsentHook,
  type FastifyConsentRequirement,
  type FastifyConsentRequest,
  type RouteConsentRequest,
} from './plugin.js'
export type { ConsentOpenApiOptions } from './openapi.js'
export {
  ConsentGuardError,
  ConsentGuardConfigError,
  isConsentGuardError,
  maskIdentityNumbers,
  loggingPreset,
  optionsFromEnv,
  problemFor,
  period,
  fromParam,
  fromQuery,
  fromHeader,
  type ConsentGuard,
  type ConsentGuardErrorCode,
  type ConsentGuardOptions,
  type ConsentRequirement,
  type VerifiedConsent,
} from '@consent-guard/core'

export default consentGuard
