import { ERROR_CODES, type ConsentGuardErrorCode } from '@consent-guard/core'
import type { RouteConfig } from '../route-config.js'

/** Outcome of one rule. `skip`: not checked; `info`: nothing to decide. */
export type RuleStatus = 'pass' | 'fail' | 'skip' | 'info'

export interface RuleResult {
  readonly rule: string
  readonly status: RuleStatus
  readonly detail: string
  /** The guard's error code when the rule fails. */
  readonly code?: ConsentGuardErrorCode
}

/** What the core guard decides for this token (and requirement). */
export interface Verdict {
  /** `full`: token and route requirement; `token`: token checks only (no requirement given). */
  readonly scope: 'full' | 'token'
  readonly accepted: boolean
  readonly status?: number
  readonly code?: ConsentGuardErrorCode
  readonly description: string
}

export interface InspectReport {
  /** `maskinporten`: an (Altinn 3) Maskinporten token; `altinn2`: a legacy Altinn 2 consent token (iss `altinn.no`). */
  readonly kind: 'maskinporten' | 'altinn2'
  /** True only when the signature was checked against `--jwks-uri`. */
  readonly verified: boolean
  readonly jwksUri: string | undefined
  readonly at: string
  readonly header: Record<string, unknown> | undefined
  readonly claims: Record<string, unknown> | undefined
  readonly rules: readonly RuleResult[]
  readonly verdict: Verdict
  /** Set when the rule-by-rule explanation and the core disagree on the first failure. */
  readonly note?: string
}

export interface InspectOptions {
  readonly config?: RouteConfig
  /** Evaluation time. Default: now. */
  readonly at?: Date
  /**
   * Verify the signature with this key set (the issuer's `/jwk`; for an Altinn 2 token, Altinn 2's
   * key set). Without it: decode only.
   */
  readonly jwksUri?: string
}

/**
 * The rule a code is reported under: the core's stage of the code (docs/core.md's error table), in
 * words (`consent_shape` → `consent shape`).
 */
export function ruleOfCode(code: ConsentGuardErrorCode): string {
  return ERROR_CODES[code].stage.replace(/_/g, ' ')
}

/** True when the code says the signature could not be checked (key set or signature). */
export const isSignatureCode = (code: ConsentGuardErrorCode | undefined): boolean =>
  code !== undefined && ERROR_CODES[code].stage === 'signature'

/** The growing list of rule results of one report. */
export class RuleLog {
  readonly rules: RuleResult[] = []

  push(rule: string, status: RuleStatus, detail: string, code?: ConsentGuardErrorCode): void {
    this.rules.push({ rule, status, detail, ...(code !== undefined ? { code } : {}) })
  }

  /** A failed rule; the detail defaults to the code's fixed description. */
  fail(rule: string, code: ConsentGuardErrorCode, detail?: string): void {
    this.push(rule, 'fail', detail ?? ERROR_CODES[code].description, code)
  }
}
