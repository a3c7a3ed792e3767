/**
 * `pnpm release:pack`: builds every publishable package and writes its tarball, exactly as
 * `pnpm pack` writes it for the registry, to release/. Then checks each tarball: LICENSE and
 * dist present, no `workspace:` range left, no test files. The consumer tests (test/consumer)
 * install these tarballs into projects outside the workspace.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const out = join(root, 'release')
const packages = readdirSync(join(root, 'packages')).filter((name) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean }
  return manifest.private !== true
})

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
execFileSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' })

const problems: string[] = []
for (const name of packages) {
  const dir = join(root, 'packages', name)
  const before = new Set(readdirSync(out))
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  const tarball = readdirSync(out).find((file) => !before.has(file) && file.endsWith('.tgz'))
  if (tarball === undefined) {
    problems.push(`${name}: pnpm pack wrote no tarball`)
    continue
  }
  const list = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' }).split('\n')
  const manifest = execFileSync('tar', ['-xzOf', join(out, tarball), 'package/package.json'], { encoding: 'utf8' })
  if (!list.includes('package/LICENSE')) problems.push(`${tarball}: no LICENSE`)
  if (!list.includes('package/dist/index.js')) problems.push(`${tarball}: no dist/index.js`)
  if (list.some((file) => /\/test\/|\.test\./.test(file))) problems.push(`${tarball}: contains test files`)
  if (manifest.includes('workspace:')) problems.push(`${tarball}: a workspace: range is left in package.json`)
  console.log(`release/${tarball}  (${list.filter(Boolean).length} files)`)
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
