import { FIXED_TEST_KEYS, type FixedKeyName } from './fixed-keys.js'
import { deterministicSigningKey, generateSigningKey, type SigningKey } from './keys.js'

/** Options of {@link KeyRing}. */
export interface KeyRingOptions {
  /**
   * How {@link KeyRing.rotate} makes a key when none is given. `true` (default): the next unused
   * checked-in key `mp-<n>`, then generated keys with `kid: "mp-<n>"`. `false`: a generated key whose
   * `kid` is its RFC 7638 thumbprint.
   */
  readonly deterministic?: boolean
  /** Called with the published keys after every change (e.g. to update a JWKS server). */
  readonly onChange?: (published: readonly SigningKey[]) => void
}

/**
 * The published keys and the signer of a test issuer, with rotation. Shared by `createTestIssuer`
 * and the emulator so both rotate the same way (`mp-1` → `mp-2` → generated keys).
 */
export class KeyRing {
  #published: SigningKey[]
  #signer: SigningKey
  /** Every key ever used, so rotation never reuses a key id or key material. */
  readonly #history: SigningKey[]
  readonly #deterministic: boolean
  readonly #onChange: ((published: readonly SigningKey[]) => void) | undefined

  /** @throws TypeError when `initial` is empty. */
  constructor(initial: readonly SigningKey[], options: KeyRingOptions = {}) {
    const first = initial[0]
    if (first === undefined) throw new TypeError('keys must contain at least one key')
    this.#published = [...initial]
    this.#signer = first
    this.#history = [...initial]
    this.#deterministic = options.deterministic ?? true
    this.#onChange = options.onChange
  }

  /** The key that signs now. */
  get signer(): SigningKey {
    return this.#signer
  }

  /** The published keys (a copy). */
  get published(): SigningKey[] {
    return [...this.#published]
  }

  /** The published public JWKs, as a JWKS document. */
  jwks(): { keys: SigningKey['publicJwk'][] } {
    return { keys: this.#published.map((k) => k.publicJwk) }
  }

  /** Publishes a new key and makes it the signer. Old keys stay published unless `retirePrevious`. */
  async rotate(options: { key?: SigningKey; retirePrevious?: boolean } = {}): Promise<SigningKey> {
    const key = options.key ?? (await this.#nextKey())
    this.#history.push(key)
    this.#published = options.retirePrevious === true ? [key] : [...this.#published.filter((k) => k.kid !== key.kid), key]
    this.#signer = key
    this.#onChange?.(this.#published)
    return key
  }

  /** Unpublishes the key with this `kid` (the signer keeps signing). */
  remove(kid: string): void {
    this.#published = this.#published.filter((key) => key.kid !== kid)
    this.#onChange?.(this.#published)
  }

  async #nextKey(): Promise<SigningKey> {
    const kids = new Set(this.#history.map((key) => key.kid))
    let n = this.#history.length + 1
    while (kids.has(`mp-${n}`)) n += 1
    const kid = `mp-${n}`
    if (!this.#deterministic) return generateSigningKey()
    const name = kid as FixedKeyName
    const fixed = Object.hasOwn(FIXED_TEST_KEYS, name) ? FIXED_TEST_KEYS[name] : undefined
    if (fixed !== undefined && !this.#history.some((key) => key.publicJwk.n === fixed.n)) return deterministicSigningKey(name, { kid })
    return generateSigningKey({ kid })
  }
}
