import { isConsentGuardError } from '../errors.js'
import { redactHeadersForLog, redactLogLine, redactUrlForLog, type RedactOptions } from './redact.js'

/** Options of {@link loggingPreset}. */
export interface LoggingPresetOptions extends RedactOptions {
  /** Pino level. Default `info`. */
  readonly level?: string
  /** Headers whose values are secrets besides `Authorization`, `Cookie` (e.g. `AltinnSamtykke`). */
  readonly secretHeaders?: readonly string[]
  /** Request headers to write into the access log, sanitized (e.g. `['user-agent']`). Default none. */
  readonly logHeaders?: readonly string[]
}

/** A request as Fastify's logger or pino-http's serializer hands it over. */
interface LoggedRequest {
  readonly id?: unknown
  readonly method?: string
  readonly url?: string
  readonly originalUrl?: string
  readonly ip?: string
  readonly remoteAddress?: string
  readonly correlationId?: unknown
  readonly headers?: Record<string, string | string[] | undefined>
  readonly raw?: LoggedRequest
}

/** Pino options (`level`, `serializers`, `redact`, `hooks`) that keep personal data and tokens out of logs. */
export interface LoggingPreset {
  readonly level: string
  /**
   * `req` (Fastify's request or pino-http's serialized request), `res`, `err`. Typed loosely so one
   * object fits both Fastify's and pino-http's serializer types.
   */
  readonly serializers: {
    readonly req: (req: any) => any // eslint-disable-line @typescript-eslint/no-explicit-any
    readonly res: (res: any) => any // eslint-disable-line @typescript-eslint/no-explicit-any
    readonly err: (err: any) => any // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  readonly redact: { readonly paths: string[]; readonly censor: string }
  readonly hooks: { readonly streamWrite: (line: string) => string }
}

/**
 * Pino options for Fastify's `logger` option and for pino-http, so that no log line carries an
 * identity number or a token:
 * - `req`: method, URL through {@link redactUrlForLog} (decoded form too), id, remote address,
 *   correlation id; headers only when listed in `logHeaders`, and then sanitized;
 * - `err`: a `ConsentGuardError` as `{ type, code, statusCode, message }` (no stack: a rejection is
 *   no fault); other errors with message and stack redacted; never a jose error's claims;
 * - `redact`: credential headers, should anything log raw headers;
 * - `hooks.streamWrite`: every finished line masked once more (11+ digit runs, tokens, also
 *   percent-encoded), which also covers messages that quote a URL.
 *
 * `Fastify({ logger: true })` without it writes the fødselsnummer of every request into the
 * access log.
 *
 * @example
 * const app = Fastify({ logger: loggingPreset({ secretHeaders: ['AltinnSamtykke'] }) })
 * app.use(pinoHttp(loggingPreset()))
 */
export function loggingPreset(options: LoggingPresetOptions = {}): LoggingPreset {
  const secret = ['authorization', 'proxy-authorization', 'cookie', ...(options.secretHeaders ?? []).map((h) => h.toLowerCase())]
  const logHeaders = (options.logHeaders ?? []).map((h) => h.toLowerCase())
  const redactOptions: RedactOptions = { maskOrganizationNumbers: options.maskOrganizationNumbers === true }
  return {
    level: options.level ?? 'info',
    serializers: {
      req(req: LoggedRequest) {
        const raw = req.raw
        const url = req.originalUrl ?? req.url ?? raw?.url ?? ''
        const correlationId = req.correlationId ?? raw?.correlationId
        const out: Record<string, unknown> = {
          ...(req.id !== undefined && { id: req.id }),
          method: req.method,
          url: redactUrlForLog(String(url), redactOptions),
          remoteAddress: req.ip ?? req.remoteAddress,
          ...(typeof correlationId === 'string' && { correlationId }),
        }
        const headers = req.headers ?? raw?.headers
        if (logHeaders.length > 0 && headers !== undefined) {
          const picked = Object.fromEntries(logHeaders.map((h) => [h, headers[h]]))
          out.headers = redactHeadersForLog(picked, secret, redactOptions)
        }
        return out
      },
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: serializeErrorForLog,
    },
    redact: {
      paths: secret.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]),
      censor: '[redacted]',
    },
    hooks: { streamWrite: redactLogLine },
  }
}

/**
 * Serializes an error for a log line. A `ConsentGuardError` is a decision, not a fault: its
 * code and status, no stack. A jose error (code `ERR_J...`) only by name and code, since it can
 * carry the token's claims. Anything else with message and stack redacted.
 */
export function serializeErrorForLog(err: unknown): Record<string, unknown> {
  if (isConsentGuardError(err)) return { type: 'ConsentGuardError', code: err.code, statusCode: err.statusCode, message: err.message }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_J')) return { type: err.name, code }
    const statusCode = (err as { statusCode?: unknown }).statusCode
    return {
      type: err.name,
      message: redactLogLine(err.message),
      ...(typeof code === 'string' && { code }),
      ...(typeof statusCode === 'number' && { statusCode }),
      ...(err.stack !== undefined && { stack: redactLogLine(err.stack) }),
    }
  }
  return { type: typeof err, message: redactLogLine(String(err)) }
}
