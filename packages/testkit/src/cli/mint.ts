import { parseArgs } from 'node:util'
import { SignJWT } from 'jose'
import { altinn2Claims, altinn2SigningKey, defaultAltinn2Key, signAltinn2Token, type Altinn2Generation } from '../altinn2.js'
import { consentTokenClaims, maskinportenClaims, TEST_IDENTITIES, type ConsentParty } from '../claims.js'
import type { FixedKeyName } from '../fixed-keys.js'
import { deterministicSigningKey, FIXED_KEY_NAMES } from '../keys.js'
import { ALTINN2_GENERATIONS } from '../emulator/altinn2.js'
import { parseInstant, parsePairs, splitScopes, UsageError, type CliIo } from './common.js'

export const MINT_HELP = `Usage: consent-guard mint --scope <scope> [options]
       consent-guard mint --altinn2 [options]

Prints a Maskinporten access token carrying an Altinn consent, shaped like a real TT02 token and
signed with the checked-in TEST key (mp-1 unless --key). Test-only: the key is public.
With --altinn2: a legacy Altinn 2 consent token instead (iss altinn.no, 30 s), signed with the
checked-in TEST key altinn2 (kid = x5t, a thumbprint), for the consent header in two-token mode.

Token:
  --issuer <url>          iss (default: $MASKINPORTEN_ISSUER)
  --scope <scope>         scope(s), repeatable or space-separated (required)
  --consumer <orgno>      consumer organisation (default ${TEST_IDENTITIES.consumerOrgno})
  --supplier <orgno>      supplier acting for the consumer (adds delegation_source)
  --delegation-source <u> default https://tt02.altinn.no/ with --supplier
  --aud <audience>        audience restriction (real consent tokens have none)
  --lifetime <seconds>    exp - iat (default 120)
  --now <iso|epoch>       issue time (default: now)
Consent (authorization_details):
  --subject <id>          who consented: 11-digit person id or 9-digit orgno (default ${TEST_IDENTITIES.personA})
  --resource <id>         consent resource id (default ske-samtykke-sbl-summert-skattegrunnlag)
  --metadata k=v          metadata of the right, repeatable
  --to <orgno>            consent recipient (default: the consumer)
  --consent-id <uuid>     consent (request) id (default: random)
  --valid-to <iso>        end of validity (default: 30 days after --now)
  --consented <iso>       when consent was given (default: 1 day before --now)
  --no-consent            a plain access token without authorization_details
Altinn 2 (--altinn2; --subject, --metadata, --consent-id, --valid-to, --consented, --lifetime,
--now, --extra apply too):
  --altinn2               mint an Altinn 2 consent token (no --issuer or --scope needed)
  --generation <g>        ${ALTINN2_GENERATIONS.join(' | ')} (default current)
  --service-code <code>   legacy service code (default 4629)
  --service-edition <e>   its edition (default 2)
  --consumer / --to       CoveredBy: who received the consent (default ${TEST_IDENTITIES.consumerOrgno})
  --supplier <orgno>      HandledBy: a third party that fetched the token
Signing and output:
  --key <name>            ${FIXED_KEY_NAMES.filter((k) => k.startsWith('mp') || k === 'attacker').join(' | ')} (default mp-1; --altinn2: altinn2)
  --kid <kid>             header kid (default: the key name; --altinn2: kid = x5t = the key's thumbprint)
  --extra <json>          claims merged last ({"exp": null} removes exp)
  --quiet                 do not print the trust hint on stderr

How to trust the token: run \`consent-guard emulator\` (it publishes mp-1 on its /jwk in its default
deterministic mode) and mint with --issuer set to its issuer; or serve the output of
\`consent-guard jwks\` and configure your verifier with that JWKS URL and the --issuer you minted with.
Altinn 2 tokens verify against the emulator's /altinn2/jwk (ALTINN2_JWKS_URI), or a JWKS serving
\`consent-guard jwks --altinn2\`.
`

export async function mintCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      issuer: { type: 'string' },
      scope: { type: 'string', multiple: true },
      consumer: { type: 'string' },
      supplier: { type: 'string' },
      'delegation-source': { type: 'string' },
      aud: { type: 'string', multiple: true },
      lifetime: { type: 'string' },
      now: { type: 'string' },
      subject: { type: 'string' },
      resource: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      to: { type: 'string' },
      'consent-id': { type: 'string' },
      'valid-to': { type: 'string' },
      consented: { type: 'string' },
      'no-consent': { type: 'boolean' },
      altinn2: { type: 'boolean' },
      generation: { type: 'string' },
      'service-code': { type: 'string' },
      'service-edition': { type: 'string' },
      key: { type: 'string' },
      kid: { type: 'string' },
      extra: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    io.stdout.write(MINT_HELP)
    return 0
  }
  if (values.altinn2 === true) return mintAltinn2(values, io)
  for (const flag of ['generation', 'service-code', 'service-edition'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --altinn2`)
  }
  const env = io.env ?? process.env
  const issuer = values.issuer ?? env.MASKINPORTEN_ISSUER
  if (issuer === undefined || issuer === '')
    throw new UsageError('give --issuer (or set MASKINPORTEN_ISSUER), e.g. the issuer printed by `consent-guard emulator`')
  const scopes = splitScopes(values.scope)
  if (scopes.length === 0) throw new UsageError('give --scope, e.g. --scope example:income')
  const keyName = (values.key ?? 'mp-1') as FixedKeyName
  if (!FIXED_KEY_NAMES.includes(keyName)) throw new UsageError(`--key must be one of ${FIXED_KEY_NAMES.join(', ')}`)
  const consumer = digits('--consumer', values.consumer, [9]) ?? TEST_IDENTITIES.consumerOrgno
  const supplier = digits('--supplier', values.supplier, [9])
  const subject = digits('--subject', values.subject, [9, 11]) ?? TEST_IDENTITIES.personA
  const to = digits('--to', values.to, [9])
  const now = values.now !== undefined ? parseInstant(values.now, '--now') : new Date()
  const lifetime = parseLifetime(values.lifetime)
  const extra = parseExtra(values.extra)
  const common = {
    iss: issuer,
    scope: scopes,
    consumer,
    ...(supplier !== undefined ? { supplier } : {}),
    ...(values['delegation-source'] !== undefined ? { delegation_source: values['delegation-source'] } : {}),
    ...(values.aud !== undefined ? { aud: values.aud.length === 1 ? (values.aud[0] as string) : values.aud } : {}),
    ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
    now,
    ...(extra !== undefined ? { extra } : {}),
  }
  let claims: Record<string, unknown>
  if (values['no-consent'] === true) {
    claims = maskinportenClaims(common)
  } else {
    const from: ConsentParty = subject.length === 11 ? { person: subject } : { organization: subject }
    const metadata = parsePairs(values.metadata, '--metadata')
    claims = consentTokenClaims({
      ...common,
      consent: {
        from,
        ...(values.resource !== undefined ? { resource: values.resource } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(values['consent-id'] !== undefined ? { id: values['consent-id'] } : {}),
        ...(values['valid-to'] !== undefined ? { validTo: parseInstant(values['valid-to'], '--valid-to') } : {}),
        ...(values.consented !== undefined ? { consented: parseInstant(values.consented, '--consented') } : {}),
      },
    })
  }
  const key = await deterministicSigningKey(keyName, values.kid !== undefined ? { kid: values.kid } : {})
  const token = await new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey)
  io.stdout.write(`${token}\n`)
  if (values.quiet !== true) {
    io.stderr.write(
      `Signed with the checked-in TEST key ${keyName} (kid "${key.kid}"), iss ${issuer}. It verifies only where that key is\n` +
        `trusted: a \`consent-guard emulator\` in deterministic mode (the default) whose issuer is ${issuer},\n` +
        `or a JWKS serving \`consent-guard jwks\`. Never trust these keys outside tests.\n`,
    )
  }
  return 0
}

function digits(flag: string, value: string | undefined, lengths: number[]): string | undefined {
  if (value !== undefined && !lengths.some((n) => new RegExp(`^[0-9]{${n}}$`).test(value))) {
    throw new UsageError(`${flag} must be ${lengths.map((n) => `${n} digits`).join(' or ')}`)
  }
  return value
}

function parseLifetime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const lifetime = Number(value)
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new UsageError('--lifetime must be a positive number of seconds')
  return lifetime
}

function parseExtra(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  try {
    const parsed = JSON.parse(value) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
    // JSON has no undefined: null removes a claim.
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v === null ? undefined : v]))
  } catch {
    throw new UsageError('--extra must be a JSON object')
  }
}

type MintValues = Partial<Record<string, string | boolean | string[]>>

/** `mint --altinn2`: a legacy Altinn 2 consent token from {@link altinn2Claims}. */
async function mintAltinn2(values: MintValues, io: CliIo): Promise<number> {
  for (const flag of ['issuer', 'scope', 'aud', 'resource', 'no-consent', 'delegation-source']) {
    if (values[flag] !== undefined)
      throw new UsageError(`--${flag} is not used with --altinn2 (Altinn 2 tokens have iss altinn.no and no scope, aud or resource id)`)
  }
  const str = (flag: string): string | undefined => values[flag] as string | undefined
  const generation = (str('generation') ?? 'current') as Altinn2Generation
  if (!ALTINN2_GENERATIONS.includes(generation)) throw new UsageError(`--generation must be one of ${ALTINN2_GENERATIONS.join(', ')}`)
  const serviceCode = str('service-code') ?? '4629'
  const serviceEdition = str('service-edition') ?? '2'
  if (!/^[0-9]{1,10}$/.test(serviceCode) || !/^[0-9]{1,10}$/.test(serviceEdition))
    throw new UsageError('--service-code and --service-edition must be digits')
  const metadata = parsePairs(values.metadata as string[] | undefined, '--metadata')
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (!/^[A-Za-z0-9]{1,64}$/.test(k) || v.includes('='))
      throw new UsageError(`--metadata ${k}=${v} cannot be written in an Altinn 2 Services entry (key: letters and digits; value: no "=")`)
  }
  const offeredBy = digits('--subject', str('subject'), [9, 11]) ?? TEST_IDENTITIES.personA
  const coveredBy = digits('--to', str('to'), [9, 11]) ?? digits('--consumer', str('consumer'), [9]) ?? TEST_IDENTITIES.consumerOrgno
  const handledBy = digits('--supplier', str('supplier'), [9])
  const now = str('now') !== undefined ? parseInstant(str('now') as string, '--now') : new Date()
  const lifetime = parseLifetime(str('lifetime'))
  const extra = parseExtra(str('extra'))
  const claims = altinn2Claims({
    generation,
    services: [{ serviceCode, serviceEdition, ...(metadata !== undefined && { metadata }) }],
    offeredBy,
    coveredBy,
    ...(handledBy !== undefined && { handledBy }),
    ...(str('consent-id') !== undefined && { authorizationCode: str('consent-id') as string }),
    ...(str('valid-to') !== undefined && { validToDate: parseInstant(str('valid-to') as string, '--valid-to') }),
    ...(str('consented') !== undefined && { delegatedDate: parseInstant(str('consented') as string, '--consented') }),
    ...(lifetime !== undefined && { lifetimeSeconds: lifetime }),
    now,
    ...(extra !== undefined && { extra }),
  })
  const keyName = str('key') as FixedKeyName | undefined
  if (keyName !== undefined && !FIXED_KEY_NAMES.includes(keyName))
    throw new UsageError(`--key must be one of ${FIXED_KEY_NAMES.join(', ')}`)
  const key =
    keyName === undefined || keyName === 'altinn2' ? await defaultAltinn2Key() : altinn2SigningKey(await deterministicSigningKey(keyName))
  const kid = str('kid') ?? key.kid
  io.stdout.write(`${signAltinn2Token(key, claims, { alg: 'RS256', kid, x5t: kid, typ: 'JWT' })}\n`)
  if (values.quiet !== true) {
    io.stderr.write(
      `Altinn 2 consent token (${generation} generation), signed with the checked-in TEST key ${keyName ?? 'altinn2'} (kid = x5t "${kid}").\n` +
        'It verifies only where that key is trusted: the Altinn 2 JWKS of a `consent-guard emulator` in deterministic mode\n' +
        '(its /altinn2/jwk), or a JWKS serving `consent-guard jwks --altinn2`. Send it in the consent header beside a\n' +
        'Maskinporten token whose consumer is CoveredBy. Never trust these keys outside tests.\n',
    )
  }
  return 0
}

export const JWKS_HELP = `Usage: consent-guard jwks [--key <name>]... [--altinn2]

Prints the public JWK Set of the checked-in TEST keys (default mp-1), to serve where a verifier
should trust tokens from \`consent-guard mint\`. --altinn2: the Altinn 2 key set instead (the key
altinn2 unless --key, with kid = x5t = its thumbprint), for tokens from \`mint --altinn2\`.
`

export async function jwksCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { key: { type: 'string', multiple: true }, altinn2: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help === true) {
    io.stdout.write(JWKS_HELP)
    return 0
  }
  const altinn2 = values.altinn2 === true
  const names = (values.key ?? [altinn2 ? 'altinn2' : 'mp-1']) as FixedKeyName[]
  for (const name of names) if (!FIXED_KEY_NAMES.includes(name)) throw new UsageError(`--key must be one of ${FIXED_KEY_NAMES.join(', ')}`)
  const keys = await Promise.all(
    names.map(async (name) => (altinn2 ? altinn2SigningKey(await deterministicSigningKey(name)) : deterministicSigningKey(name))),
  )
  io.stdout.write(`${JSON.stringify({ keys: keys.map((k) => k.publicJwk) }, null, 2)}\n`)
  return 0
}
