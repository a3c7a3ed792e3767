import { randomUUID } from 'node:crypto'
import {
  buildJwtGrant,
  personUrn,
  requestToken,
  TEST_IDENTITIES,
  type Emulator,
  type JwtGrantOptions,
  type SandboxClient,
  type TokenResult,
} from '@consent-guard/testkit'

/** The JSON of a token-endpoint error. */
export interface OAuthErrorBody {
  error: string
  error_description?: string
  consent_error?: string
}

/** A controllable clock: starts at a fixed instant, moves only when told. */
export function fakeClock(start = Date.UTC(2026, 1, 3, 10, 0, 0)) {
  let now = start
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms
    },
    get ms() {
      return now
    },
  }
}

export function client(emu: Emulator, role: 'bank' | 'other' = 'bank'): SandboxClient {
  const c = emu.sandbox[role]
  if (c === undefined) throw new Error(`no sandbox client ${role}`)
  return c
}

/** A token from /token through a real JWT-bearer grant. */
export async function grantToken(
  emu: Emulator,
  options: { as?: SandboxClient; scope?: string | string[]; consent?: { id: string; from: string } } & Partial<JwtGrantOptions> = {},
): Promise<TokenResult> {
  const c = options.as ?? client(emu)
  const assertion = await buildJwtGrant({
    issuer: emu.issuer,
    clientId: c.clientId,
    key: c.key,
    scope: options.scope ?? 'example:income',
    now: emu.now(),
    ...options,
  })
  return requestToken(emu.tokenEndpoint, assertion)
}

export async function bearer(
  emu: Emulator,
  as: SandboxClient,
  scope = 'altinn:consentrequests.write altinn:consentrequests.read',
): Promise<string> {
  const result = await grantToken(emu, { as, scope })
  if (!result.ok) throw new Error(`token: ${JSON.stringify(result.body)}`)
  return result.body.access_token
}

export interface Json {
  status: number
  body: any
  headers: Headers
}

export async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Json> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    redirect: 'manual',
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // keep text
  }
  return { status: response.status, body, headers: response.headers }
}

/** A consent request body shaped as Altinn's `ConsentRequestDto` (docs/testkit.md). */
export function requestBody(overrides: Record<string, unknown> = {}, now = Date.now()): Record<string, unknown> {
  return {
    id: randomUUID(),
    from: personUrn(TEST_IDENTITIES.personA),
    to: `urn:altinn:organization:identifier-no:${TEST_IDENTITIES.consumerOrgno}`,
    validTo: new Date(now + 30 * 86_400_000).toISOString().replace('Z', '+00:00'),
    consentRights: [
      { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'example-income' }], metaData: { inntektsaar: '2024' } },
    ],
    requestMessage: { en: 'The bank asks for your income for 2024' },
    redirectUrl: 'https://bank.example/loan?step=consent-done',
    ...overrides,
  }
}
