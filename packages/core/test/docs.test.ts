import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '@consent-guard/core'

// docs/core.md must list every error code with the status, description and stage the code has.
describe('docs/core.md', () => {
  const doc = readFileSync(new URL('../../../docs/core.md', import.meta.url), 'utf8')
  const rows = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| ([a-z_—]+) \| (.+) \| `([a-z_]+)` \|$/gm)].map((m) => [
      m[1],
      { status: Number(m[2]), error: m[3], description: m[4], stage: m[5] },
    ]),
  )
  it('lists every code exactly as the code defines it', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort())
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(rows.get(code)).toEqual({
        status: spec.status,
        error: spec.bearerError ?? '—',
        description: spec.description,
        stage: spec.stage,
      })
    }
  })
})
