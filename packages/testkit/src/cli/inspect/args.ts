import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { parseInstant, parsePairs, splitScopes, UsageError } from '../common.js'
import { parseRouteConfig, type RouteConfig } from '../route-config.js'

export const INSPECT_HELP = `Usage: consent-guard inspect <token | -> [options]

Decodes a Maskinporten consent token (UNVERIFIED unless --jwks-uri) and explains, rule by rule,
whether it would pass a route's requirement, and why not. The consent conditions are judged by
@consent-guard/core's own explainConsents, and the verdict comes from the core guard itself.
Legacy Altinn 2 consent tokens (iss altinn.no) are judged as in two-token mode. Reads the token
from stdin when it is "-".

Requirement (a JSON file, flags override it):
  --route-config <file>  {"issuer","scope","resource","subject","metadata":{"inntektsaar":"2024"},
                         "period":{"start","end","from","to"},"consumers":[...],"oneTime",...}
                         Altinn 2: "altinn2":{"serviceCode","serviceEdition"}, and optionally
                         "accessToken":{"consumer","supplier","scope"} (default: CoveredBy, HandledBy)
  --issuer <url>         expected iss
  --scope <scope>        required scope(s)
  --resource <id>        consent resource id the route requires
  --subject <id>         person id / orgno the request asks about
  --metadata k=v         metadata value the request requires (repeatable)
  --consumer <orgno>     consumer allow-list entry (repeatable)
  --one-time             the route is one-time
Evaluation:
  --at <iso|epoch>       evaluate at this time (default: now)
  --jwks-uri <url>       verify the signature with this key set (Altinn 2 tokens: Altinn 2's)
Output:
  --json                 machine-readable report
  --show-pii             print person ids unmasked (masked by default)
Exit code: 0 would pass, 1 would be rejected, 2 usage error.
`

/** What one `inspect` invocation asks for. */
export interface InspectArgs {
  readonly help: boolean
  /** The token, or `-` for stdin. */
  readonly token: string
  readonly config: RouteConfig | undefined
  /** Where the requirement came from (a file name, or the flags), for the report's heading. */
  readonly source: string | undefined
  readonly at: Date | undefined
  readonly jwksUri: string | undefined
  readonly json: boolean
  readonly showPii: boolean
}

/** Parses the command line; the route config file and the flags merge (flags win). */
export async function parseInspectArgs(argv: readonly string[]): Promise<InspectArgs> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      'route-config': { type: 'string' },
      issuer: { type: 'string' },
      scope: { type: 'string', multiple: true },
      resource: { type: 'string' },
      subject: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      consumer: { type: 'string', multiple: true },
      'one-time': { type: 'boolean' },
      at: { type: 'string' },
      'jwks-uri': { type: 'string' },
      json: { type: 'boolean' },
      'show-pii': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const json = values.json === true
  const showPii = values['show-pii'] === true
  if (values.help === true) {
    return { help: true, token: '', config: undefined, source: undefined, at: undefined, jwksUri: undefined, json, showPii }
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one token (or "-" to read it from stdin)')

  let base: Record<string, unknown> = {}
  let source: string | undefined
  if (values['route-config'] !== undefined) {
    let text: string
    try {
      text = await readFile(values['route-config'], 'utf8')
    } catch {
      throw new UsageError(`cannot read --route-config ${values['route-config']}`)
    }
    try {
      base = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new UsageError(`--route-config ${values['route-config']} is not valid JSON`)
    }
    source = values['route-config']
  }
  const flags: Record<string, unknown> = {}
  if (values.issuer !== undefined) flags.issuer = values.issuer
  const scopes = splitScopes(values.scope)
  if (scopes.length > 0) flags.scope = scopes.length === 1 ? scopes[0] : { all: scopes }
  if (values.resource !== undefined) flags.resource = values.resource
  if (values.subject !== undefined) flags.subject = values.subject
  const metadata = parsePairs(values.metadata, '--metadata')
  if (metadata !== undefined) flags.metadata = { ...(base.metadata ?? {}), ...metadata }
  if (values.consumer !== undefined) flags.consumers = values.consumer
  if (values['one-time'] === true) flags.oneTime = true
  const merged = { ...base, ...flags }
  let config: RouteConfig | undefined
  if (Object.keys(merged).length > 0) {
    config = parseRouteConfig(merged, source ?? 'requirement flags')
    source ??= 'the requirement flags'
  }
  return {
    help: false,
    token: positionals[0] as string,
    config,
    source,
    at: values.at !== undefined ? parseInstant(values.at, '--at') : undefined,
    jwksUri: values['jwks-uri'],
    json,
    showPii,
  }
}
