import { defineConfig, type DefaultTheme } from 'vitepress'
import { withMermaid } from 'vitepress-plugin-mermaid'
import { guidePages, referencePages } from './pages.js'

// The markdown in docs/ is written to read well on GitHub, so it links to files outside docs/
// (packages, examples) relatively; in the site those become links to the repository.
const REPOSITORY = 'https://github.com/consent-guard/consent-guard/blob/main/'

function githubSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

function guideSidebar(locale: 'en' | 'nb'): DefaultTheme.SidebarItem[] {
  return [
    {
      text: locale === 'en' ? 'Guide' : 'Veiledning',
      items: guidePages.map((page) => ({ text: page[locale], link: `/guide/${locale}/${page.file}` })),
    },
    {
      text: locale === 'en' ? 'Reference (English)' : 'Referanse (engelsk)',
      items: [...referencePages.map((p) => ({ text: p.title, link: `/${p.file}` })), { text: 'API (TSDoc)', link: '/api/' }],
    },
  ]
}

export default withMermaid(
  defineConfig({
    title: 'consent-guard',
    description: 'Altinn consent (samtykke) guards for Fastify and Express data-source APIs',
    cleanUrls: false,
    srcExclude: ['**/README.md'],
    lastUpdated: false,
    markdown: {
      // Anchors as GitHub makes them (underscores kept), so `errors.md#consent_expired` and
      // `core.md#route-requirements-guardcompile` work on GitHub and in the site alike.
      anchor: { slugify: githubSlug },
      config(md) {
        const render = md.renderer.rules.link_open
        md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
          const token = tokens[idx]
          const href = token?.attrGet('href')
          const relativePath = (env as { relativePath?: string }).relativePath ?? ''
          if (token && href && !/^[a-z]+:/i.test(href) && !href.startsWith('#')) {
            const target = new URL(href, `file:///docs/${relativePath}`).pathname
            if (!target.startsWith('/docs/')) {
              token.attrSet('href', REPOSITORY + target.slice(1))
              token.attrSet('target', '_blank')
            }
          }
          return render ? render(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options)
        }
      },
    },
    locales: {
      root: {
        label: 'English',
        lang: 'en',
        link: '/guide/en/',
        themeConfig: {
          nav: [
            { text: 'Guide', link: '/guide/en/' },
            { text: 'Reference', link: '/core' },
            { text: 'API', link: '/api/' },
          ],
          sidebar: { '/guide/nb/': guideSidebar('nb'), '/': guideSidebar('en') },
        },
      },
      'guide/nb': {
        label: 'Norsk (bokmål)',
        lang: 'nb',
        link: '/guide/nb/',
        themeConfig: {
          nav: [
            { text: 'Veiledning', link: '/guide/nb/' },
            { text: 'Referanse', link: '/core' },
            { text: 'API', link: '/api/' },
          ],
          sidebar: guideSidebar('nb'),
          outline: { label: 'På denne siden' },
          docFooter: { prev: 'Forrige', next: 'Neste' },
        },
      },
    },
    themeConfig: {
      // The English locale also holds the reference pages, which have no Norwegian twin, so the
      // language switch goes to the other guide's start page.
      i18nRouting: false,
      search: { provider: 'local' },
      socialLinks: [{ icon: 'github', link: 'https://github.com/consent-guard/consent-guard' }],
    },
    // Mermaid is large; the site has no other big chunk to warn about.
    vite: { build: { chunkSizeWarningLimit: 4000 } },
  }),
)
