import { maskIdentityNumbers, redactUrlForLog } from '@consent-guard/core'
import type { FastifyRequest } from 'fastify'
import type { AppConfig } from './config.js'

/** Where log lines go (stdout by default; tests pass a collector). */
export interface LogSink {
  write(line: string): unknown
}

/**
 * Pino options for Fastify. Three layers keep fødselsnumre and tokens out of the logs:
 * 1. the request serializer logs method, URL (identity numbers masked, `access_token` values redacted) and address, never headers;
 * 2. `redact` blanks the credential headers should anyone log headers anyway;
 * 3. every finished line passes through `maskIdentityNumbers` before it is written, which also
 *    covers messages and error texts that quote a URL.
 */
export function loggerOptions(config: AppConfig, sink: LogSink = process.stdout) {
  const headerPaths = ['authorization', ...(config.consentHeader ? [config.consentHeader.toLowerCase()] : [])].map(
    (h) => `req.headers["${h}"]`,
  )
  return {
    level: config.logLevel,
    redact: { paths: headerPaths, censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactUrlForLog(request.url), remoteAddress: request.ip }),
    },
    stream: { write: (line: string) => sink.write(maskIdentityNumbers(line)) },
  }
}
