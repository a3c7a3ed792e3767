/**
 * Header-level attacks over real HTTP against Fastify, Express 5 and Express 4, single-token and
 * two-token (docs/security.md HTTP-05..09, DOS-01): repeated Authorization lines (also in other case),
 * comma-joined credentials, tokens in the query string, cookie or body, a 15 KiB header that
 * Node lets through, an oversize token, headers beyond Node's 16 KiB limit (431), and request
 * framing Node itself refuses (obs-fold, NUL, CR/LF, a space before the colon).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, it } from 'vitest'
import { defineCatalogue, noCredentials, ok, r400, r401, r403, r431, SINGLE, type Mode, type Row } from './support/catalogue.js'
import { CONSENT_HEADER, FNR_A, incomePath, type Kit } from './support/fixtures.js'
import { sendOrReset, sendRawHead, type HeaderLine } from './support/http.js'
import { TARGETS, type RunningTarget } from './support/targets.js'

const TWO: Mode = { app: 'twoToken', placement: 'custom' }
const BOTH: readonly Mode[] = [SINGLE, TWO]

/** The consent header line two-token mode needs beside Authorization (none in single-token mode). */
const consentLine = (m: Mode, k: Kit): HeaderLine[] => (m.app === 'twoToken' ? [[CONSENT_HEADER, k.goodConsent]] : [])
/** The token that carries the consent in this mode's Authorization header. */
const accessToken = (m: Mode, k: Kit): string => (m.app === 'twoToken' ? k.goodAccess : k.good)
/** `n` unrelated header lines. */
const filler = (n: number): HeaderLine[] => Array.from({ length: n }, (_, i): HeaderLine => [`F${i}`, 'v'])

/**
 * Whether this Node refuses a request with more header lines than `maxHeadersCount` itself (Node 24)
 * rather than dropping the excess silently (Node 20/22). Probed, not read from the version.
 */
const NODE_REFUSES_EXCESS_HEADERS = await (async () => {
  const server = createServer((_req, res) => res.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const seen = await sendOrReset(`http://127.0.0.1:${port}`, { path: '/', headers: filler(1_100) })
    return seen.status !== 200
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})()

const lines =
  (build: (m: Mode, k: Kit) => HeaderLine[]) =>
  (m: Mode, k: Kit): HeaderLine[] => [...build(m, k), ...consentLine(m, k)]

const ROWS: readonly Row[] = [
  {
    id: 'HTTP-05',
    title: 'two Authorization lines: 400, whatever the second one says',
    modes: BOTH,
    expect: r400('credentials_duplicated'),
    variants: (k) => [
      {
        label: 'the same token twice',
        headers: lines((m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ['Authorization', `Bearer ${accessToken(m, k)}`],
        ]),
      },
      {
        label: 'Authorization + authorization (other case), different tokens',
        headers: lines((m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ['authorization', `Bearer ${k.sign(k.claims({ consumer: '313876144' }))}`],
        ]),
      },
      {
        label: 'AUTHORIZATION first, then Authorization',
        headers: lines((m) => [
          ['AUTHORIZATION', 'Bearer x.y.z'],
          ['Authorization', `Bearer ${accessToken(m, k)}`],
        ]),
      },
      {
        label: 'a valid bearer line and a Basic line',
        headers: lines((m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ['Authorization', 'Basic dXNlcjpwYXNz'],
        ]),
      },
      {
        label: 'an empty line and a valid line',
        headers: lines((m) => [
          ['Authorization', ''],
          ['Authorization', `Bearer ${accessToken(m, k)}`],
        ]),
      },
    ],
  },
  {
    id: 'HTTP-06',
    title: 'comma-joined credentials',
    modes: BOTH,
    variants: (k) => [
      {
        label: 'Bearer A, Bearer B',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}, Bearer ${k.goodAccess}`]]),
        expect: r400('credentials_duplicated'),
      },
      {
        label: 'Bearer A,bearer B (no space, lower case)',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)},bearer ${k.goodAccess}`]]),
        expect: r400('credentials_duplicated'),
      },
      {
        label: 'Bearer A, A (the same token twice)',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}, Bearer ${accessToken(m, k)}`]]),
        expect: r400('credentials_duplicated'),
      },
      // Not a second bearer credential: "," is no token character, so the token is malformed.
      {
        label: 'Bearer A, Basic x',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}, Basic dXNlcjpwYXNz`]]),
        expect: r401('token_malformed'),
      },
    ],
  },
  {
    id: 'HTTP-07',
    title: 'token in the query string: alone not accepted, beside the header 400',
    modes: BOTH,
    variants: (k) => [
      {
        label: '?access_token= alone',
        headers: (m, kit) => consentLine(m, kit),
        path: `${incomePath()}?access_token=${k.good}`,
        expect: noCredentials,
      },
      {
        label: '?access_token= and the header',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`]]),
        path: `${incomePath()}?access_token=${k.good}`,
        expect: r400('credentials_in_url'),
      },
      {
        label: '?x=1&access_token= (empty) and the header',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`]]),
        path: `${incomePath()}?x=1&access_token=`,
        expect: r400('credentials_in_url'),
      },
      {
        label: '?access%5Ftoken= (encoded name) and the header',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`]]),
        path: `${incomePath()}?access%5Ftoken=${k.good}`,
        expect: r400('credentials_in_url'),
      },
      {
        label: 'access_token as a query value (not a name) is fine',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`]]),
        path: `${incomePath()}?note=access_token`,
        expect: ok,
      },
    ],
  },
  {
    id: 'HTTP-07',
    title: 'token in a form body is never read',
    modes: BOTH,
    variants: (k) => [
      {
        label: 'POST access_token=… alone',
        method: 'POST',
        body: `access_token=${k.good}`,
        headers: (m, kit) => [['Content-Type', 'application/x-www-form-urlencoded'], ...consentLine(m, kit)],
        expect: noCredentials,
      },
      {
        // text/plain: both frameworks read it without a plugin (Fastify has no form parser by default).
        label: 'POST with the header: a body holding another token is ignored (the guard runs before body parsing)',
        method: 'POST',
        body: `access_token=${k.sign(k.claims({ consumer: '313876144' }))}`,
        headers: lines((m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ['Content-Type', 'text/plain'],
        ]),
        expect: ok,
      },
    ],
  },
  {
    id: 'HTTP-08',
    title: 'consent token elsewhere than its header is not accepted',
    modes: [TWO],
    variants: (k) => [
      {
        label: 'consent token in the query string',
        headers: [['Authorization', `Bearer ${k.goodAccess}`]],
        path: `${incomePath()}?${CONSENT_HEADER}=${k.goodConsent}`,
        expect: r403('consent_missing'),
      },
      {
        label: 'consent token in a cookie',
        headers: [
          ['Authorization', `Bearer ${k.goodAccess}`],
          ['Cookie', `${CONSENT_HEADER}=${k.goodConsent}`],
        ],
        expect: r403('consent_missing'),
      },
      {
        label: 'consent header over 8 KiB',
        headers: [
          ['Authorization', `Bearer ${k.goodAccess}`],
          [CONSENT_HEADER, 'a'.repeat(9_000)],
        ],
        expect: r401('token_too_large'),
      },
      {
        label: 'consent header over 16 KiB',
        headers: [
          ['Authorization', `Bearer ${k.goodAccess}`],
          [CONSENT_HEADER, 'a'.repeat(17_000)],
        ],
        expect: r431,
      },
    ],
  },
  {
    id: 'HTTP-05',
    title: "header lines at Node's maxHeadersCount: refused, never decided on a partial view",
    modes: BOTH,
    variants: (k) => [
      {
        // Node 20/22 keep 2 000 raw entries (1 000 lines) and drop the rest, so the second line would be
        // invisible: the guard refuses. Node 24 refuses such a request itself (431 or a reset).
        label: 'a second Authorization line after 1 100 filler lines',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`], ...filler(1_100), ['Authorization', 'Bearer x.y.z']]),
        expect: NODE_REFUSES_EXCESS_HEADERS ? r431 : r400('headers_too_many'),
      },
      {
        // 1 000 lines with Host, Connection (added by Node's client) and x-probe: Node (any version)
        // passes all of them, the guard cannot know whether more were sent.
        label: 'exactly at the limit, nothing after it',
        headers: (m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ...consentLine(m, k),
          ...filler(m.app === 'twoToken' ? 995 : 996),
        ],
        expect: r400('headers_too_many'),
      },
      {
        label: 'below the limit, a second Authorization line is seen',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`], ...filler(900), ['Authorization', 'Bearer x.y.z']]),
        expect: r400('credentials_duplicated'),
      },
      {
        label: 'below the limit, one valid credential',
        headers: lines((m) => [['Authorization', `Bearer ${accessToken(m, k)}`], ...filler(900)]),
        expect: ok,
      },
    ],
  },
  {
    id: 'DOS-01',
    title: 'header sizes: 15 KiB passes Node and meets the token cap; over 16 KiB Node answers 431',
    modes: BOTH,
    variants: (k) => [
      {
        label: 'oversize token (8 KiB + 1)',
        headers: lines(() => [['Authorization', `Bearer ${'a'.repeat(8 * 1024 + 1)}`]]),
        expect: r401('token_too_large'),
      },
      {
        label: 'a 15 KiB Authorization header',
        headers: (m, kit) => [
          ['Authorization', `Bearer ${'a'.repeat(15 * 1024 - 7 - (m.app === 'twoToken' ? kit.goodConsent.length + 100 : 0))}`],
          ...consentLine(m, kit),
        ],
        expect: r401('token_too_large'),
      },
      {
        label: 'a 20 KiB Authorization header',
        headers: lines(() => [['Authorization', `Bearer ${'a'.repeat(20 * 1024)}`]]),
        expect: r431,
      },
      {
        label: 'a valid token beside a 17 KiB unrelated header',
        headers: lines((m) => [
          ['Authorization', `Bearer ${accessToken(m, k)}`],
          ['X-Pad', 'p'.repeat(17 * 1024)],
        ]),
        expect: r431,
      },
    ],
  },
]

const handle = defineCatalogue('headers over HTTP (HTTP-05..09, DOS-01)', ROWS, () => {
  /**
   * Requests Node's own client will not build. Node's parser answers 400 before the framework
   * sees anything; the guard (and the handler) never run.
   */
  const framing: [string, (token: string) => string][] = [
    ['obs-fold continuation of Authorization', (t) => `Authorization: Bearer\r\n ${t}`],
    ['NUL inside the Authorization value', (t) => `Authorization: Bearer ${t}\u0000`],
    ['a space before the colon', (t) => `Authorization : Bearer ${t}`],
    ['a bare CR inside the value', (t) => `Authorization: Bearer ${t.slice(0, 20)}\r${t.slice(20)}`],
    ['Bearer + 15 000 spaces + NUL (DOS-05)', () => `Authorization: Bearer ${' '.repeat(15_000)}\u0000`],
  ]
  it.each(framing)('HTTP-09 %s: 400 from Node, nothing runs', async (_label, line) => {
    const k = handle.kit()
    await Promise.all(
      TARGETS.map(async (target, i) => {
        for (const kind of ['single', 'twoToken'] as const) {
          const app = handle.apps(kind)[i] as RunningTarget
          const probe = randomUUID()
          const extra = kind === 'twoToken' ? `\r\n${CONSENT_HEADER}: ${k.goodConsent}` : ''
          const answer = await sendRawHead(
            app.baseUrl,
            `GET ${incomePath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-probe: ${probe}\r\n${line(k.good)}${extra}\r\nConnection: close`,
          )
          expect(answer.status, `${target.name} (${kind})`).toBe(400)
          expect(
            app.handled.some((h) => h.probe === probe),
            `${target.name} (${kind}): handler ran`,
          ).toBe(false)
        }
      }),
    )
  })

  it('RPL-04 a trailing bare LF on the token never reaches the guard as part of it', async () => {
    const k = handle.kit()
    await Promise.all(
      TARGETS.map(async (target, i) => {
        const app = handle.apps('single')[i] as RunningTarget
        const probe = randomUUID()
        const answer = await sendRawHead(
          app.baseUrl,
          `GET ${incomePath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-probe: ${probe}\r\nAuthorization: Bearer ${k.good}\n\r\nConnection: close`,
        )
        // Node either refuses the framing (400) or ends the line at the LF; a 200 means the
        // guard saw exactly the canonical token, never one with a newline in it.
        expect([200, 400], target.name).toContain(answer.status)
        if (answer.status === 200) expect(app.handled.filter((h) => h.probe === probe)).toHaveLength(1)
      }),
    )
  })

  it('HTTP-05 a second Authorization line is seen even after unrelated headers, and with odd spacing', async () => {
    const k = handle.kit()
    await Promise.all(
      TARGETS.map(async (target, i) => {
        const app = handle.apps('single')[i] as RunningTarget
        const probe = randomUUID()
        const answer = await sendRawHead(
          app.baseUrl,
          `GET ${incomePath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-probe: ${probe}\r\nAuthorization:Bearer ${k.good}\r\nAccept: */*\r\nauthorization:   Bearer ${k.good}   \r\nConnection: close`,
        )
        expect(answer.status, target.name).toBe(400)
        expect(answer.text).toMatch(/error="invalid_request"/)
        expect(app.handled.some((h) => h.probe === probe)).toBe(false)
      }),
    )
  })

  it('the subject in the URL is never echoed in Node-level refusals either', async () => {
    await Promise.all(
      TARGETS.map(async (target, i) => {
        const app = handle.apps('single')[i] as RunningTarget
        const answer = await sendRawHead(
          app.baseUrl,
          `GET /income/2023/${FNR_A} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'p'.repeat(17 * 1024)}\r\nConnection: close`,
        )
        expect(answer.status, target.name).toBe(431)
        expect(answer.text).not.toContain(FNR_A)
      }),
    )
  })
})
