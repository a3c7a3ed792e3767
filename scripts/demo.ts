/**
 * `pnpm demo`: the whole consent flow on one machine, as a bank would play it.
 *
 * Starts the Maskinporten + Altinn emulator and both example data sources (Fastify and Express,
 * in-process, on free loopback ports, pointed at the emulator), then: the bank asks Altinn for
 * consent, the person accepts on the consent screen, the bank fetches a Maskinporten token with the
 * consent through a real JWT-bearer grant and gets data from both APIs. Then the rejections that
 * matter. Prints request → status → code, exits 0 only when every outcome matched.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Server } from 'node:http'
import {
  buildJwtGrant,
  encodeSegment,
  maskPersonId,
  organizationUrn,
  personUrn,
  requestToken,
  startEmulator,
  TEST_IDENTITIES,
  type Emulator,
  type SandboxClient,
} from '@consent-guard/testkit'
import { buildApp as buildFastifyApp } from '../examples/fastify-income-api/src/app.js'
import { loadConfig as loadFastifyConfig } from '../examples/fastify-income-api/src/config.js'
import { buildApp as buildExpressApp } from '../examples/express-income-api/src/app.js'
import { loadConfig as loadExpressConfig } from '../examples/express-income-api/src/config.js'

const PERSON = TEST_IDENTITIES.personA
const OTHER_PERSON = TEST_IDENTITIES.personB
const COMPANY = TEST_IDENTITIES.supplierOrgno // an organisation that consents to share its accounts
const YEAR = '2024'
const DEADLINE_MS = 45_000
/** Lifetime of the consent that expires during the demo: long enough to accept it and fetch a token on a slow machine. */
const SHORT_LIVED_MS = 4_000

interface Row {
  readonly step: string
  readonly via: string
  readonly request: string
  readonly expected: string
  readonly got: string
  readonly ok: boolean
  readonly detail: string
}

interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Headers
  /** The parsed JSON whatever its type (the Altinn 2 exchange answers a JSON string). */
  readonly value?: unknown
}

const mask = (text: string): string => text.replace(/(?<![0-9])[0-9]{11}(?![0-9])/g, (id) => maskPersonId(id))

async function http(
  url: string,
  init: { method?: string; token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers }
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
  let body: string | undefined
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(init.json)
  } else if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(init.form).toString()
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined ? { body } : {}),
    redirect: 'manual',
  })
  const text = await res.text()
  let parsed: Record<string, unknown> = {}
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>
  } catch {
    // HTML or empty
  }
  return { status: res.status, body: parsed, headers: res.headers, value }
}

/** The stable code in an answer: the guard's `code`, or the emulator's `consent_error` / OAuth `error`. */
function codeOf(answer: Answer): string {
  const b = answer.body
  for (const key of ['code', 'consent_error', 'error']) if (typeof b[key] === 'string') return b[key]
  return ''
}

class Demo {
  readonly rows: Row[] = []

  record(step: string, via: string, request: string, expected: { status: number; code?: string }, answer: Answer, detail = ''): Answer {
    const code = codeOf(answer)
    const ok = answer.status === expected.status && (expected.code === undefined || code === expected.code)
    const got = answer.status >= 400 ? `${answer.status} ${code}` : String(answer.status)
    this.rows.push({
      step,
      via,
      request: mask(request),
      expected: `${expected.status}${expected.code !== undefined ? ` ${expected.code}` : ''}`,
      got,
      ok,
      detail: mask(detail),
    })
    return answer
  }

  /** A check that is not an HTTP exchange (e.g. a status read from a body). */
  fact(step: string, via: string, request: string, expected: string, got: string, detail = ''): void {
    this.rows.push({ step, via, request: mask(request), expected, got, ok: expected === got, detail: mask(detail) })
  }
}

interface Bank {
  readonly emu: Emulator
  readonly client: SandboxClient
}

async function grant(bank: Bank, scope: string, consent?: { id: string; from: string }): Promise<Answer> {
  const assertion = await buildJwtGrant({
    issuer: bank.emu.issuer,
    clientId: bank.client.clientId,
    key: bank.client.key,
    scope,
    ...(consent !== undefined ? { consent } : {}),
  })
  const result = await requestToken(bank.emu.tokenEndpoint, assertion)
  return { status: result.status, body: result.body as unknown as Record<string, unknown>, headers: new Headers() }
}

function tokenOf(answer: Answer): string {
  const token = answer.body.access_token
  if (typeof token !== 'string') throw new Error(`no access token: ${JSON.stringify(answer.body)}`)
  return token
}

function consentBody(
  from: string,
  rights: { resource: string; metaData?: Record<string, string> }[],
  validTo: Date,
  to: string = TEST_IDENTITIES.consumerOrgno,
) {
  const id = randomUUID()
  return {
    id,
    from,
    to: organizationUrn(to),
    validTo: validTo.toISOString().replace('Z', '+00:00'),
    consentRights: rights.map((r) => ({
      action: ['consent'],
      resource: [{ type: 'urn:altinn:resource', value: r.resource }],
      ...(r.metaData !== undefined ? { metaData: r.metaData } : {}),
    })),
    requestMessage: {
      nb: 'Banken ber om innsyn i inntekten din for å behandle lånesøknaden.',
      en: 'The bank asks to see your income to process your loan application.',
    },
    redirectUrl: `https://bank.example/loan-application?consent=${id}`,
  }
}

/** Creates a consent request as the bank and accepts it on the consent screen as the person. */
async function consent(
  demo: Demo,
  bank: Bank,
  altinnToken: string,
  label: string,
  body: ReturnType<typeof consentBody>,
  record: boolean,
): Promise<{ id: string; from: string }> {
  const created = await http(bank.emu.consentRequestsUrl, { token: altinnToken, json: body })
  const viewUri = String(created.body.viewUri)
  const accepted = await http(viewUri, { form: { decision: 'accept' } })
  if (record) {
    demo.record(`Bank asks for consent (${label})`, 'Altinn', 'POST /consentrequests', { status: 201 }, created)
    demo.record(
      'Person accepts on the consent screen',
      'Altinn',
      'POST viewUri decision=accept',
      { status: 303 },
      accepted,
      `back to ${new URL(accepted.headers.get('location') ?? 'about:blank').origin}`,
    )
  } else if (created.status !== 201 || accepted.status !== 303) {
    demo.fact(`Set-up: ${label}`, 'Altinn', 'create + accept', '201/303', `${created.status}/${accepted.status}`)
  }
  return { id: body.id, from: body.from }
}

export async function main(out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const demo = new Demo()
  const closers: (() => Promise<unknown>)[] = []
  const deadline = setTimeout(() => {
    out.write('\nDEMO FAILED: did not finish within 45 s\n')
    process.exit(1)
  }, DEADLINE_MS)
  deadline.unref()
  try {
    const emu = await startEmulator({
      resources: {
        // altinn2: the same consent can be fetched as a legacy Altinn 2 token (service 4629 edition 2).
        'example-income': { metadata: ['inntektsaar'], title: 'Inntekt per år', altinn2: { serviceCode: '4629', serviceEdition: '2' } },
        'example-income-period': { metadata: ['fraogmed', 'tilogmed'], title: 'Inntekt per måned' },
        'example-company-accounts': { title: 'Regnskap' },
        'example-loan-check': { oneTime: true, title: 'Lånevurdering (engangssamtykke)' },
      },
    })
    closers.push(() => emu.close())
    const env = {
      PORT: '0',
      MASKINPORTEN_ISSUER: emu.issuer,
      MASKINPORTEN_JWKS_URI: emu.jwksUri,
      ALLOWED_CONSUMERS: TEST_IDENTITIES.consumerOrgno,
      LOG_LEVEL: 'silent',
    }
    const fastify = await buildFastifyApp(loadFastifyConfig(env))
    closers.push(() => fastify.close())
    const fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' })
    const express = buildExpressApp(loadExpressConfig(env))
    const expressServer: Server = await new Promise((resolve) => {
      const s = express.listen(0, '127.0.0.1', () => resolve(s))
    })
    closers.push(
      () =>
        new Promise((resolve) => {
          expressServer.close(resolve)
          expressServer.closeAllConnections()
        }),
    )
    const expressUrl = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`
    // The Fastify example once more, in two-token mode with the legacy Altinn 2 path on.
    const legacy = await buildFastifyApp(
      loadFastifyConfig({ ...env, CONSENT_TOKEN_HEADER: 'AltinnSamtykke', ALTINN2_JWKS_URI: emu.altinn2JwksUri }),
    )
    closers.push(() => legacy.close())
    const legacyUrl = await legacy.listen({ port: 0, host: '127.0.0.1' })
    const sources = [
      { name: 'Fastify', url: fastifyUrl },
      { name: 'Express', url: expressUrl },
    ]

    out.write(`consent-guard demo: a bank fetches income data with an Altinn consent; everything runs locally\n\n`)
    out.write(`  Maskinporten + Altinn emulator  ${emu.issuer}\n`)
    out.write(`  Fastify data source             ${fastifyUrl}   (examples/fastify-income-api)\n`)
    out.write(`  Express data source             ${expressUrl}   (examples/express-income-api)\n`)
    out.write(`  Fastify, two-token mode         ${legacyUrl}   (the same, CONSENT_TOKEN_HEADER=AltinnSamtykke, ALTINN2_JWKS_URI)\n`)
    out.write(`  Bank ${TEST_IDENTITIES.consumerOrgno}, person ${maskPersonId(PERSON)}, another consumer ${TEST_IDENTITIES.otherOrgno}\n\n`)

    const bank: Bank = { emu, client: emu.sandbox.bank as SandboxClient }
    const other: Bank = { emu, client: emu.sandbox.other as SandboxClient }
    const inAMonth = new Date(Date.now() + 30 * 86_400_000)

    // 1. The bank authenticates to Altinn with a Maskinporten token and asks the person for consent.
    const altinn = demo.record(
      'Bank gets a token for Altinn',
      'Maskinporten',
      'POST /token altinn:consentrequests.write',
      { status: 200 },
      await grant(bank, 'altinn:consentrequests.write altinn:consentrequests.read'),
    )
    const altinnToken = tokenOf(altinn)
    const income = await consent(
      demo,
      bank,
      altinnToken,
      `income ${YEAR}, months ${YEAR}-01..12`,
      consentBody(
        personUrn(PERSON),
        [
          { resource: 'example-income', metaData: { inntektsaar: YEAR } },
          { resource: 'example-income-period', metaData: { fraogmed: `${YEAR}-01`, tilogmed: `${YEAR}-12` } },
        ],
        inAMonth,
      ),
      true,
    )
    const status = await http(`${emu.consentRequestsUrl}/${income.id}`, { token: altinnToken })
    demo.fact('Bank reads the request status', 'Altinn', 'GET /consentrequests/{id}', 'accepted', String(status.body.status))

    // A consent that expires in a few seconds: its token is fetched now, used at the end.
    const shortLivedExpires = Date.now() + SHORT_LIVED_MS
    const shortLived = await consent(
      demo,
      bank,
      altinnToken,
      'short-lived',
      consentBody(personUrn(PERSON), [{ resource: 'example-income', metaData: { inntektsaar: YEAR } }], new Date(shortLivedExpires)),
      false,
    )
    const shortLivedToken = tokenOf(await grant(bank, 'example:income', shortLived))

    // 2. The Maskinporten token that carries the consent, and data from both sources.
    const withConsent = demo.record(
      'Bank gets a token with the consent',
      'Maskinporten',
      'POST /token example:income + consent',
      { status: 200 },
      await grant(bank, 'example:income', income),
    )
    const token = tokenOf(withConsent)
    const call = async (
      step: string,
      path: string,
      expected: { status: number; code?: string },
      bearer = token,
      describe?: (a: Answer) => string,
    ) => {
      for (const source of sources) {
        const answer = await http(`${source.url}${path}`, { token: bearer })
        demo.record(step, source.name, `GET ${path}`, expected, answer, describe?.(answer) ?? '')
      }
    }
    await call(
      'Income for the consented year',
      `/income/${YEAR}/${PERSON}`,
      { status: 200 },
      token,
      (a) => `totalIncome ${String((a.body.income as { totalIncome?: number } | undefined)?.totalIncome)} NOK`,
    )
    await call(
      'Months inside the consented period',
      `/income-period/${PERSON}?from=${YEAR}-01&to=${YEAR}-06`,
      { status: 200 },
      token,
      (a) => `${String((a.body.income as { months?: unknown[] } | undefined)?.months?.length)} months`,
    )

    // Legacy: the same consent as an Altinn 2 token (30 s), beside a plain Maskinporten token.
    const exchanged = demo.record(
      'Bank fetches the consent as an Altinn 2 token',
      'Altinn 2',
      'GET /api/authorization/token/{id}',
      { status: 200 },
      await http(`${emu.altinn2TokenEndpoint}/${income.id}`, { token: altinnToken }),
    )
    const legacyToken = typeof exchanged.value === 'string' ? exchanged.value : ''
    const plain = tokenOf(await grant(bank, 'example:income'))
    const legacyAnswer = await http(`${legacyUrl}/income/${YEAR}/${PERSON}`, { token: plain, headers: { AltinnSamtykke: legacyToken } })
    demo.record(
      'Altinn 2 token beside a Maskinporten token',
      'Fastify 2-token',
      `GET /income/${YEAR}/${PERSON}`,
      { status: 200 },
      legacyAnswer,
      `totalIncome ${String((legacyAnswer.body.income as { totalIncome?: number } | undefined)?.totalIncome)} NOK`,
    )

    // 3. What the consent does not cover.
    await call('Another year', `/income/${Number(YEAR) - 1}/${PERSON}`, { status: 403, code: 'consent_metadata_mismatch' })
    await call('Another person', `/income/${YEAR}/${OTHER_PERSON}`, { status: 403, code: 'consent_subject_mismatch' })
    await call('Months outside the period', `/income-period/${PERSON}?from=${YEAR}-06&to=${Number(YEAR) + 1}-01`, {
      status: 403,
      code: 'consent_metadata_mismatch',
    })

    // Another consumer cannot borrow the bank's consent, and is not on the data sources' allow-list.
    demo.record(
      "Another consumer (313876144) uses the bank's consent",
      'Maskinporten',
      'POST /token example:income + consent',
      { status: 400, code: 'consent_not_for_consumer' },
      await grant(other, 'example:income', income),
    )
    const otherAltinn = tokenOf(await grant(other, 'altinn:consentrequests.write'))
    const otherConsent = await consent(
      demo,
      other,
      otherAltinn,
      'other consumer',
      consentBody(
        personUrn(PERSON),
        [{ resource: 'example-income', metaData: { inntektsaar: YEAR } }],
        inAMonth,
        TEST_IDENTITIES.otherOrgno,
      ),
      false,
    )
    const otherToken = tokenOf(await grant(other, 'example:income', otherConsent))
    await call(
      'Another consumer, own consent, not allowed',
      `/income/${YEAR}/${PERSON}`,
      { status: 403, code: 'consumer_not_allowed' },
      otherToken,
    )

    // An organisation's consent to its accounts.
    const accounts = await consent(
      demo,
      bank,
      altinnToken,
      'company accounts',
      consentBody(organizationUrn(COMPANY), [{ resource: 'example-company-accounts' }], inAMonth),
      false,
    )
    await call(
      'Company accounts (organisation consent)',
      `/company/${COMPANY}/accounts`,
      { status: 200 },
      tokenOf(await grant(bank, 'example:accounts', accounts)),
    )

    // One-time consent (engangssamtykke): each data source lets it through once.
    const loan = await consent(
      demo,
      bank,
      altinnToken,
      'loan check',
      consentBody(personUrn(PERSON), [{ resource: 'example-loan-check' }], inAMonth),
      false,
    )
    const loanToken = tokenOf(await grant(bank, 'example:loan-check', loan))
    for (const source of sources) {
      demo.record(
        'One-time consent, first use',
        source.name,
        `GET /loan-check/${PERSON}`,
        { status: 200 },
        await http(`${source.url}/loan-check/${PERSON}`, { token: loanToken }),
      )
      const fresh = tokenOf(await grant(bank, 'example:loan-check', loan))
      demo.record(
        'One-time consent, used again (new token)',
        source.name,
        `GET /loan-check/${PERSON}`,
        { status: 403, code: 'consent_already_used' },
        await http(`${source.url}/loan-check/${PERSON}`, { token: fresh }),
      )
    }

    // A tampered token: the year changed in the payload, the signature kept.
    const [h, p, s] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as {
      authorization_details: { consentRights: { metadata?: Record<string, string> }[] }[]
    }
    for (const right of claims.authorization_details[0]?.consentRights ?? [])
      if (right.metadata?.inntektsaar !== undefined) right.metadata.inntektsaar = String(Number(YEAR) - 1)
    await call(
      'Tampered token (year edited)',
      `/income/${Number(YEAR) - 1}/${PERSON}`,
      { status: 401, code: 'token_signature_invalid' },
      `${h}.${encodeSegment(claims)}.${s}`,
    )

    // The person withdraws the consent: Maskinporten issues no new token for it.
    const revoke = await http(`${emu.url}/emulator/consentrequests/${income.id}/revoke`, { method: 'POST' })
    demo.fact('Person revokes the consent', 'Altinn', 'POST /emulator/.../revoke', 'revoked', String(revoke.body.status))
    demo.record(
      'Bank asks for a token after revocation',
      'Maskinporten',
      'POST /token example:income + consent',
      { status: 400, code: 'consent_revoked' },
      await grant(bank, 'example:income', income),
    )

    // The short-lived consent has expired by now (its token has not).
    const wait = shortLivedExpires - Date.now() + 100
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    await call('Expired consent, token still valid', `/income/${YEAR}/${PERSON}`, { status: 403, code: 'consent_expired' }, shortLivedToken)
    demo.record(
      'Bank asks for a token after expiry',
      'Maskinporten',
      'POST /token example:income + consent',
      { status: 400, code: 'consent_expired' },
      await grant(bank, 'example:income', shortLived),
    )
  } catch (err) {
    out.write(`\nDEMO FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    printTable(demo.rows, out)
    return 1
  } finally {
    clearTimeout(deadline)
    for (const close of closers.reverse()) await close().catch(() => undefined)
  }
  printTable(demo.rows, out)
  const failed = demo.rows.filter((r) => !r.ok)
  if (failed.length > 0) {
    out.write(`\nDEMO FAILED: ${failed.length} of ${demo.rows.length} outcomes did not match:\n`)
    for (const r of failed) out.write(`  ${r.step} [${r.via}] ${r.request}: expected ${r.expected}, got ${r.got}\n`)
    return 1
  }
  out.write(`\nAll ${demo.rows.length} outcomes matched. Everything was stopped.\n`)
  return 0
}

/** `ok  Via  Request  → result  step: detail`, with the expectation spelt out only where it failed. */
function printTable(rows: readonly Row[], out: { write(text: string): unknown }): void {
  const via = Math.max(3, ...rows.map((r) => r.via.length))
  const request = Math.max(7, ...rows.map((r) => r.request.length))
  const result = Math.max(6, ...rows.map((r) => r.got.length))
  out.write(`    ${'Via'.padEnd(via)}  ${'Request'.padEnd(request)}    ${'Result'.padEnd(result)}  What\n`)
  for (const r of rows) {
    const what = `${r.step}${r.detail !== '' ? `: ${r.detail}` : ''}${r.ok ? '' : `   <-- EXPECTED ${r.expected}`}`
    out.write(`${r.ok ? 'ok' : '!!'}  ${r.via.padEnd(via)}  ${r.request.padEnd(request)} →  ${r.got.padEnd(result)}  ${what}\n`)
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await main()
}
