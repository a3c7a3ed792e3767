import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AuditEvent, AuditLogger } from '@consent-guard/core'
import { createHarness, FNR_A } from './support.js'

// Issue 11 #7: a throwing onDecision hook or logger never changes a decision.
afterEach(() => {
  vi.restoreAllMocks()
})

function captureWarnings(): { code?: string; message: string }[] {
  const seen: { code?: string; message: string }[] = []
  vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, options?: { code?: string }) => {
    seen.push({ message: String(warning), ...(options?.code !== undefined && { code: options.code }) })
  }) as typeof process.emitWarning)
  return seen
}

const boom = () => {
  throw new Error(`hook failed for ${FNR_A}`)
}
const throwingLogger: AuditLogger = { info: boom, warn: boom }

describe('observers that fail leave decisions unchanged', () => {
  it.each([
    ['onDecision throws', { onDecision: boom }],
    ['onDecision rejects', { onDecision: async () => boom() }],
    ['logger.info throws', { logger: throwingLogger, onDecision: undefined }],
  ])('%s: accepted stays accepted, refused stays refused, one rate-limited warning', async (_name, options) => {
    const warnings = captureWarnings()
    const h = await createHarness(options as never)
    try {
      const token = await h.token()
      for (let i = 0; i < 5; i++) {
        expect(await h.outcome(h.bearer(token))).toBe('accepted')
        expect(await h.outcome({})).toBe('credentials_missing')
        expect(await h.outcome(h.bearer('not.a.token'))).toBe('token_malformed')
      }
      await new Promise((r) => setImmediate(r))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.code).toBe('CONSENT_GUARD_OBSERVER_FAILED')
      expect(warnings[0]?.message).not.toContain(FNR_A)
    } finally {
      await h.close()
    }
  })

  it('a throwing logger does not stop the onDecision hook', async () => {
    captureWarnings()
    const events: AuditEvent[] = []
    const h = await createHarness({ logger: throwingLogger, onDecision: (e) => events.push(e) })
    try {
      expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
      expect(events.map((e) => e.decision)).toEqual(['accepted'])
    } finally {
      await h.close()
    }
  })
})
