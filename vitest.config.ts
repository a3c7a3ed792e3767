import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests run against the TypeScript sources of the workspace packages, so no build step is
// needed before `pnpm test` (the published entry points are dist/, built by `pnpm build`).
// Every entry a package exports (`.`, and subpaths such as `@consent-guard/core/pipeline`) maps to
// the file its source condition names, matched exactly so a subpath never falls to the main entry.
// The export condition that names a package's TypeScript source (tsconfig's customConditions).
const SOURCE = '@consent-guard/source'
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url))
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const alias = readdirSync(packagesDir)
  .filter((name) => existsSync(`${packagesDir}${name}/package.json`))
  .flatMap((name) => {
    const pkg = JSON.parse(readFileSync(`${packagesDir}${name}/package.json`, 'utf8')) as {
      exports?: Record<string, string | Record<string, string>>
    }
    return Object.entries(pkg.exports ?? {}).flatMap(([subpath, target]) => {
      const source = typeof target === 'object' ? target[SOURCE] : undefined
      if (source === undefined) return []
      return [
        {
          find: new RegExp(`^${escape(`@consent-guard/${name}${subpath.slice(1)}`)}$`),
          replacement: `${packagesDir}${name}/${source.replace(/^\.\//, '')}`,
        },
      ]
    })
  })

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: some tests spawn CLIs and servers, which are slow on a loaded 2-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
