import { ERROR_CODES, type ConsentGuardErrorCode } from '../errors.js'
import type { CompiledRequirement } from '../requirement/compile.js'

/** The guard options that decide which codes a route can answer with. */
export interface CodeContext {
  /** Two-token mode: the consent header (the guard's `consentHeader`). */
  readonly consentHeader?: string | undefined
  /** Altinn 2 consent tokens are accepted (the guard's `altinn2` option). */
  readonly altinn2?: boolean
  /** Delegated tokens must name an allowed `delegation_source` (the guard's `delegationSources`). */
  readonly delegationSources?: boolean
  /** Load shedding is on (the guard's `overload`, on unless `false`). */
  readonly overload?: boolean
  /** Disclosures are recorded fail-closed (the guard's `onDisclosure` with `disclosureMode: 'fail-closed'`). */
  readonly disclosureFailClosed?: boolean
}

/**
 * The codes a request to a route with this requirement can be refused with, under these options,
 * in the order of the code table. Codes that need a feature the route or guard does not use (a
 * scope, an allow-list, one-time consents, two-token mode, a fail-closed disclosure log) are left out.
 */
export function possibleErrorCodes(compiled: CompiledRequirement<never>, context: CodeContext = {}): ConsentGuardErrorCode[] {
  const twoToken = context.consentHeader !== undefined
  const readsRequest = [...compiled.metadata.values()].some((rule) => 'equals' in rule) || compiled.period !== undefined
  const possible: Partial<Record<ConsentGuardErrorCode, boolean>> = {
    consent_token_duplicated: twoToken,
    token_binding_mismatch: twoToken,
    legacy_token_not_accepted: twoToken && context.altinn2 !== true,
    request_parameter_missing: readsRequest,
    request_parameter_invalid: readsRequest,
    scope_missing: compiled.scope !== undefined,
    consumer_not_allowed: compiled.consumers !== undefined,
    consumer_check_unavailable: typeof compiled.consumers === 'function',
    supplier_not_allowed: compiled.delegation === 'deny' || context.delegationSources === true,
    consent_already_used: compiled.oneTime,
    store_unavailable: compiled.oneTime,
    overloaded: context.overload !== false,
    disclosure_log_unavailable: context.disclosureFailClosed === true,
  }
  return (Object.keys(ERROR_CODES) as ConsentGuardErrorCode[]).filter((code) => possible[code] !== false)
}
