import { describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage } from 'node:http'
import { headersFromNodeRequest } from '@consent-guard/core'

// Issue 11 #4: a header list that reached Node's maxHeadersCount may be missing lines.
const raw = (lines: number) => Array.from({ length: lines }, (_, i) => [`F${i}`, 'v']).flat()
const req = (lines: number, maxHeadersCount?: number | null) => ({
  rawHeaders: raw(lines),
  ...(maxHeadersCount !== undefined && { socket: { server: { maxHeadersCount } } }),
})

describe('headersFromNodeRequest marks a header list at Node limit as truncated', () => {
  it.each<[number, number | null | undefined, boolean]>([
    [999, undefined, false],
    [1_000, undefined, true],
    [999, null, false], // Node's default: maxHeadersCount unset, 2 000 raw entries
    [1_000, null, true],
    [9, 10, false],
    [10, 10, true],
    [5_000, 0, false], // 0 = no limit in Node
  ])('%i lines, maxHeadersCount %s → truncated %s', (lines, max, truncated) => {
    expect(headersFromNodeRequest(req(lines, max)).truncated).toBe(truncated)
  })

  it("reads the limit from a real server's maxHeadersCount", { timeout: 5_000 }, async () => {
    const server = createServer()
    server.maxHeadersCount = 20
    const truncated: boolean[] = []
    server.on('request', (r: IncomingMessage, res) => {
      truncated.push(headersFromNodeRequest(r).truncated === true)
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const send = (lines: number) =>
      new Promise<void>((resolve, reject) => {
        const headers = Object.fromEntries(Array.from({ length: lines }, (_, i) => [`f${i}`, 'v']))
        request({ host: '127.0.0.1', port, headers, agent: false }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end()
      })
    await send(5) // 7 lines with Host and Connection
    await send(18) // 20 lines: at the limit (Node 24 refuses more itself with 431)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    expect(truncated).toEqual([false, true])
  })
})
