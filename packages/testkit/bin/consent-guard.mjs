#!/usr/bin/env node
// Launcher of the `consent-guard` CLI. In this repository it runs the TypeScript sources through
// tsx (a dev dependency of the workspace); an installed, built package runs dist/cli.js.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli.ts', import.meta.url)
const built = new URL('../dist/cli.js', import.meta.url)

async function loadTsx() {
  try {
    const api = await import('tsx/esm/api')
    api.register()
    return true
  } catch {
    return false
  }
}

if (existsSync(source) && (await loadTsx())) {
  await import(source.href)
} else if (existsSync(built)) {
  await import(built.href)
} else {
  console.error('consent-guard: neither dist/cli.js nor tsx is available; run `pnpm build` or install tsx')
  process.exit(2)
}
