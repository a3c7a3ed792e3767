import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as pipeline from '@consent-guard/core/pipeline'

// docs/core.md's pipeline table names the module and the function of every step. A reader who
// follows it into the code must find the rule there: each module exists and exports the function,
// the pipeline entry exports it, and guard.ts calls the steps in the table's order.
const src = new URL('../src/', import.meta.url)
const doc = readFileSync(new URL('../../../docs/core.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('## The pipeline'), doc.indexOf('\n## ', doc.indexOf('## The pipeline') + 1))
const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)
const rows = [...section.matchAll(/^\| (\d+) \| (.+?) \| (`[^|]+`) \| (`[^|]+`) \| (.*) \|$/gm)].map((m) => ({
  step: Number(m[1]),
  modules: ticked(m[3] as string),
  functions: ticked(m[4] as string),
}))

describe('docs/core.md pipeline table', () => {
  it('has one row per step, numbered in order', () => {
    expect(rows.length).toBeGreaterThanOrEqual(11)
    expect(rows.map((r) => r.step)).toEqual(rows.map((_, i) => i + 1))
  })

  it.each(rows.map((r) => [r.step, r] as const))('step %i: the named modules exist and export the named functions', async (_step, row) => {
    const exported = new Set<string>()
    for (const module of row.modules) {
      const file = new URL(module, src)
      expect(existsSync(file), `${module} exists`).toBe(true)
      for (const name of Object.keys((await import(file.href)) as object)) exported.add(name)
    }
    for (const fn of row.functions) {
      expect(exported.has(fn), `${fn} is exported by ${row.modules.join(' or ')}`).toBe(true)
      expect(typeof (pipeline as Record<string, unknown>)[fn], `${fn} is exported from @consent-guard/core/pipeline`).toBe('function')
    }
  })

  it('guard.ts calls the steps in the order of the table', () => {
    const guard = readFileSync(new URL('guard.ts', src), 'utf8')
    const decide = guard.slice(guard.indexOf('async function decide'), guard.indexOf('\n  return {'))
    const called = rows.flatMap((r) =>
      r.functions.filter((fn) => decide.includes(`${fn}(`)).map((fn) => ({ step: r.step, at: decide.indexOf(`${fn}(`) })),
    )
    expect(called.map((c) => c.step)).toEqual(expect.arrayContaining([1, 4, 6, 7, 8, 9, 11]))
    const byPosition = [...called].sort((a, b) => a.at - b.at).map((c) => c.step)
    expect(byPosition).toEqual([...byPosition].sort((a, b) => a - b))
  })
})
