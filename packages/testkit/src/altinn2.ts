import { createHash, randomUUID } from 'node:crypto'
import { epochSeconds, TEST_IDENTITIES, type ClockSource, type Instant } from './claims.js'
import { createJwksServer, type JwksServer } from './jwks-server.js'
import { deterministicSigningKey, type SigningKey } from './keys.js'
import { signCompact } from './sign.js'

/**
 * The three claim generations Altinn 2 consent tokens have been seen in (Altinn's token page examples, older guides, Altinn's test token generator):
 * - `current`: `Services` with `_` separators, epoch-second dates (Altinn's TestTools, 2026);
 * - `comma-strings`: `Services` with `,` separators and `yyyy-MM-dd HH:mm:ss` local-time dates;
 * - `service-codes`: the older `ServiceCodes` claim (`"4629,1"`) with `dd.MM.yyyy HH:mm:ss` dates.
 */
export type Altinn2Generation = 'current' | 'comma-strings' | 'service-codes'

/** One legacy service the consent covers, with its metadata (e.g. `{ inntektsaar: '2016' }`). */
export interface Altinn2Service {
  serviceCode: string
  serviceEdition: string
  metadata?: Record<string, string>
}

/** Options of {@link altinn2Claims}. */
export interface Altinn2ClaimsOptions {
  /** Default: service 4629 edition 2 with `inntektsaar=2016`. */
  services?: readonly Altinn2Service[]
  /** Default: a random UUID. */
  authorizationCode?: string
  /** fnr or orgno of who consented. Default {@link TEST_IDENTITIES}.personA. */
  offeredBy?: string
  /** fnr or orgno of who received the consent. Default {@link TEST_IDENTITIES}.consumerOrgno. */
  coveredBy?: string
  /** orgno of a third party that fetched the token for `coveredBy`. */
  handledBy?: string
  /** Default now − 1 day. */
  delegatedDate?: Instant
  /** Consent expiry. Default now + 30 days. */
  validToDate?: Instant
  /** Token lifetime (`exp - nbf`). Default 30 s, as Altinn issues them. */
  lifetimeSeconds?: number
  now?: ClockSource
  generation?: Altinn2Generation
  /** Claims merged last; `undefined` removes a claim. */
  extra?: Record<string, unknown>
}

const DAY = 86_400
const oslo = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Oslo',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

function osloWallClock(seconds: number): Record<string, string> {
  return Object.fromEntries(oslo.formatToParts(new Date(seconds * 1000)).map((p) => [p.type, p.value]))
}

function formatDate(seconds: number, generation: Altinn2Generation): number | string {
  if (generation === 'current') return Math.floor(seconds)
  const p = osloWallClock(seconds)
  return generation === 'comma-strings'
    ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
    : `${p.day}.${p.month}.${p.year} ${p.hour}:${p.minute}:${p.second}`
}

function toSeconds(value: Instant): number {
  return value instanceof Date ? value.getTime() / 1000 : value
}

/**
 * Builds the claims of an Altinn 2 consent token (issuer `altinn.no`, `Services`/`ServiceCodes`,
 * `AuthorizationCode`, `OfferedBy`, `CoveredBy`, optional `HandledBy`, `DelegatedDate`,
 * `ValidToDate`, `exp`, `nbf`), in one of the three documented generations.
 */
export function altinn2Claims(options: Altinn2ClaimsOptions = {}): Record<string, unknown> {
  const now = Math.floor(epochSeconds(options.now))
  const generation = options.generation ?? 'current'
  const sep = generation === 'current' ? '_' : ','
  const services = options.services ?? [{ serviceCode: '4629', serviceEdition: '2', metadata: { inntektsaar: '2016' } }]
  const entries: string[] = []
  for (const s of services) {
    entries.push(`${s.serviceCode}${sep}${s.serviceEdition}`)
    for (const [k, v] of Object.entries(s.metadata ?? {})) entries.push(`${s.serviceCode}${sep}${s.serviceEdition}${sep}${k}=${v}`)
  }
  const claims: Record<string, unknown> = {
    [generation === 'service-codes' ? 'ServiceCodes' : 'Services']: entries.length === 1 ? entries[0] : entries,
    AuthorizationCode: options.authorizationCode ?? randomUUID(),
    OfferedBy: options.offeredBy ?? TEST_IDENTITIES.personA,
    CoveredBy: options.coveredBy ?? TEST_IDENTITIES.consumerOrgno,
    ...(options.handledBy !== undefined && { HandledBy: options.handledBy }),
    DelegatedDate: formatDate(toSeconds(options.delegatedDate ?? now - DAY), generation),
    ValidToDate: formatDate(toSeconds(options.validToDate ?? now + 30 * DAY), generation),
    iss: 'altinn.no',
    exp: now + (options.lifetimeSeconds ?? 30),
    nbf: now,
  }
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (value === undefined) delete claims[key]
    else claims[key] = value
  }
  return claims
}

/**
 * Turns a signing key into an Altinn-2-style one: `kid` = `x5t` = a base64url SHA-1 thumbprint, as
 * Altinn's documentation and TestTools show (Altinn hashes its certificate; the stand-in hashes the
 * modulus, there being no certificate). The JWK publishes both members.
 */
export function altinn2SigningKey(base: SigningKey): SigningKey {
  const thumbprint = createHash('sha1').update(String(base.publicJwk.n)).digest('base64url')
  return { ...base, kid: thumbprint, publicJwk: { ...base.publicJwk, kid: thumbprint, x5t: thumbprint } }
}

/** The checked-in Altinn 2 test key (`deterministicSigningKey('altinn2')`) in its Altinn 2 form. */
export async function defaultAltinn2Key(): Promise<SigningKey> {
  return altinn2SigningKey(await deterministicSigningKey('altinn2'))
}

/**
 * Signs Altinn 2 consent-token claims as Altinn does: RS256, header `{alg, kid, x5t, typ: "JWT"}`
 * with `kid` = `x5t` = the key's thumbprint. `header` replaces the default header.
 */
export function signAltinn2Token(key: SigningKey, claims: Record<string, unknown>, header?: Record<string, unknown>): string {
  return signCompact(header ?? { alg: 'RS256', kid: key.kid, x5t: key.kid, typ: 'JWT' }, claims, key.privateKey)
}

/** A stand-in for Altinn 2's token signing: a key whose `kid` and `x5t` are a certificate-style thumbprint. */
export interface Altinn2Issuer {
  /** JWKS URL to configure as `altinn2: { jwksUri }`. */
  readonly jwksUri: string
  readonly server: JwksServer
  readonly key: SigningKey
  /** The `kid` = `x5t` value (base64url SHA-1 thumbprint). */
  readonly thumbprint: string
  /** Signs {@link altinn2Claims}. `header` replaces the default `{alg, kid, x5t, typ}`. */
  token(options?: Altinn2ClaimsOptions, header?: Record<string, unknown>): string
  close(): Promise<void>
}

/**
 * Starts a JWKS server publishing an Altinn-2-style key (`kid` = `x5t`, as Altinn's documentation
 * and TestTools show) and signs legacy consent tokens with it. Default key: the checked-in
 * `altinn2` test key, the same one the emulator's Altinn 2 side and `consent-guard mint --altinn2`
 * use in deterministic mode; `key` is turned into its Altinn 2 form with {@link altinn2SigningKey}.
 */
export async function createAltinn2Issuer(options: { now?: ClockSource; key?: SigningKey } = {}): Promise<Altinn2Issuer> {
  const key = options.key !== undefined ? altinn2SigningKey(options.key) : await defaultAltinn2Key()
  const server = await createJwksServer({ keys: [key] })
  return {
    jwksUri: server.url,
    server,
    key,
    thumbprint: key.kid,
    token(claimOptions = {}, header) {
      return signAltinn2Token(key, altinn2Claims({ ...(options.now !== undefined && { now: options.now }), ...claimOptions }), header)
    },
    close: () => server.close(),
  }
}
