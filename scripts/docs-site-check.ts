// Checks the built docs site (`pnpm docs:build` first): every internal link of every built page
// resolves to a built file, and headless Chromium renders both start pages and a mermaid diagram as
// SVG. Run by CI after the build (`pnpm docs:check`); not part of `pnpm test`, which stays fast.
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const dist = fileURLToPath(new URL('../docs/.vitepress/dist/', import.meta.url))
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const failures: string[] = []

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return htmlFiles(path)
    return entry.name.endsWith('.html') ? [path] : []
  })
}

/** The built file an internal URL path names, or undefined. */
function builtFile(pathname: string): string | undefined {
  const path = join(dist, decodeURIComponent(pathname))
  const candidates = pathname.endsWith('/') ? [join(path, 'index.html')] : [path, `${path}.html`, join(path, 'index.html')]
  return candidates.find((file) => existsSync(file) && statSync(file).isFile())
}

function checkLinks(): number {
  let checked = 0
  for (const file of htmlFiles(dist)) {
    const page = `/${relative(dist, file).split('\\').join('/')}`
    const html = readFileSync(file, 'utf8')
    for (const match of html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/g)) {
      const href = (match[1] as string).replaceAll('&amp;', '&')
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//') || href.startsWith('#') || href === '') continue
      checked += 1
      const target = new URL(href, `http://site${page}`)
      if (builtFile(target.pathname) === undefined) failures.push(`${page}: link ${href} has no page`)
    }
  }
  return checked
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

async function main(): Promise<void> {
  if (!existsSync(join(dist, 'guide/en/index.html'))) throw new Error('no built site: run `pnpm docs:build` first')
  const links = checkLinks()
  console.log(`internal links checked: ${links}`)

  const server = createServer((req, res) => {
    const file = builtFile(new URL(req.url ?? '/', 'http://site').pathname)
    if (file === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const profile = mkdtempSync(join(tmpdir(), 'cg-docs-chromium-'))
  // A fresh profile per run; playwright takes it as the persistent context's directory.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const page = await browser.newPage()
    page.on('pageerror', (error) => failures.push(`${page.url()}: script error ${error.message}`))
    for (const [path, lang, heading] of [
      ['/guide/en/', 'en', 'consent-guard'],
      ['/guide/nb/', 'nb', 'consent-guard'],
    ] as const) {
      const response = await page.goto(base + path)
      if (response?.status() !== 200) failures.push(`${path}: status ${response?.status()}`)
      const h1 = (await page.locator('main h1').first().textContent({ timeout: 15_000 })) ?? ''
      const htmlLang = await page.getAttribute('html', 'lang')
      if (!h1.includes(heading)) failures.push(`${path}: heading "${h1}"`)
      if (htmlLang !== lang) failures.push(`${path}: lang ${htmlLang}, expected ${lang}`)
      console.log(`${path}: "${h1.trim()}" (lang ${htmlLang})`)
    }
    for (const path of ['/guide/en/how-consent-works.html', '/guide/nb/how-consent-works.html']) {
      await page.goto(base + path)
      // Mermaid renders in the browser after the page loads: wait for a finished diagram.
      const rendered = await page
        .waitForFunction(
          () => Array.from(document.querySelectorAll('.mermaid svg')).some((svg) => svg.textContent?.includes('Maskinporten')),
          null,
          {
            timeout: 30_000,
          },
        )
        .then(() => true)
        .catch(() => false)
      if (!rendered) failures.push(`${path}: no mermaid diagram rendered as SVG naming Maskinporten`)
      const count = await page.locator('.mermaid svg').count()
      console.log(`${path}: ${count} mermaid diagram(s) rendered as SVG`)
    }
  } finally {
    await browser.close()
    server.close()
    rmSync(profile, { recursive: true, force: true })
  }
  if (failures.length > 0) {
    console.error(failures.join('\n'))
    process.exitCode = 1
  } else console.log('docs site: ok')
}

await main()
