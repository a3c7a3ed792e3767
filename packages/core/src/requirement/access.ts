import { ConsentGuardError } from '../errors.js'
import { withTimeout } from '../timeout.js'
import { organizationFromText } from '../consent/organization.js'
import type { MaskinportenToken } from '../tokens/verify-token.js'
import type { CompiledRequirement } from './compile.js'

/** Guard-wide settings of the access checks (resolved options). */
export interface AccessRules {
  /** When set, a delegated token's `delegation_source` must be one of these. */
  readonly delegationSources: ReadonlySet<string> | undefined
  /** Bound on a `consumers` function, in ms. */
  readonly consumerCheckTimeoutMs: number
}

/**
 * The route's checks on the access token, before any consent is looked at: scope, delegation,
 * then the consumer allow-list (the only one that may wait on the application). Throws for the
 * first two; returns the allow-list check's promise when the route has one, else undefined.
 */
export function checkAccess<Req>(
  token: MaskinportenToken,
  compiled: CompiledRequirement<Req>,
  request: Req,
  rules: AccessRules,
): Promise<void> | undefined {
  checkScope(token, compiled)
  checkDelegation(token, compiled, rules)
  // Only an allow-list can wait; without one the check ends here, with no promise to await.
  return compiled.consumers === undefined ? undefined : checkConsumer(token, compiled, request, rules)
}

/** The token holds the route's scopes (all, or any one): else 403 `scope_missing` naming them. */
export function checkScope<Req>(token: Pick<MaskinportenToken, 'scopes'>, compiled: CompiledRequirement<Req>): void {
  const scope = compiled.scope
  if (scope === undefined) return
  const ok = scope.mode === 'all' ? scope.scopes.every((s) => token.scopes.includes(s)) : scope.scopes.some((s) => token.scopes.includes(s))
  if (!ok) throw new ConsentGuardError('scope_missing', { scope: scope.scopes })
}

/** A token with a `supplier` is refused on `delegation: 'deny'` routes and from unlisted delegation sources. */
export function checkDelegation<Req>(
  token: Pick<MaskinportenToken, 'supplier' | 'delegationSource'>,
  compiled: CompiledRequirement<Req>,
  rules: Pick<AccessRules, 'delegationSources'>,
): void {
  if (token.supplier === undefined) return
  if (compiled.delegation === 'deny') throw new ConsentGuardError('supplier_not_allowed')
  const sources = rules.delegationSources
  if (sources !== undefined && (token.delegationSource === undefined || !sources.has(token.delegationSource))) {
    throw new ConsentGuardError('supplier_not_allowed')
  }
}

/**
 * The consumer is on the route's allow-list (Altinn access lists are not visible in the token).
 * A list function that throws, rejects or hangs is a dependency failure: 503, bounded.
 */
export async function checkConsumer<Req>(
  token: Pick<MaskinportenToken, 'consumer'> & Partial<Pick<MaskinportenToken, 'consumerIdentifier'>>,
  compiled: CompiledRequirement<Req>,
  request: Req,
  rules: Pick<AccessRules, 'consumerCheckTimeoutMs'>,
): Promise<void> {
  const allow = compiled.consumers
  if (allow === undefined) return
  // Tools that only know the string form (inspect) get the identifier it names.
  const identifier = token.consumerIdentifier ?? organizationFromText(token.consumer)
  const ok =
    typeof allow === 'function'
      ? (await withTimeout(
          () => (identifier === undefined ? false : allow(token.consumer, request, identifier)),
          rules.consumerCheckTimeoutMs,
          'consumer_check_unavailable',
        )) === true
      : // String forms are unambiguous for accepted identifiers: the orgno, or `<authority>:<id>`.
        allow.has(token.consumer)
  if (!ok) throw new ConsentGuardError('consumer_not_allowed')
}
