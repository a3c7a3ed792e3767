import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { startEmulator, type Emulator } from '../emulator/emulator.js'
import type { ConsentResourceDefinition } from '../emulator/consents.js'
import { UsageError, type CliIo } from './common.js'

export const EMULATOR_HELP = `Usage: consent-guard emulator [options]

Starts a local Maskinporten + Altinn consent emulator (sandbox, test keys only) and prints its
issuer, JWKS URL and Altinn 2 JWKS URL. Stops on Ctrl+C / SIGTERM.

  --port <n>             port (default: a free port)
  --host <addr>          loopback address to bind (default 127.0.0.1; only loopback is allowed)
  --random-keys          sign with a freshly generated key instead of the checked-in mp-1
  --no-altinn-auth       the consent request API needs no Maskinporten token
  --token-lifetime <s>   access-token lifetime (default 120)
  --resources <file>     consent resources: {"<id>": {"metadata": ["inntektsaar"], "accessList": ["991825827"],
                         "altinn2": {"serviceCode": "4629", "serviceEdition": "2"}}} (altinn2: legacy tokens)
  --json                 print one JSON line with the URLs instead of text
`

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/** Text printed when the emulator is up. */
export function describeEmulator(emu: Emulator): string {
  const clients = Object.values(emu.sandbox)
    .map((c) => `    ${c.name.padEnd(17)} client_id ${c.clientId}  org ${c.orgno}  kid ${c.key.kid} (checked-in test key)`)
    .join('\n')
  return `consent-guard emulator (sandbox: test keys only, nothing here is real)
  issuer            ${emu.issuer}
  JWKS              ${emu.jwksUri}
  metadata          ${emu.metadataUrl}
  token endpoint    ${emu.tokenEndpoint}  (JWT-bearer grants from registered clients)
  consent requests  ${emu.consentRequestsUrl}
  consent screen    ${emu.url}/  (lists requests; each viewUri accepts/rejects/revokes)
  signing key       kid ${emu.signer.kid}
  Altinn 2 JWKS     ${emu.altinn2JwksUri}  (legacy consent tokens, iss altinn.no, kid = x5t ${emu.altinn2Key.kid})
  Altinn 2 tokens   ${emu.altinn2TokenEndpoint}/{consent id}  (GET with a Maskinporten token from here)
  sandbox clients
${clients || '    (none)'}

Point a data source at it:
  export MASKINPORTEN_ISSUER=${emu.issuer}
  export MASKINPORTEN_JWKS_URI=${emu.jwksUri}
and to accept legacy Altinn 2 tokens too (two-token mode):
  export CONSENT_TOKEN_HEADER=AltinnSamtykke
  export ALTINN2_JWKS_URI=${emu.altinn2JwksUri}
Press Ctrl+C to stop.
`
}

export async function emulatorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'random-keys': { type: 'boolean' },
      'no-altinn-auth': { type: 'boolean' },
      'token-lifetime': { type: 'string' },
      resources: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    io.stdout.write(EMULATOR_HELP)
    return 0
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port must be 0-65535')
  const host = values.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host) && !host.startsWith('127.'))
    throw new UsageError('--host must be a loopback address: the emulator trusts test keys and must not be reachable from other machines')
  let tokenLifetime: number | undefined
  if (values['token-lifetime'] !== undefined) {
    tokenLifetime = Number(values['token-lifetime'])
    if (!Number.isInteger(tokenLifetime) || tokenLifetime < 1) throw new UsageError('--token-lifetime must be a positive number of seconds')
  }
  let resources: Record<string, ConsentResourceDefinition> | undefined
  if (values.resources !== undefined) {
    try {
      resources = JSON.parse(await readFile(values.resources, 'utf8')) as Record<string, ConsentResourceDefinition>
    } catch {
      throw new UsageError(`--resources ${values.resources} is not a readable JSON file`)
    }
  }
  let emu: Emulator
  try {
    emu = await startEmulator({
      port,
      host: host === 'localhost' ? '127.0.0.1' : host,
      deterministic: values['random-keys'] !== true,
      ...(values['no-altinn-auth'] === true ? { altinnAuth: 'none' as const } : {}),
      ...(tokenLifetime !== undefined ? { tokenLifetime } : {}),
      ...(resources !== undefined ? { resources } : {}),
    })
  } catch (err) {
    // A bad resource definition (e.g. an altinn2 service code that is not digits).
    if (err instanceof TypeError && resources !== undefined) throw new UsageError(`--resources ${values.resources}: ${err.message}`)
    throw err
  }
  if (values.json === true) {
    const urls = {
      issuer: emu.issuer,
      jwksUri: emu.jwksUri,
      tokenEndpoint: emu.tokenEndpoint,
      consentRequestsUrl: emu.consentRequestsUrl,
      altinn2JwksUri: emu.altinn2JwksUri,
      altinn2TokenEndpoint: emu.altinn2TokenEndpoint,
      url: emu.url,
    }
    io.stdout.write(`${JSON.stringify(urls)}\n`)
  } else {
    io.stdout.write(describeEmulator(emu))
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    if (io.signal !== undefined) {
      if (io.signal.aborted) return resolve()
      io.signal.addEventListener('abort', stop, { once: true })
    } else {
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    }
  })
  await emu.close()
  if (values.json !== true) io.stderr.write('emulator stopped\n')
  return 0
}
