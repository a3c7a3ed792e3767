import { loggingPreset } from '@consent-guard/core'
import { pino, type Logger } from 'pino'
import type { AppConfig } from './config.js'

/** Where log lines go (stdout by default; tests pass a collector). */
export interface LogSink {
  write(line: string): unknown
}

/**
 * The app's pino logger with consent-guard's logging preset: request URLs with identity numbers
 * masked and tokens stripped on the decoded form too, no headers, rejections without stacks,
 * every finished line masked once more. pino-http takes the same serializers (see app.ts).
 */
export function createLogger(config: AppConfig, sink: LogSink = process.stdout): Logger {
  return pino(logPreset(config), { write: (line: string) => sink.write(line) })
}

/** The preset for this app's configuration. */
export function logPreset(config: AppConfig) {
  return loggingPreset({
    level: config.logLevel,
    secretHeaders: config.guard.consentHeader === undefined ? [] : [config.guard.consentHeader],
  })
}
