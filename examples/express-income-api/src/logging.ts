import { maskIdentityNumbers } from '@consent-guard/core'
import { pino, type Logger } from 'pino'
import type { AppConfig } from './config.js'

/** Where log lines go (stdout by default; tests pass a collector). */
export interface LogSink {
  write(line: string): unknown
}

/**
 * The app's pino logger. Three layers keep fødselsnumre and tokens out of the logs:
 * 1. the access log's request serializer (see app.ts) logs method, URL (identity numbers masked, `access_token` values redacted) and address, never headers;
 * 2. `redact` blanks the credential headers should anyone log headers anyway;
 * 3. every finished line passes through `maskIdentityNumbers` before it is written, which also
 *    covers messages and error texts that quote a URL.
 */
export function createLogger(config: AppConfig, sink: LogSink = process.stdout): Logger {
  const headerPaths = ['authorization', ...(config.consentHeader ? [config.consentHeader.toLowerCase()] : [])].map(
    (h) => `req.headers["${h}"]`,
  )
  return pino(
    { level: config.logLevel, redact: { paths: headerPaths, censor: '[redacted]' } },
    { write: (line: string) => sink.write(maskIdentityNumbers(line)) },
  )
}
