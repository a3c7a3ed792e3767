import type { IncomingMessage } from 'node:http'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { parseIso6523 } from '@consent-guard/core/pipeline'
import { ALTINN_CONSENT_SCOPES } from './api.js'
import type { ConsentActor } from './consents.js'
import type { EmulatorContext } from './context.js'
import { ProblemError } from './http.js'

/** The caller of an Altinn API, from its Maskinporten token. */
export interface AltinnCaller {
  readonly orgno: string
  readonly supplier?: string
  readonly scopes: string[]
}

/** The caller of an Altinn API: a valid Maskinporten token from this emulator (any scope). */
export async function caller(ctx: EmulatorContext, req: IncomingMessage): Promise<AltinnCaller> {
  const auth = req.headers.authorization
  const match = auth === undefined ? null : /^Bearer ([A-Za-z0-9._-]+)$/.exec(auth)
  if (match === null)
    throw new ProblemError(
      401,
      'Unauthorized',
      'A Maskinporten token from this emulator is required (Authorization: Bearer)',
      undefined,
      'unauthenticated',
    )
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(match[1] as string, createLocalJWKSet(ctx.ring.jwks()), {
      issuer: ctx.issuer,
      algorithms: ['RS256', 'RS384', 'RS512'],
      currentDate: ctx.clock(),
    }))
  } catch {
    throw new ProblemError(401, 'Unauthorized', 'The token is not a valid token from this emulator', undefined, 'invalid_token')
  }
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
  const consumer = parseIso6523(payload.consumer)
  if (consumer === undefined) throw new ProblemError(401, 'Unauthorized', 'The token has no consumer', undefined, 'invalid_token')
  const supplier = payload.supplier === undefined ? undefined : parseIso6523(payload.supplier)
  return { orgno: consumer, ...(supplier !== undefined ? { supplier } : {}), scopes }
}

/**
 * Authenticates a call of the consent request API: `write` needs `altinn:consentrequests.write`,
 * `read` either scope. Undefined with `altinnAuth: 'none'`.
 */
export async function authenticate(
  ctx: EmulatorContext,
  req: IncomingMessage,
  needed: 'read' | 'write',
): Promise<ConsentActor | undefined> {
  if (ctx.altinnAuth === 'none') return undefined
  const { orgno, supplier, scopes } = await caller(ctx, req)
  const ok =
    needed === 'write'
      ? scopes.includes(ALTINN_CONSENT_SCOPES.write)
      : scopes.includes(ALTINN_CONSENT_SCOPES.read) || scopes.includes(ALTINN_CONSENT_SCOPES.write)
  if (!ok)
    throw new ProblemError(
      403,
      'Forbidden',
      `The token lacks the scope ${needed === 'write' ? ALTINN_CONSENT_SCOPES.write : ALTINN_CONSENT_SCOPES.read}`,
      undefined,
      'insufficient_scope',
    )
  return { orgno, ...(supplier !== undefined ? { supplier } : {}), mayRequestForOthers: scopes.includes(ALTINN_CONSENT_SCOPES.org) }
}
