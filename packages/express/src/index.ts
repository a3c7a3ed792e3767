/**
 * `@consent-guard/express`: Express middleware that lets a data source require Altinn consent
 * (samtykke) carried by Maskinporten access tokens, with every rule in `@consent-guard/core`.
 * Works with Express 4 and 5.
 *
 * ```ts
 * import { requireConsent } from '@consent-guard/express'
 * app.use('/income/:year/:personId', requireConsent({ ... }, { maskinporten: 'prod' }))
 * ```
 * @packageDocumentation
 */
export {
  createConsentGuard,
  requireConsent,
  consentErrorHandler,
  getConsent,
  type ExpressConsentGuard,
  type ConsentErrorHandlerOptions,
  type ExpressConsentRequirement,
  type ConsentRequest,
  type ConsentMiddleware,
  type PathParams,
  type ParamsOf,
  type RouteOrParams,
} from './middleware.js'
export { describeConsentMiddleware, isConsentMiddleware } from './openapi.js'
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
  addConsentComponents,
  addConsentToOperation,
  type ConsentGuard,
  type ConsentGuardErrorCode,
  type ConsentGuardOptions,
  type ConsentRequirement,
  type VerifiedConsent,
  type AltinnConsentExtension,
  type BindingDescription,
  type ConsentOperationDescription,
  type ConsentOperationFragment,
  type OpenApiDescribeOptions,
} from '@consent-guard/core'
