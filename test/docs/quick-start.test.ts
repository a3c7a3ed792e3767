import { expect, it, vi } from 'vitest'
import { checkDocSnippets } from '../support/doc-snippets.js'
import { tryIt } from './quick-start/try.js'

checkDocSnippets(['docs/guide/en/quick-start.md', 'docs/guide/nb/quick-start.md'])

it('the quick start answers 200 for the consented year and 403 for another', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
  try {
    expect(await tryIt()).toEqual([200, 403])
    expect(String(log.mock.calls[1]?.[2])).toContain('consent_metadata_mismatch')
  } finally {
    log.mockRestore()
  }
})
