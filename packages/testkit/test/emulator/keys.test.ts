import { createConsentGuard, headersFromRecord } from '@consent-guard/core'
import { deterministicSigningKey, startEmulator, TEST_IDENTITIES, type Emulator } from '@consent-guard/testkit'
import { decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { call, fakeClock, grantToken } from './helpers.js'

const started: Emulator[] = []
async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const emu = await startEmulator(options)
  started.push(emu)
  return emu
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()))
})

async function token(emu: Emulator): Promise<string> {
  const result = await grantToken(emu, { scope: 'example:income' })
  if (!result.ok) throw new Error(JSON.stringify(result.body))
  return result.body.access_token
}

describe('key rotation', () => {
  it('publishes the new key next to the old one, signs with it, and a running guard follows', async () => {
    const clock = fakeClock()
    const emu = await start({ clock: clock.now })
    const guard = createConsentGuard({
      maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri },
      clock: clock.now,
      keys: { cooldownMs: 0 },
    })
    const route = guard.compile({ scope: 'example:income', resource: 'example-income', subject: () => TEST_IDENTITIES.personA })
    const consent = emu.consents.grant({ from: TEST_IDENTITIES.personA, to: TEST_IDENTITIES.consumerOrgno, resource: 'example-income' })
    const withConsent = async () => {
      const r = await grantToken(emu, { consent: { id: consent.id, from: consent.from } })
      if (!r.ok) throw new Error(JSON.stringify(r.body))
      return r.body.access_token
    }
    const check = (t: string) => guard.check({ headers: headersFromRecord({ authorization: `Bearer ${t}` }), request: {} }, route)

    const before = await withConsent()
    await expect(check(before)).resolves.toMatchObject({ id: consent.id })
    const next = await emu.rotateKeys()
    expect(next.kid).toBe('mp-2')
    expect(next.publicJwk).toEqual((await deterministicSigningKey('mp-2')).publicJwk)
    expect((await call(emu.jwksUri)).body.keys.map((k: { kid: string }) => k.kid)).toEqual(['mp-1', 'mp-2'])
    const after = await withConsent()
    expect(decodeProtectedHeader(after).kid).toBe('mp-2')
    // Unknown kid → the guard refetches the key set once and accepts.
    await expect(check(after)).resolves.toMatchObject({ id: consent.id })
    await expect(check(before)).resolves.toBeDefined()

    await emu.rotateKeys({ retirePrevious: true })
    expect((await call(emu.jwksUri)).body.keys.map((k: { kid: string }) => k.kid)).toEqual(['mp-3'])
    const latest = await withConsent()
    expect(decodeProtectedHeader(latest).kid).toBe('mp-3')
  })

  it('rotates over HTTP too (for an emulator started by the CLI)', async () => {
    const emu = await start()
    const res = await call(`${emu.url}/emulator/keys/rotate`, { method: 'POST' })
    expect(res.body).toEqual({ kid: 'mp-2', keys: ['mp-1', 'mp-2'] })
    expect(decodeProtectedHeader(await token(emu)).kid).toBe('mp-2')
    const retire = await call(`${emu.url}/emulator/keys/rotate?retirePrevious=true`, { method: 'POST' })
    expect(retire.body.keys).toEqual([retire.body.kid])
    expect((await call(`${emu.url}/emulator/keys/rotate`)).status).toBe(405)
  })
})

describe('deterministic test mode', () => {
  it('two emulators publish the same keys and sandbox clients; random mode does not', async () => {
    const a = await start()
    const b = await start()
    expect((await call(a.jwksUri)).body).toEqual((await call(b.jwksUri)).body)
    expect(a.sandbox.bank?.clientId).toBe(b.sandbox.bank?.clientId)
    expect(a.sandbox.bank?.key.publicJwk).toEqual((await deterministicSigningKey('client-1')).publicJwk)
    const random = await start({ deterministic: false })
    const kid = random.signer.kid
    expect(kid).not.toBe('mp-1')
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/) // RFC 7638 thumbprint, like Maskinporten's kids
  })

  it('stamps tokens with the injected clock', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1))
    const emu = await start({ clock: clock.now, tokenLifetime: 60 })
    const t = await token(emu)
    const payload = JSON.parse(Buffer.from(t.split('.')[1] as string, 'base64url').toString())
    expect(payload.iat).toBe(Date.UTC(2030, 0, 1) / 1000)
    expect(payload.exp - payload.iat).toBe(60)
  })

  it('binds to 127.0.0.1 on a free port by default, or the given port', async () => {
    const emu = await start()
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const port = Number(new URL(emu.url).port)
    await emu.close()
    const again = await start({ port })
    expect(again.url).toBe(`http://127.0.0.1:${port}`)
  })

  it('signs tokens directly for tests that skip the grant', async () => {
    const emu = await start()
    const t = await emu.consentToken({ scope: 'x', consent: { resource: 'example-income' } })
    const guard = createConsentGuard({ maskinporten: { issuer: emu.issuer, jwksUri: emu.jwksUri } })
    const route = guard.compile({ scope: 'x', resource: 'example-income', subject: () => TEST_IDENTITIES.personA })
    await expect(guard.check({ headers: headersFromRecord({ authorization: `Bearer ${t}` }), request: {} }, route)).resolves.toBeDefined()
  })
})
