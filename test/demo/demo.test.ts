import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// `pnpm demo` (scripts/demo.ts) plays the consent flow against the testkit's emulator and both
// example APIs. How long it takes depends on the machine, so only the outcomes are checked.
const REPO = fileURLToPath(new URL('../../', import.meta.url))

function pnpmDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['demo'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('pnpm demo', () => {
  it('plays the whole flow against the emulator and both example APIs, and exits 0', { timeout: 60_000 }, async () => {
    const result = await pnpmDemo()
    expect(result.stderr).not.toMatch(/DEMO FAILED/)
    expect(result.stdout).not.toMatch(/DEMO FAILED/)
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    const rows = lines.filter((l) => /^(ok|!!) {2}/.test(l))
    expect(rows.length).toBeGreaterThanOrEqual(30)
    expect(rows.every((l) => l.startsWith('ok'))).toBe(true)
    for (const code of [
      'consent_metadata_mismatch',
      'consent_subject_mismatch',
      'consent_not_for_consumer',
      'consumer_not_allowed',
      'consent_expired',
      'consent_already_used',
      'token_signature_invalid',
      'consent_revoked',
    ]) {
      expect(result.stdout).toContain(code)
    }
    // Both data sources answered with data.
    expect(rows.filter((l) => /^ok {2}(Fastify|Express) +GET \/income\/\d{4}\/\S+ +→ {2}200/.test(l))).toHaveLength(2)
    // The same consent as a legacy Altinn 2 token from the emulator, accepted in two-token mode.
    expect(rows.some((l) => /^ok {2}Altinn 2 +GET \/api\/authorization\/token\/\{id\} +→ {2}200/.test(l))).toBe(true)
    expect(
      rows.some((l) => /^ok {2}Fastify 2-token +GET \/income\/\d{4}\/\S+ +→ {2}200 .*Altinn 2 token beside a Maskinporten token/.test(l)),
    ).toBe(true)
    // No person id is printed in clear.
    expect(result.stdout).not.toMatch(/(?<![0-9])25922947409(?![0-9])/)
    expect(result.stdout).toMatch(/All \d+ outcomes matched/)
  })
})
