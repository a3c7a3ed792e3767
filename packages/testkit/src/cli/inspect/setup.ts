import {
  ConsentGuardConfigError,
  createConsentGuard,
  type ConsentGuard,
  type ConsentGuardOptions,
  type CompiledRequirement,
} from '@consent-guard/core'
import { compileRequirement } from '@consent-guard/core/pipeline'
import { maskinportenClaims } from '../../claims.js'
import { deterministicSigningKey, generateSigningKey, type SigningAlgorithm, type SigningKey } from '../../keys.js'
import { signCompact } from '../../sign.js'
import { UsageError } from '../common.js'
import { toRequirement, type InspectRequest, type RouteConfig } from '../route-config.js'

// Where the verdict's guard "fetches" keys it is handed in memory; never contacted.
const ORGNO = /^[0-9]{9}$/

export const PLACEHOLDER_JWKS = 'http://127.0.0.1/consent-guard-inspect/jwk'
const PLACEHOLDER_ALTINN2_JWKS = 'http://127.0.0.1/consent-guard-inspect/altinn2/jwk'
/** Consent header of the guard that judges Altinn 2 tokens (two-token mode). */
export const CONSENT_HEADER = 'AltinnSamtykke'

/** The Maskinporten token an Altinn 2 token is judged beside (inspect reads one token). */
export interface StandIn {
  readonly consumer: string
  readonly supplier: string | undefined
  readonly scopes: readonly string[]
  /** The stand-in, signed with a key the verdict's guard trusts. */
  readonly token: string
  /** What was assumed, for the report. */
  readonly description: string
}

/** The guard that gives the verdict, the compiled route, and the tokens it checks. */
export interface Setup {
  readonly legacy: boolean
  readonly guard: ConsentGuard
  readonly compiled: CompiledRequirement<InspectRequest> | undefined
  readonly request: InspectRequest
  /** What the verdict verifies: the token itself with --jwks-uri, else a copy re-signed with a throwaway key. */
  readonly candidate: string
  /** The re-signed copy with its key: the token's claims judged by the core whatever the signature. */
  readonly resigned: { readonly token: string; readonly jwks: { keys: unknown[] } } | undefined
  readonly standIn: StandIn | undefined
}

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])

/** A key for re-signing: the checked-in RSA key for RSA algorithms, a generated one otherwise. */
async function throwawayKey(alg: string, kid: string): Promise<SigningKey> {
  if (RSA_ALGS.has(alg)) return deterministicSigningKey('mp-1', { alg: alg as 'RS256', kid })
  return generateSigningKey({ alg: alg as SigningAlgorithm, kid })
}

const jwksResponse = (body: unknown) => async (): Promise<Response> =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })

export interface PrepareInput {
  readonly cfg: RouteConfig | undefined
  readonly now: Date
  readonly header: Record<string, unknown> | undefined
  readonly claims: Record<string, unknown> | undefined
  readonly syntaxOk: boolean
  readonly legacy: boolean
  readonly jwksUri?: string
}

/** Compiles the route with the core and builds the guard whose verdict the report gives. */
export async function prepare(token: string, input: PrepareInput): Promise<Setup> {
  const { cfg, now, header, claims } = input
  let resigned: Setup['resigned']
  if (input.syntaxOk && header !== undefined) {
    const key = await throwawayKey(String(header.alg), String(header.kid ?? header.x5t))
    const [h, p] = token.split('.') as [string, string]
    resigned = {
      token: signCompact(Buffer.from(h, 'base64url'), Buffer.from(p, 'base64url'), key.privateKey, key.alg),
      jwks: { keys: [key.publicJwk] },
    }
  }
  // Without --jwks-uri the guard trusts only the throwaway key (or nothing, when re-signing was impossible).
  const tokenKeys = input.jwksUri === undefined ? { fetch: jwksResponse(resigned?.jwks ?? { keys: [] }) } : {}
  const candidate = input.jwksUri === undefined ? (resigned?.token ?? token) : token

  let compiled: CompiledRequirement<InspectRequest> | undefined
  const request: InspectRequest = {
    subject: cfg?.subject,
    period: cfg?.period !== undefined ? { from: cfg.period.from, to: cfg.period.to } : undefined,
  }
  const configError = (err: unknown): never => {
    if (err instanceof ConsentGuardConfigError) throw new UsageError(err.message)
    throw err
  }
  if (cfg !== undefined) {
    try {
      compiled = compileRequirement(toRequirement(cfg), 'route config')
    } catch (err) {
      configError(err)
    }
  }
  const common: Partial<ConsentGuardOptions> = {
    clock: () => now,
    auditKey: 'consent-guard-inspect',
    clockTolerance: cfg?.clockTolerance,
    maxTokenAge: cfg?.maxTokenAge,
  }
  let guard: ConsentGuard
  if (!input.legacy) {
    const iss = claims?.iss
    const issuer =
      cfg?.issuer ?? (typeof iss === 'string' && iss !== '' && iss.trim() === iss ? iss : 'urn:consent-guard:inspect:no-issuer')
    try {
      guard = createConsentGuard({
        ...common,
        maskinporten: { issuer, jwksUri: input.jwksUri ?? PLACEHOLDER_JWKS },
        keys: { ...tokenKeys, staleIfErrorMs: 0 },
        algorithms: cfg?.algorithms,
        consumerAuthorities: cfg?.consumerAuthorities,
        audience: cfg?.audience,
        requireAudience: cfg?.requireAudience,
      })
    } catch (err) {
      return configError(err)
    }
    return { legacy: false, guard, compiled, request, candidate, resigned, standIn: undefined }
  }

  // Altinn 2: two-token mode, the legacy token in the consent header beside a stand-in access token.
  const accessKey = await deterministicSigningKey('mp-1', { kid: 'consent-guard-inspect-access' })
  const issuer = cfg?.issuer ?? 'urn:consent-guard:inspect:access-token'
  try {
    guard = createConsentGuard({
      ...common,
      maskinporten: { issuer, jwksUri: PLACEHOLDER_JWKS },
      keys: { fetch: jwksResponse({ keys: [accessKey.publicJwk] }), staleIfErrorMs: 0 },
      consentHeader: CONSENT_HEADER,
      altinn2: { jwksUri: input.jwksUri ?? PLACEHOLDER_ALTINN2_JWKS },
      altinn2Keys: { ...tokenKeys, staleIfErrorMs: 0 },
      altinn2MaxTokenAge: cfg?.altinn2MaxTokenAge,
    })
  } catch (err) {
    return configError(err)
  }
  const standIn = compiled === undefined ? undefined : standInFor(cfg as RouteConfig, compiled, claims, { issuer, now, key: accessKey })
  return { legacy: true, guard, compiled, request, candidate, resigned, standIn }
}

/**
 * The Maskinporten token an Altinn 2 token travels beside. inspect reads one token, so this one is
 * assumed: consumer `CoveredBy` and supplier `HandledBy` (the binding then holds by construction)
 * and the route's scopes, unless the route config's `accessToken` names them.
 */
function standInFor(
  cfg: RouteConfig,
  compiled: CompiledRequirement<InspectRequest>,
  claims: Record<string, unknown> | undefined,
  sign: { issuer: string; now: Date; key: SigningKey },
): StandIn {
  const given = cfg.accessToken ?? {}
  const coveredBy = claims?.CoveredBy
  const handledBy = claims?.HandledBy
  const fromToken = (v: unknown): string | undefined => (typeof v === 'string' && ORGNO.test(v) ? v : undefined)
  const consumer = given.consumer ?? fromToken(coveredBy)
  const supplier = given.supplier ?? fromToken(handledBy)
  const scopes = given.scope !== undefined ? given.scope.split(' ').filter((s) => s !== '') : [...(compiled.scope?.scopes ?? [])]
  // No organisation to assume: a consumer no consent can name, so the binding fails visibly.
  const effective = consumer ?? '000000000'
  const claimsOut = maskinportenClaims({
    iss: sign.issuer,
    scope: scopes,
    consumer: effective,
    ...(supplier !== undefined ? { supplier } : {}),
    client_id: 'consent-guard-inspect',
    now: sign.now,
  })
  const token = signCompact({ alg: 'RS256', kid: sign.key.kid }, claimsOut, sign.key.privateKey)
  const source = (value: string | undefined, fromConfig: boolean, claim: string): string =>
    value === undefined
      ? `none (${claim} ${JSON.stringify(claim === 'CoveredBy' ? coveredBy : handledBy)} is not an organisation number)`
      : `${value} (${fromConfig ? 'route config' : `= ${claim}`})`
  const parts = [
    `consumer ${source(consumer, given.consumer !== undefined, 'CoveredBy')}`,
    ...(supplier !== undefined || handledBy !== undefined
      ? [`supplier ${source(supplier, given.supplier !== undefined, 'HandledBy')}`]
      : []),
    `scope "${scopes.join(' ')}"${given.scope !== undefined ? ' (route config)' : " (the route's)"}`,
  ]
  return {
    consumer: effective,
    supplier,
    scopes,
    token,
    description: `NOT GIVEN (inspect reads one token): assumed a valid Maskinporten token beside it with ${parts.join(', ')}. Set "accessToken": {"consumer", "supplier", "scope"} in the route config to check the binding`,
  }
}
