import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** A server listening on a loopback interface, with a close that never waits for idle clients. */
export interface Listening {
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly origin: string
  readonly port: number
  /** Stops listening and destroys open sockets. Safe to call twice. */
  close(beforeClose?: () => void): Promise<void>
}

/**
 * Starts `server` on `host:port` (0 = a free port) and tracks its sockets, so tests and CLIs can
 * stop it at once even while a client holds a keep-alive connection or a slow answer is pending.
 */
export async function listen(server: Server, host: string, port = 0): Promise<Listening> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('server did not bind to a TCP port')
  let closing: Promise<void> | undefined
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    close(beforeClose) {
      closing ??= new Promise<void>((resolve) => {
        beforeClose?.()
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}
