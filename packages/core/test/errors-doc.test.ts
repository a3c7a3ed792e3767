import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConsentGuardError, ERROR_CODES, PROBLEM_TYPE_BASE, problemFor, type ConsentGuardErrorCode } from '@consent-guard/core'

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')

describe('docs/errors.md: the target of every problem type URI', () => {
  it('has one section per code, with its status and description', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const section = doc.split(`\n## ${code}\n`)[1]?.split('\n## ')[0]
      expect(section, code).toBeDefined()
      expect(section, code).toContain(`Status ${spec.status}`)
      expect(section, code).toContain(spec.description)
    }
    expect(doc.match(/^## /gm)).toHaveLength(Object.keys(ERROR_CODES).length)
  })
  it('problem type URIs point at those sections', () => {
    const code: ConsentGuardErrorCode = 'token_expired'
    expect(new ConsentGuardError(code).toProblem().type).toBe(`${PROBLEM_TYPE_BASE}${code}`)
    expect(PROBLEM_TYPE_BASE).toMatch(/\/docs\/errors\.md#$/)
  })
  it('problemFor renders other errors by status only, never their message', () => {
    const urlError = Object.assign(new Error("'/income/25922947409%E0' is not a valid url component"), { statusCode: 400 })
    expect(problemFor(urlError, 'c-1')).toEqual({
      status: 400,
      headers: { 'Content-Type': 'application/problem+json; charset=utf-8', 'Cache-Control': 'no-store' },
      body: { type: 'about:blank', title: 'Bad Request', status: 400, correlationId: 'c-1' },
    })
    expect(problemFor(new Error('x')).status).toBe(500)
    expect(problemFor(new ConsentGuardError('jwks_unavailable')).headers).toMatchObject({ 'Retry-After': '5' })
  })
})
