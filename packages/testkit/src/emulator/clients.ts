import { randomUUID } from 'node:crypto'
import { importJWK, type JWK } from 'jose'
import { isValidOrgno, isUuid } from './identifiers.js'
import { toPublicJwk, type SigningKey } from '../keys.js'

/** `Array.isArray` without narrowing a typed value to `any[]`: registrations may come from JSON as anything. */
const isArray = (value: unknown): boolean => Array.isArray(value)

/**
 * How a client is registered with the emulator, like a Maskinporten client in Samarbeidsportalen:
 * its id, the public key(s) its JWT grants are signed with, the organisation it belongs to and the
 * scopes it has been granted.
 */
export interface ClientRegistration {
  /** Maskinporten `client_id` (the grant's `iss`). Default: a random UUID. */
  readonly clientId?: string
  /** Organisation number of the client's owner: the token's `consumer` (or `supplier` with `consumer_org`). */
  readonly orgno: string
  /**
   * Public keys of the client, each with a `kid` (the grant header names it). A {@link SigningKey}
   * registers its public half. Private members of a JWK are refused.
   */
  readonly keys: readonly (JWK | SigningKey)[]
  /**
   * Scopes the client may request. `'*'` allows any scope (the sandbox clients use it). Default
   * `'*'`.
   */
  readonly scopes?: readonly string[] | '*'
  /**
   * Organisations that have delegated their scopes to this client's organisation in Altinn
   * (the client may then send `consumer_org` with one of them and act as their supplier).
   */
  readonly delegatedBy?: readonly string[]
  /** A label shown in listings. */
  readonly name?: string
}

/** A registered client. */
export interface RegisteredClient {
  readonly clientId: string
  readonly orgno: string
  readonly name: string | undefined
  readonly scopes: readonly string[] | '*'
  readonly delegatedBy: readonly string[]
  /** Public JWKs by `kid`. */
  readonly keys: ReadonlyMap<string, JWK>
}

/** Public view of a client, as `GET /emulator/clients` lists it. */
export interface ClientSummary {
  readonly client_id: string
  readonly orgno: string
  readonly name?: string
  readonly scopes: readonly string[] | '*'
  readonly delegated_by: readonly string[]
  readonly kids: readonly string[]
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/
const KID = /^[A-Za-z0-9._:-]{1,128}$/

function isSigningKey(value: JWK | SigningKey): value is SigningKey {
  return typeof value === 'object' && value !== null && 'publicJwk' in value && 'privateKey' in value
}

/** The emulator's client register. Clients not registered here cannot get tokens. */
export class ClientRegistry {
  readonly #clients = new Map<string, RegisteredClient>()

  /**
   * Registers (or replaces) a client. Validates the organisation number (mod 11), the scopes and
   * the keys; a JWK must be a public RSA key with a `kid` (Maskinporten grants use RS256/384/512).
   *
   * @throws TypeError with a message naming the bad field.
   */
  async register(registration: ClientRegistration): Promise<RegisteredClient> {
    const clientId = registration.clientId ?? randomUUID()
    if (typeof clientId !== 'string' || clientId === '' || clientId.length > 256) throw new TypeError('clientId must be a non-empty string')
    if (typeof registration.orgno !== 'string' || !isValidOrgno(registration.orgno)) {
      throw new TypeError(`orgno ${JSON.stringify(registration.orgno)} is not a valid 9-digit organisation number`)
    }
    const scopes = registration.scopes ?? '*'
    if (scopes !== '*') {
      if (!isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
        throw new TypeError('scopes must be "*" or an array of scope strings')
      }
    }
    const delegatedBy = registration.delegatedBy ?? []
    if (!isArray(delegatedBy) || !delegatedBy.every((o) => typeof o === 'string' && isValidOrgno(o))) {
      throw new TypeError('delegatedBy must be an array of valid organisation numbers')
    }
    if (!isArray(registration.keys) || registration.keys.length === 0) throw new TypeError('keys must list at least one public key')
    const keys = new Map<string, JWK>()
    for (const entry of registration.keys) {
      const jwk = isSigningKey(entry) ? { ...entry.publicJwk } : entry
      if (typeof jwk !== 'object' || jwk === null) throw new TypeError('keys must be JWK objects')
      if (!isSigningKey(entry) && PRIVATE_MEMBERS.some((m) => m in jwk)) {
        throw new TypeError('keys must be public JWKs: register the public half only')
      }
      if (jwk.kty !== 'RSA') throw new TypeError('keys must be RSA keys (Maskinporten grants are RS256, RS384 or RS512)')
      if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid)) throw new TypeError('every key needs a kid')
      if (keys.has(jwk.kid)) throw new TypeError(`kid ${JSON.stringify(jwk.kid)} is registered twice`)
      try {
        await importJWK({ ...toPublicJwk(jwk), alg: 'RS256' }, 'RS256')
      } catch {
        throw new TypeError(`key ${JSON.stringify(jwk.kid)} is not a usable RSA public key`)
      }
      keys.set(jwk.kid, Object.freeze(toPublicJwk(jwk)))
    }
    const client: RegisteredClient = Object.freeze({
      clientId,
      orgno: registration.orgno,
      name: registration.name,
      scopes: scopes === '*' ? '*' : Object.freeze([...scopes]),
      delegatedBy: Object.freeze([...delegatedBy]),
      keys,
    })
    this.#clients.set(clientId, client)
    return client
  }

  /** The client with this id, if registered. */
  get(clientId: string): RegisteredClient | undefined {
    return this.#clients.get(clientId)
  }

  /** Removes a client; later grants from it are refused with `invalid_client`. */
  remove(clientId: string): boolean {
    return this.#clients.delete(clientId)
  }

  /** All registered clients. */
  list(): RegisteredClient[] {
    return [...this.#clients.values()]
  }

  /** Listing without key material beyond the `kid`s. */
  summaries(): ClientSummary[] {
    return this.list().map(summarize)
  }
}

export function summarize(client: RegisteredClient): ClientSummary {
  return {
    client_id: client.clientId,
    orgno: client.orgno,
    ...(client.name !== undefined ? { name: client.name } : {}),
    scopes: client.scopes,
    delegated_by: client.delegatedBy,
    kids: [...client.keys.keys()],
  }
}

/** Reads a registration from a JSON body (`POST /emulator/clients`). */
export function registrationFromJson(body: Record<string, unknown>): ClientRegistration {
  const jwks = body.jwks
  const keys =
    typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as { keys?: unknown }).keys)
      ? ((jwks as { keys: unknown[] }).keys as JWK[])
      : Array.isArray(body.keys)
        ? (body.keys as JWK[])
        : body.jwk !== undefined
          ? [body.jwk as JWK]
          : []
  const clientId = body.client_id
  if (clientId !== undefined && typeof clientId !== 'string') throw new TypeError('client_id must be a string')
  if (clientId !== undefined && clientId.length > 0 && !isUuid(clientId) && !/^[A-Za-z0-9._:-]{1,128}$/.test(clientId)) {
    throw new TypeError('client_id must be a UUID or a simple identifier')
  }
  const scopes =
    body.scopes === '*'
      ? '*'
      : typeof body.scopes === 'string'
        ? body.scopes.split(' ').filter(Boolean)
        : (body.scopes as string[] | undefined)
  return {
    ...(clientId !== undefined ? { clientId } : {}),
    orgno: body.orgno as string,
    keys,
    ...(scopes !== undefined ? { scopes } : {}),
    ...(body.delegated_by !== undefined ? { delegatedBy: body.delegated_by as string[] } : {}),
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
  }
}
