/** `code` of the start-up warning for the Altinn 2 token path (`process.on('warning')`, `--no-deprecation`). */
export const ALTINN2_DEPRECATION_CODE = 'CONSENT_GUARD_ALTINN2'

/**
 * Warns, once per guard, that the Altinn 2 path is configured: Altinn II closed on 19 June 2026, so
 * no new Altinn 2 consent token can be issued, and the path goes in the next major version. A Node
 * `DeprecationWarning` with a code, so operators can filter it and `--no-deprecation` silences it.
 */
export function warnAltinn2Deprecated(): void {
  process.emitWarning(
    'consent-guard: the "altinn2" option (legacy Altinn 2 consent tokens) is deprecated: Altinn II closed on 19 June 2026 and issues no consent ' +
      'tokens any more; migrated consents arrive as Altinn 3 tokens (see migratedResourceId). The option will be removed in the ' +
      'next major version of consent-guard.',
    { type: 'DeprecationWarning', code: ALTINN2_DEPRECATION_CODE },
  )
}
