import { request as httpRequest, Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import Fastify from 'fastify'
import express from 'express'
import { createTestIssuer } from '@consent-guard/testkit'
import { consentGuard } from '@consent-guard/fastify'
import { createConsentGuard as createExpressGuard } from '@consent-guard/express'

/**
 * Guarded vs unguarded routes over loopback HTTP, both frameworks, in one run: a bounded
 * keep-alive load of CONCURRENCY requests in flight for DURATION_MS per case, repeated ROUNDS
 * times in alternating order. Reports median requests/s and the added µs per request.
 */
const CONCURRENCY = 16
const DURATION_MS = 2000
const ROUNDS = 3

interface Target {
  name: string
  port: number
  path: string
  headers: Record<string, string>
}

async function load(target: Target): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  let done = 0
  const end = performance.now() + DURATION_MS
  const start = performance.now()
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: target.port, path: target.path, headers: target.headers, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${target.name}: status ${res.statusCode}`))
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', reject)
      req.end()
    })
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await one()
        done++
      }
    }),
  )
  const rate = (done * 1000) / (performance.now() - start)
  agent.destroy()
  return rate
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

export async function benchHttp(): Promise<string> {
  const issuer = await createTestIssuer()
  const servers: { close(): unknown }[] = [issuer]
  try {
    const fnr = '25922947409'
    const consent = { from: { person: fnr }, resource: 'example-income', metadata: { inntektsaar: '2024' } }
    const single = await issuer.consentToken({ scope: 'example:income', consent, lifetimeSeconds: 3600 })
    const maskinporten = { issuer: issuer.issuer, jwksUri: issuer.jwksUri }
    const requirement = {
      scope: 'example:income',
      resource: 'example-income',
      subject: (r: { params: unknown }) => (r.params as { personId: string }).personId,
      metadata: { inntektsaar: { equals: (r: { params: unknown }) => (r.params as { year: string }).year } },
    }

    const f = Fastify()
    await f.register(consentGuard, { maskinporten })
    f.get('/open/:year/:personId', async () => ({ ok: true }))
    f.get('/income/:year/:personId', { config: { consent: requirement } }, async (req) => ({ ok: true, id: req.consent?.id }))
    await f.listen({ host: '127.0.0.1', port: 0 })
    servers.push(f)
    const fport = (f.server.address() as AddressInfo).port

    const app = express()
    const guard = createExpressGuard({ maskinporten })
    app.get('/open/:year/:personId', (_req, res) => void res.json({ ok: true }))
    app.get('/income/:year/:personId', guard.require(requirement), (req, res) => void res.json({ ok: true, id: req.consent?.id }))
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    servers.push({ close: () => new Promise((r) => server.close(r)) })
    const eport = (server.address() as AddressInfo).port

    const auth = { authorization: `Bearer ${single}` }
    const targets: Target[] = [
      { name: 'fastify unguarded', port: fport, path: `/open/2024/${fnr}`, headers: auth },
      { name: 'fastify guarded', port: fport, path: `/income/2024/${fnr}`, headers: auth },
      { name: 'express unguarded', port: eport, path: `/open/2024/${fnr}`, headers: auth },
      { name: 'express guarded', port: eport, path: `/income/2024/${fnr}`, headers: auth },
    ]
    for (const t of targets) await load({ ...t }) // warm-up, and proves every route answers 200
    const rates = new Map<string, number[]>(targets.map((t) => [t.name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse()
      for (const t of order) rates.get(t.name)?.push(await load(t))
    }
    const m = (name: string) => median(rates.get(name) ?? [])
    const rows = [
      '| framework | unguarded req/s | guarded req/s | guarded ÷ unguarded | added µs per request |',
      '|---|---:|---:|---:|---:|',
    ]
    for (const fw of ['fastify', 'express']) {
      const u = m(`${fw} unguarded`)
      const g = m(`${fw} guarded`)
      rows.push(
        `| ${fw} | ${Math.round(u).toLocaleString('en')} | ${Math.round(g).toLocaleString('en')} | ${(g / u).toFixed(2)} | ${(1e6 / g - 1e6 / u).toFixed(0)} |`,
      )
    }
    return `${CONCURRENCY} in flight, ${DURATION_MS} ms per case, median of ${ROUNDS} rounds; client and server share the machine.\n\n${rows.join('\n')}`
  } finally {
    for (const s of servers.reverse()) await s.close()
  }
}
