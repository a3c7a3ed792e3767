import type { KeyRing } from '../key-ring.js'
import type { SigningKey } from '../keys.js'
import type { SandboxClient } from './api.js'
import type { ClientRegistry } from './clients.js'
import type { ConsentStore } from './consents.js'

/** The state of one running emulator, shared by its route modules. */
export interface EmulatorContext {
  /** `http://127.0.0.1:<port>`; set once the server listens. */
  origin: string
  /** `iss` of the tokens; set once the server listens. */
  issuer: string
  readonly clock: () => Date
  /** Maskinporten's keys: the signer and the keys published on `/jwk`. */
  readonly ring: KeyRing
  readonly consents: ConsentStore
  readonly clients: ClientRegistry
  /** Grant `jti`s already used, with their expiry (replay check). */
  readonly usedJtis: Map<string, number>
  readonly sandbox: { bank?: SandboxClient; other?: SandboxClient }
  readonly altinnAuth: 'token' | 'none'
  readonly delegationSource: string
  /** Access-token lifetime in seconds. */
  readonly tokenLifetime: number
  readonly altinn2Key: SigningKey
  /** Altinn 2 consent-token lifetime in seconds. */
  readonly altinn2Lifetime: number
}
