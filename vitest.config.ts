import { readdirSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests run against the TypeScript sources of the workspace packages, so no build step is
// needed before `pnpm test` (the published entry points are dist/, built by `pnpm build`).
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url))
const alias = Object.fromEntries(
  readdirSync(packagesDir)
    .filter((name) => existsSync(`${packagesDir}${name}/src/index.ts`))
    .map((name) => [`@consent-guard/${name}`, `${packagesDir}${name}/src/index.ts`]),
)

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: some tests spawn CLIs and servers, which are slow on a loaded 2-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
