import { readdirSync, readFileSync } from 'node:fs'
import { ConsentGuardError, ERROR_CODES, PROBLEM_TYPE_BASE, type ConsentGuardErrorCode } from '@consent-guard/core'
import { describe, expect, it } from 'vitest'

const guide = new URL('../../docs/guide/', import.meta.url)
const pages = (lang: string): string[] =>
  readdirSync(new URL(`${lang}/`, guide))
    .filter((f) => f.endsWith('.md'))
    .sort()
const read = (lang: string, page: string): string => readFileSync(new URL(`${lang}/${page}`, guide), 'utf8')

describe('the guide', () => {
  it('has the same pages in English and Norwegian', () => {
    expect(pages('nb')).toEqual(pages('en'))
    expect(pages('en')).toEqual(expect.arrayContaining(['how-consent-works.md', 'quick-start.md', 'errors.md', 'glossary.md']))
  })

  it.each(['en', 'nb'])('%s: every error code of the core has an entry, anchored by the code', (lang) => {
    const headings = [...read(lang, 'errors.md').matchAll(/^### (\w+)$/gm)].map((m) => m[1])
    expect(headings.sort()).toEqual(Object.keys(ERROR_CODES).sort())
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(read(lang, 'errors.md')).toMatch(new RegExp(`### ${code}\\n\\n\\*\\*${spec.status}\\.\\*\\*`))
    }
  })

  it('a problem type URI lands on docs/errors.md, whose entry links the guide entries of the same anchor', () => {
    const reference = readFileSync(new URL('../errors.md', guide), 'utf8')
    for (const code of Object.keys(ERROR_CODES) as ConsentGuardErrorCode[]) {
      const type = new ConsentGuardError(code).toProblem().type
      expect(type).toBe(`${PROBLEM_TYPE_BASE}${code}`)
      expect(new URL(type).hash).toBe(`#${code}`)
      expect(new URL(type).pathname).toMatch(/\/docs\/errors\.md$/)
      const section = reference.split(`\n## ${code}\n`)[1]?.split('\n## ')[0] ?? ''
      expect(section, code).toContain(`(guide/en/errors.md#${code})`)
      expect(section, code).toContain(`(guide/nb/errors.md#${code})`)
    }
  })

  it.each(['en', 'nb'])('%s: how consent works draws the single-token and the two-token flow', (lang) => {
    const diagrams = [...read(lang, 'how-consent-works.md').matchAll(/```mermaid\n(sequenceDiagram[\s\S]*?)```/g)]
    expect(diagrams.length).toBeGreaterThanOrEqual(2)
    for (const participant of ['Maskinporten', 'Altinn']) {
      for (const d of diagrams) expect(d[1]).toContain(participant)
    }
    expect(diagrams.some((d) => (d[1] as string).includes('AltinnSamtykke'))).toBe(true)
  })
})
