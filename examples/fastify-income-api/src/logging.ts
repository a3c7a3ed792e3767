import { loggingPreset } from '@consent-guard/core'
import type { AppConfig } from './config.js'

/** Where log lines go (stdout by default; tests pass a collector). */
export interface LogSink {
  write(line: string): unknown
}

/**
 * Pino options for Fastify: consent-guard's logging preset (request URLs with identity numbers
 * masked and tokens stripped on the decoded form too, no headers, rejections without stacks,
 * every finished line masked once more). `Fastify({ logger: true })` without it would write the
 * fødselsnummer of every request into the access log.
 */
export function loggerOptions(config: AppConfig, sink: LogSink = process.stdout) {
  return {
    ...loggingPreset({
      level: config.logLevel,
      secretHeaders: config.guard.consentHeader === undefined ? [] : [config.guard.consentHeader],
    }),
    stream: { write: (line: string) => sink.write(line) },
  }
}
