import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import type { AuditLogger } from '@consent-guard/core'
import { loggerListens } from '@consent-guard/core/pipeline'
import { createHarness } from './support.js'

// Audit events cost a keyed hash and some masking: they are built only for someone who listens.
const sink = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done()
    },
  })

describe('loggerListens', () => {
  it('follows pino levels, silent, and no-op loggers such as Fastify with logger: false', () => {
    expect(loggerListens(pino({ level: 'warn' }, sink()), 'info')).toBe(false)
    expect(loggerListens(pino({ level: 'warn' }, sink()), 'warn')).toBe(true)
    expect(loggerListens(pino({ level: 'info' }, sink()), 'info')).toBe(true)
    expect(loggerListens(pino({ level: 'silent' }, sink()), 'warn')).toBe(false)
    function noop() {}
    // abstract-logging, which Fastify's request.log is when logging is off.
    expect(loggerListens({ info: noop, warn: noop }, 'info')).toBe(false)
    expect(loggerListens({ info: () => {} }, 'warn')).toBe(false)
    expect(loggerListens({ info: () => undefined, level: 'silent' }, 'info')).toBe(false)
    const lines: object[] = []
    expect(loggerListens({ info: (o: object) => void lines.push(o) }, 'info')).toBe(true)
    expect(loggerListens({ info: (o: object) => void lines.push(o) }, 'warn')).toBe(true)
  })
})

describe('the guard builds no event nobody records', () => {
  it('does not call a logger below its level, and still calls onDecision', async () => {
    const calls: string[] = []
    const quiet: AuditLogger = {
      isLevelEnabled: (level) => level === 'warn',
      info: () => void calls.push('info'),
      warn: () => void calls.push('warn'),
    }
    const h = await createHarness({ logger: quiet })
    try {
      expect(await h.outcome(h.bearer(await h.token()))).toBe('accepted')
      expect(await h.outcome(h.bearer('a.b.c'))).toBe('token_malformed')
      expect(calls).toEqual([])
      expect(h.events.map((e) => e.decision)).toEqual(['accepted', 'rejected'])
    } finally {
      await h.close()
    }
  })
  it('logs at info when the level is on', async () => {
    const lines: { decision?: string }[] = []
    const h = await createHarness({ logger: { info: (o: object) => void lines.push(o), isLevelEnabled: () => true } })
    try {
      await h.outcome(h.bearer(await h.token()))
      expect(lines.map((l) => l.decision)).toEqual(['accepted'])
    } finally {
      await h.close()
    }
  })
})
