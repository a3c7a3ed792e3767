import type { ConsentRequestDetails, ConsentResourceDefinition } from './consents.js'
import { maskPersonId } from './identifiers.js'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.5rem .8rem;border-radius:4px;font-size:.9rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.status{font-weight:600}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;cursor:pointer}
.accept{background:#0a6b2e;color:#fff;border:0;border-radius:4px}.reject,.revoke{background:#fff;border:1px solid #999;border-radius:4px}`

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><p class="banner">consent-guard emulator: a local stand-in for Altinn's consent screen. Nothing here is real.</p>
${body}</body></html>
`
}

function party(urn: string): string {
  const m = /^urn:altinn:(person|organization):identifier-no:([0-9]+)$/.exec(urn)
  if (m === null) return escapeHtml(urn)
  return m[1] === 'person' ? `person ${escapeHtml(maskPersonId(m[2] as string))}` : `organisation ${escapeHtml(m[2] as string)}`
}

/**
 * The emulated consent screen (`viewUri`): what is asked, by whom, until when, with buttons to
 * accept or reject (or revoke an accepted consent). Buttons post back to the same URL.
 */
export function consentPage(details: ConsentRequestDetails, resource: (id: string) => ConsentResourceDefinition | undefined): string {
  const rights = details.consentRights
    .map((r) => {
      const ids = r.resource.map((x) => {
        const title = resource(x.value)?.title
        return `${escapeHtml(x.value)}${title !== undefined ? ` (${escapeHtml(title)})` : ''}`
      })
      const meta = Object.entries(r.metadata ?? {}).map(([k, v]) => `${escapeHtml(k)} = ${escapeHtml(v)}`)
      return `<tr><td>${ids.join('<br>')}</td><td>${escapeHtml(r.action.join(', '))}</td><td>${meta.join('<br>') || '–'}</td></tr>`
    })
    .join('\n')
  const message =
    details.requestMessage === null
      ? ''
      : Object.entries(details.requestMessage)
          .map(([lang, text]) => `<p><em>${escapeHtml(lang)}:</em> ${escapeHtml(text)}</p>`)
          .join('\n')
  const action = `?id=${encodeURIComponent(details.id)}`
  let buttons = ''
  if (details.status === 'created') {
    buttons = `<form method="post" action="${escapeHtml(action)}">
<button class="accept" name="decision" value="accept">Jeg gir samtykke</button>
<button class="reject" name="decision" value="reject">Nei, jeg vil ikke gi samtykke</button></form>`
  } else if (details.status === 'accepted') {
    buttons = `<form method="post" action="${escapeHtml(action)}"><button class="revoke" name="decision" value="revoke">Trekk tilbake samtykket</button></form>`
  }
  return page(
    'Samtykke',
    `<h1>Samtykke til deling av data</h1>
<p>${party(details.to)} ber ${party(details.from)} om samtykke.</p>
<table><tr><th>Ressurs</th><th>Handling</th><th>Metadata</th></tr>
${rights}</table>
${message}
<p>Gyldig til: ${escapeHtml(details.validTo)}<br>Forespørsel: <code>${escapeHtml(details.id)}</code><br>
Status: <span class="status" id="status">${escapeHtml(details.status)}</span></p>
${buttons}`,
  )
}

/** A small index of every consent request, linking to their consent screens. */
export function indexPage(
  requests: readonly ConsentRequestDetails[],
  links: { issuer: string; jwksUri: string; altinn2JwksUri?: string },
): string {
  const rows = requests
    .map(
      (r) =>
        `<tr><td><a href="${escapeHtml(r.viewUri)}"><code>${escapeHtml(r.id)}</code></a></td><td>${party(r.from)}</td><td>${party(r.to)}</td><td>${escapeHtml(r.status)}</td></tr>`,
    )
    .join('\n')
  return page(
    'consent-guard emulator',
    `<h1>consent-guard emulator</h1>
<p>Issuer: <code>${escapeHtml(links.issuer)}</code><br>JWKS: <a href="${escapeHtml(links.jwksUri)}">${escapeHtml(links.jwksUri)}</a>${
      links.altinn2JwksUri !== undefined
        ? `<br>Altinn 2 JWKS: <a href="${escapeHtml(links.altinn2JwksUri)}">${escapeHtml(links.altinn2JwksUri)}</a>`
        : ''
    }</p>
<h2>Consent requests</h2>
<table><tr><th>Id</th><th>From</th><th>To</th><th>Status</th></tr>
${rows || '<tr><td colspan="4">None yet</td></tr>'}</table>`,
  )
}

/** A plain error page for the consent screen. */
export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>${status}</h1><p>${escapeHtml(message)}</p>`)
}
