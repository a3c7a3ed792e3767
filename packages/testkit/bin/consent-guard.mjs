#!/usr/bin/env node
// Launcher of the `consent-guard` CLI. An installed package (any path under node_modules) always
// runs the built dist/cli.js, whatever the project has installed. Only a source checkout of the
// consent-guard repository runs the TypeScript sources, through the workspace's tsx, so the CLI
// there needs no build step.
import { existsSync, realpathSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { sep } from 'node:path'

const here = realpathSync(fileURLToPath(new URL('.', import.meta.url)))
const source = new URL('../src/cli.ts', import.meta.url)
const built = new URL('../dist/cli.js', import.meta.url)
const installed = here.split(sep).includes('node_modules')
const inWorkspace = !installed && existsSync(new URL('../../../pnpm-workspace.yaml', pathToFileURL(here + sep)))

async function loadTsx() {
  try {
    const api = await import('tsx/esm/api')
    api.register()
    return true
  } catch {
    return false
  }
}

if (inWorkspace && existsSync(source) && (await loadTsx())) {
  await import(source.href)
} else if (existsSync(built)) {
  await import(built.href)
} else {
  console.error('consent-guard: dist/cli.js is missing; in a source checkout run `pnpm build` or `pnpm install` first')
  process.exit(2)
}
