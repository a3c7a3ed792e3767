import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import {
  ConsentGuardError,
  decodedForms,
  loggingPreset,
  maskIdentityNumbers,
  redactHeadersForLog,
  redactLogLine,
  redactUrlForLog,
  serializeErrorForLog,
} from '@consent-guard/core'
import { FNR_A, FNR_B } from './support.js'

// A JWT-shaped value (header.payload.signature), as a client could paste into a URL.
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl'
const pct = (s: string) => [...s].map((c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('')

describe('log redaction on the decoded form', () => {
  it('masks a fødselsnummer sent percent-encoded, fully or after an encoded character', () => {
    for (const url of [`/income/2024/${pct(FNR_A)}`, `/income/2024/%20${FNR_A}`, `/x?p=%20${pct(FNR_A)}`, `/x?p=${pct('%' + FNR_A)}`]) {
      const out = redactUrlForLog(url)
      expect(out, url).not.toContain(FNR_A)
      for (const form of decodedForms(out)) expect(form, url).not.toContain(FNR_A)
      expect(out, url).toContain('***********')
    }
  })
  it('masks an 11-digit run inside a longer digit run', () => {
    expect(redactUrlForLog(`/income/2024/00${FNR_A}`)).toBe('/income/2024/*************')
    expect(maskIdentityNumbers(`x=9${FNR_B}9`)).toBe('x=*************')
    expect(maskIdentityNumbers('/company/991825827/accounts')).toBe('/company/991825827/accounts')
  })
  it('never logs a JWT-shaped value anywhere in the URL: query value with %2E dots, path segment, query name', () => {
    const dotted = TOKEN.replace(/\./g, '%2E')
    for (const url of [`/x?note=${dotted}`, `/x/${TOKEN}/y`, `/x/${dotted}`, `/x?${TOKEN}=1`, `/x?a=${pct(TOKEN)}`]) {
      const out = redactUrlForLog(url)
      expect(out, url).toContain('[redacted]')
      for (const part of TOKEN.split('.')) expect(out, url).not.toContain(part)
    }
    expect(redactUrlForLog('/x/y?year=2024&from=2024-01')).toBe('/x/y?year=2024&from=2024-01')
  })
  it('keeps a malformed escape without throwing, masking what is recoverable', () => {
    expect(redactUrlForLog(`/x/%E0%A4%A/${FNR_A}`)).toBe('/x/%E0%A4%A/***********')
    expect(redactUrlForLog(`/x/%ZZ${pct(FNR_A)}`)).not.toContain(FNR_A)
  })
  it('masks organisation numbers only when asked', () => {
    expect(redactUrlForLog('/company/991825827/accounts')).toBe('/company/991825827/accounts')
    expect(redactUrlForLog('/company/991825827/accounts', { maskOrganizationNumbers: true })).toBe('/company/*********/accounts')
  })
  it('redacts a whole log line, also percent-encoded forms, and spares pino time stamps', () => {
    const line = JSON.stringify({
      time: 1784361435000,
      responseTime: 1.2345678901234567,
      msg: `failed for ${pct(FNR_A)} and ${FNR_B} with ${TOKEN.replace(/\./g, '%2E')}`,
    })
    const out = redactLogLine(line)
    expect(JSON.parse(out)).toMatchObject({ time: 1784361435000, responseTime: 1.2345678901234567 })
    for (const secret of [FNR_A, FNR_B, pct(FNR_A), TOKEN.split('.')[2] as string]) expect(out).not.toContain(secret)
  })
  it('keeps consent ids (UUIDs) whole, even when their last group holds 11 digits in a row', () => {
    const line = '{"consentId":"eed848c2-c78f-47b7-b863-25922947409b","url":"/x/25922947409"}'
    expect(redactLogLine(line)).toBe('{"consentId":"eed848c2-c78f-47b7-b863-25922947409b","url":"/x/***********"}')
  })

  it('redacts headers: credentials blanked, others masked', () => {
    expect(
      redactHeadersForLog({ authorization: `Bearer ${TOKEN}`, AltinnSamtykke: TOKEN, referer: `https://x/${pct(FNR_A)}` }, [
        'altinnsamtykke',
      ]),
    ).toEqual({ authorization: '[redacted]', altinnsamtykke: '[redacted]', referer: 'https://x/***********' })
  })
})

describe('loggingPreset', () => {
  function logger(options = {}) {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    return { log: pino(loggingPreset(options), sink), lines: () => lines.join('') }
  }
  it('serializes a ConsentGuardError as one safe line without stack', () => {
    const { log, lines } = logger()
    log.info({ err: new ConsentGuardError('token_expired') }, 'rejected')
    const record = JSON.parse(lines()) as { err: Record<string, unknown>; level: number }
    expect(record.err).toEqual({ type: 'ConsentGuardError', code: 'token_expired', statusCode: 401, message: 'The token has expired' })
    expect(record.level).toBe(30)
  })
  it('never writes a jose error object (which carries claims)', () => {
    const joseLike = Object.assign(new Error('"exp" claim timestamp check failed'), {
      code: 'ERR_JWT_EXPIRED',
      payload: { sub: FNR_A, authorization_details: [{ from: FNR_A }] },
    })
    expect(serializeErrorForLog(joseLike)).toEqual({ type: 'Error', code: 'ERR_JWT_EXPIRED' })
  })
  it('masks identity numbers and tokens in request URLs, messages and stacks; headers only when listed', () => {
    const { log, lines } = logger({ logHeaders: ['user-agent', 'authorization'], secretHeaders: ['AltinnSamtykke'] })
    log.info(
      {
        req: {
          id: 'r1',
          method: 'GET',
          url: `/income/2023/${pct(FNR_A)}?t=${TOKEN}`,
          headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': `bank ${FNR_B}`, altinnsamtykke: TOKEN },
        },
      },
      'request',
    )
    log.error({ err: new Error(`lookup of ${FNR_A} failed`) }, `msg ${FNR_B}`)
    const text = lines()
    for (const secret of [FNR_A, FNR_B, pct(FNR_A), TOKEN.split('.')[1] as string]) expect(text).not.toContain(secret)
    const first = JSON.parse(text.split('\n')[0] as string) as { req: Record<string, unknown> }
    expect(first.req).toEqual({
      id: 'r1',
      method: 'GET',
      url: '/income/2023/***********?t=[redacted]',
      headers: { 'user-agent': 'bank ***********', authorization: '[redacted]' },
    })
  })
})
