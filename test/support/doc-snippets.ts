import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)

function region(file: string, name: string): string {
  const text = readFileSync(new URL(file, root), 'utf8')
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion ${name}\\n`).exec(text)
  if (match === null) throw new Error(`${file} has no region "${name}"`)
  return (match[1] as string).trimEnd()
}

/**
 * Every `<!-- snippet: file#region -->` marker in these Markdown files (paths from the repository
 * root) must be followed by a code block identical to that region of the file, so the docs show
 * code the tests run.
 */
export function checkDocSnippets(documents: readonly string[]): void {
  describe.each(documents)('%s', (document) => {
    const markdown = readFileSync(new URL(document, root), 'utf8')
    const snippets = [...markdown.matchAll(/<!-- snippet: ([^#\s]+)#([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g)]

    it('has snippets', () => {
      expect(snippets.length).toBeGreaterThan(0)
      expect(markdown.split('<!-- snippet:').length - 1).toBe(snippets.length)
    })

    it.each(snippets.map((m) => [`${m[1]}#${m[2]}`, m] as const))('%s matches the tested code', (_name, m) => {
      expect(m[3]).toBe(region(m[1] as string, m[2] as string))
    })
  })
}
