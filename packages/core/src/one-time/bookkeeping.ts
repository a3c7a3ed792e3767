import { ConsentGuardError } from '../errors.js'
import { withTimeout } from '../timeout.js'
import type { ParsedConsent } from '../consent/parse.js'
import type { MaskinportenToken } from '../tokens/verify-token.js'
import type { ConsentUseStore } from './store.js'
import { oneTimeRecordKey, tokenRecordKey } from './record-keys.js'

/** Guard-wide settings of one-time bookkeeping (resolved options). */
export interface OneTimeRules {
  /** The Maskinporten issuer: part of every record key of Altinn 3 consents and tokens. */
  readonly issuer: string
  /** Seconds; stretches a record's lifetime like the consent's own validity check. */
  readonly clockTolerance: number
  /** Upper bound of a record's lifetime, in seconds. */
  readonly oneTimeMaxTtl: number
  /** Bound on every store call, in ms. */
  readonly storeTimeoutMs: number
}

/** The records of one accepted one-time use (kept in `VerifiedConsent.oneTime` for a release). */
export interface OneTimeRecords {
  readonly key: string
  readonly tokenKey: string | undefined
}

/** What became of the one-time bookkeeping of a decision (for the audit event). */
export interface OneTimeTrail {
  oneTime?: 'first_use' | 'refused_reuse'
}

/** One-time bookkeeping over a store: recording a use, and releasing it again. */
export interface OneTimeBook {
  record(
    consent: ParsedConsent,
    resource: string,
    carrier: MaskinportenToken | undefined,
    nowMs: number,
    trail: OneTimeTrail,
  ): Promise<OneTimeRecords>
  release(records: { readonly key: string; readonly tokenKey?: string | undefined }): Promise<void>
}

export function createOneTimeBook(store: ConsentUseStore, rules: OneTimeRules): OneTimeBook {
  /** Bounds a store call by `storeTimeoutMs`; any failure becomes 503 `store_unavailable`. */
  const bounded = <T>(call: () => T | PromiseLike<T>, onTimeout?: () => void): Promise<T> =>
    withTimeout(call, rules.storeTimeoutMs, 'store_unavailable', onTimeout)

  async function markUsed(key: string, ttlMs: number): Promise<boolean> {
    let timedOut = false
    // One deadline for guard and store: the signal tells a store that honours it that the client got a 503.
    const abort = new AbortController()
    // A store that throws synchronously is as unavailable as one that rejects.
    const pending = Promise.resolve().then(() => store.markUsed(key, ttlMs, { signal: abort.signal }))
    try {
      return (
        (await bounded(
          () => pending,
          () => {
            timedOut = true
            abort.abort()
          },
        )) === true
      )
    } finally {
      // The client got a 503; a mark that lands afterwards must not use the consent up, or the
      // client's retry would be refused. A late first use means nobody else holds the mark.
      if (timedOut) {
        pending.then((first) => (first === true ? store.release(key) : undefined)).catch(() => undefined)
      }
    }
  }

  async function releaseQuietly(key: string): Promise<void> {
    await bounded(() => store.release(key)).catch(() => undefined)
  }

  return {
    /**
     * Marks a one-time consent as used (issuer + consent id + resource) and its token (issuer + jti +
     * resource): a second token with the same jti but another consent was forged or altered (RPL-07).
     * Either mark already present → 403; the store failing → 503; a refused request leaves no mark.
     */
    async record(consent, resource, carrier, nowMs, trail) {
      const key = oneTimeRecordKey(consent.kind === 'altinn2' ? 'altinn.no' : rules.issuer, consent.id, resource)
      const ttlMs = Math.min(consent.validTo - nowMs + rules.clockTolerance * 1000, rules.oneTimeMaxTtl * 1000)
      if (!(await markUsed(key, Math.max(ttlMs, 1000)))) {
        trail.oneTime = 'refused_reuse'
        throw new ConsentGuardError('consent_already_used')
      }
      let tokenKey: string | undefined
      if (carrier !== undefined) {
        tokenKey = tokenRecordKey(rules.issuer, carrier.jti, resource)
        const tokenTtlMs = Math.max((carrier.expiresAt + rules.clockTolerance) * 1000 - nowMs, 1000)
        let fresh: boolean
        try {
          fresh = await markUsed(tokenKey, tokenTtlMs)
        } catch (err) {
          await releaseQuietly(key)
          throw err
        }
        if (!fresh) {
          await releaseQuietly(key)
          trail.oneTime = 'refused_reuse'
          throw new ConsentGuardError('consent_already_used')
        }
      }
      trail.oneTime = 'first_use'
      return { key, tokenKey }
    },

    /** Releases both marks: the consumer's retry may reuse the token that got the data-less failure. */
    async release(records) {
      const keys = [records.key, ...(records.tokenKey === undefined ? [] : [records.tokenKey])]
      await bounded(() => Promise.all(keys.map((key) => Promise.resolve().then(() => store.release(key)))))
    },
  }
}
