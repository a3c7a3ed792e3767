import { createServer } from 'node:http'
import { listen } from '../listen.js'
import { ALTINN_TT02_DELEGATION_SOURCE, consentTokenClaims, maskinportenClaims } from '../claims.js'
import { altinn2Claims, altinn2SigningKey, defaultAltinn2Key, signAltinn2Token } from '../altinn2.js'
import { KeyRing } from '../key-ring.js'
import { deterministicSigningKey, generateSigningKey } from '../keys.js'
import { ALTINN2_JWKS_PATH, ALTINN2_TOKEN_PATH } from './altinn2.js'
import { altinn2Routes } from './altinn2-routes.js'
import {
  CONSENT_REQUESTS_PATH,
  CONSENT_SCREEN_PATH,
  SANDBOX_CLIENTS,
  type Emulator,
  type EmulatorOptions,
  type SandboxClient,
} from './api.js'
import { requestEmulatorAltinn2Token, requestEmulatorToken } from './client-api.js'
import { ClientRegistry } from './clients.js'
import { consentRoutes } from './consent-routes.js'
import { ConsentStore } from './consents.js'
import type { EmulatorContext } from './context.js'
import { ProblemError, sendProblem } from './http.js'
import { keysRoutes } from './keys-routes.js'
import { pageRoutes } from './page-routes.js'
import { dispatch } from './router.js'
import { signWithRing, tokenRoutes } from './token-routes.js'

export {
  ALTINN_CONSENT_SCOPES,
  CONSENT_REQUESTS_PATH,
  CONSENT_SCREEN_PATH,
  SANDBOX_CLIENTS,
  type Altinn2TokenResult,
  type Emulator,
  type EmulatorAltinn2TokenRequest,
  type EmulatorOptions,
  type EmulatorTokenRequest,
  type SandboxClient,
} from './api.js'

/**
 * Starts a local Maskinporten + Altinn consent emulator (node:http, loopback by default).
 *
 * Maskinporten side: `/.well-known/oauth-authorization-server`, `/jwk`, `/token` (JWT-bearer
 * grant from a registered client; a consent in `authorization_details` is looked up in the
 * emulator's store and refused as Altinn does). Altinn side: `POST/GET
 * /accessmanagement/api/v1/enterprise/consentrequests[/{id}]`, the consent screen at `viewUri`, and
 * `POST /emulator/consentrequests/{id}/accept|reject|revoke`.
 *
 * @example
 * const emu = await startEmulator()
 * const consent = emu.consents.grant({ from: '25922947409', to: '991825827', resource: 'example-income', metadata: { inntektsaar: '2024' } })
 * // point the data source at emu.issuer / emu.jwksUri, then get a token through /token
 * await emu.close()
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1'
  const clock = options.clock ?? (() => new Date())
  const deterministic = options.deterministic ?? true
  const tokenLifetime = options.tokenLifetime ?? 120
  if (!Number.isInteger(tokenLifetime) || tokenLifetime < 1 || tokenLifetime > 86_400)
    throw new RangeError('tokenLifetime must be 1-86400 seconds')
  const altinn2Lifetime = options.altinn2TokenLifetime ?? 30
  if (!Number.isInteger(altinn2Lifetime) || altinn2Lifetime < 1 || altinn2Lifetime > 3600)
    throw new RangeError('altinn2TokenLifetime must be 1-3600 seconds')
  const altinn2Key =
    options.altinn2Key !== undefined
      ? altinn2SigningKey(options.altinn2Key)
      : deterministic
        ? await defaultAltinn2Key()
        : altinn2SigningKey(await generateSigningKey())

  const initialKeys =
    options.keys !== undefined ? [...options.keys] : [deterministic ? await deterministicSigningKey('mp-1') : await generateSigningKey()]
  if (initialKeys.length === 0) throw new TypeError('startEmulator: keys must contain at least one key')

  const ctx: EmulatorContext = {
    origin: '',
    issuer: '',
    clock,
    ring: new KeyRing(initialKeys, { deterministic }),
    consents: new ConsentStore({
      now: clock,
      viewUri: (id) => `${ctx.origin}${CONSENT_SCREEN_PATH}?id=${encodeURIComponent(id)}`,
      ...(options.resources !== undefined ? { resources: options.resources } : {}),
    }),
    clients: new ClientRegistry(),
    usedJtis: new Map(),
    sandbox: {},
    altinnAuth: options.altinnAuth ?? 'token',
    delegationSource: options.delegationSource ?? ALTINN_TT02_DELEGATION_SOURCE,
    tokenLifetime,
    altinn2Key,
    altinn2Lifetime,
  }
  const { clients, consents, sandbox } = ctx
  if (options.sandboxClients ?? true) {
    for (const [role, spec] of Object.entries(SANDBOX_CLIENTS) as ['bank' | 'other', (typeof SANDBOX_CLIENTS)['bank']][]) {
      const key = await deterministicSigningKey(spec.keyName)
      await clients.register({ clientId: spec.clientId, orgno: spec.orgno, keys: [key], scopes: '*', name: spec.name })
      sandbox[role] = Object.freeze({ clientId: spec.clientId, orgno: spec.orgno, key, name: spec.name }) satisfies SandboxClient
    }
  }
  for (const registration of options.clients ?? []) await clients.register(registration)

  const routes = [...keysRoutes(ctx), ...tokenRoutes(ctx), ...altinn2Routes(ctx), ...consentRoutes(ctx), ...pageRoutes(ctx)]
  const server = createServer((req, res) => {
    dispatch(routes, req, res, ctx.origin).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (err instanceof ProblemError) return sendProblem(res, err)
      sendProblem(
        res,
        new ProblemError(500, 'Internal Server Error', err instanceof Error ? err.message : String(err), undefined, 'internal_error'),
      )
    })
  })
  const listening = await listen(server, host, options.port ?? 0)
  const origin = listening.origin
  const issuer = options.issuer ?? `${origin}/`
  ctx.origin = origin
  ctx.issuer = issuer

  return {
    url: origin,
    issuer,
    jwksUri: `${origin}/jwk`,
    metadataUrl: `${origin}/.well-known/oauth-authorization-server`,
    tokenEndpoint: `${origin}/token`,
    consentRequestsUrl: `${origin}${CONSENT_REQUESTS_PATH}`,
    altinn2JwksUri: `${origin}${ALTINN2_JWKS_PATH}`,
    altinn2TokenEndpoint: `${origin}${ALTINN2_TOKEN_PATH}`,
    altinn2Key,
    consents,
    clients,
    sandbox,
    get signer() {
      return ctx.ring.signer
    },
    get keys() {
      return ctx.ring.published
    },
    now: () => clock(),
    rotateKeys: (rotate = {}) => ctx.ring.rotate(rotate),
    registerClient: (registration) => clients.register(registration),
    requestToken: (request) => requestEmulatorToken(ctx, request),
    accessToken: (claims = {}) => signWithRing(ctx, maskinportenClaims({ iss: issuer, now: clock(), ...claims })),
    consentToken: (claims = {}) => signWithRing(ctx, consentTokenClaims({ iss: issuer, now: clock(), ...claims })),
    requestAltinn2Token: (request) => requestEmulatorAltinn2Token(ctx, request),
    altinn2Token: (claims = {}) => signAltinn2Token(altinn2Key, altinn2Claims({ now: clock(), ...claims })),
    close() {
      return listening.close()
    },
  }
}
