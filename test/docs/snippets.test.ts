import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { checkDocSnippets } from '../support/doc-snippets.js'

const root = new URL('../../', import.meta.url)

/** Every Markdown file a reader of the repository sees: docs/ (not generated output), READMEs. */
function documents(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((entry) => {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'api') return []
      const path = `${dir}${entry.name}`
      return entry.isDirectory() ? walk(`${path}/`) : entry.name.endsWith('.md') ? [path] : []
    })
  const readmes = ['packages/', 'examples/'].flatMap((dir) =>
    readdirSync(new URL(dir, root), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}${entry.name}/README.md`)
      .filter((path) => {
        try {
          readFileSync(new URL(path, root))
          return true
        } catch {
          return false
        }
      }),
  )
  return ['README.md', 'CONTRIBUTING.md', ...walk('docs/'), ...readmes]
}

const TS_FENCE = /^\s*```(ts|typescript)\b/m
const withTypeScript = documents().filter((doc) => TS_FENCE.test(readFileSync(new URL(doc, root), 'utf8')))

describe('every TypeScript block of the docs is a region of a compiled file', () => {
  it.each(withTypeScript)('%s: each ```ts block has a snippet marker', (doc) => {
    const markdown = readFileSync(new URL(doc, root), 'utf8')
    const blocks = markdown
      .split('\n')
      .flatMap((line, i, lines) => (/^\s*```(ts|typescript)\b/.test(line) ? [[i, lines[i - 1] ?? ''] as const] : []))
    const unmarked = blocks.filter(([, previous]) => !/^<!-- snippet: \S+#[\w-]+ -->$/.test(previous)).map(([i]) => i + 1)
    expect(unmarked, `${doc}: lines of unmarked ts blocks`).toEqual([])
  })
})

// Documents whose markers no package test checks yet (docs/fastify.md, docs/express.md and their
// package READMEs are checked by packages/{fastify,express}/test/docs.test.ts).
const checkedElsewhere = new Set(['docs/fastify.md', 'docs/express.md', 'packages/fastify/README.md', 'packages/express/README.md'])
checkDocSnippets(withTypeScript.filter((doc) => !checkedElsewhere.has(doc)))
