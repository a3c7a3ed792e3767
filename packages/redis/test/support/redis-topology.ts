/**
 * Test helper: replicated Redis topologies on 127.0.0.1, built from private `redis-server`
 * processes (see redis-server.ts): a primary with replicas watched by Sentinels, and a Redis
 * Cluster of primaries with one replica each. Short timeouts, so that a failover takes a few
 * seconds. Always `stop()` them (also on failure).
 */
import { Redis } from 'ioredis'
import { freePort, startRedisServer, type RedisServer } from './redis-server.js'

const HOST = '127.0.0.1'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A short-lived admin connection that never queues or retries. */
export function adminClient(port: number): Redis {
  return new Redis({ host: HOST, port, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null, lazyConnect: false })
}

async function withAdmin<T>(port: number, body: (r: Redis) => Promise<T>): Promise<T> {
  const r = adminClient(port)
  r.on('error', () => {})
  try {
    return await body(r)
  } finally {
    r.disconnect()
  }
}

/** Polls `check` every 50 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

async function stopAll(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)))
}

/** A primary, its replicas and the Sentinels that watch them. */
export interface SentinelSetup {
  /** The Sentinel master name. */
  readonly name: string
  /** `[primary, ...replicas]` as started; after a failover, see {@link currentPrimary}. */
  readonly nodes: readonly RedisServer[]
  readonly sentinels: readonly RedisServer[]
  /** `{ host, port }` of every Sentinel, for `createRedisConsentUseStore({ sentinels })`. */
  readonly sentinelAddresses: ReadonlyArray<{ host: string; port: number }>
  /** The node the Sentinels currently name as primary. */
  currentPrimary(): Promise<RedisServer>
  /** Waits until the Sentinels name another primary than `port`, it answers as master, and a replica is attached when `replicas` > 0. */
  waitForFailover(fromPort: number, timeoutMs?: number): Promise<RedisServer>
  /** Waits until `port` is a replica that is in sync with the current primary. */
  waitForReplica(server: RedisServer, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** Starts a primary, `replicas` replicas and `sentinels` Sentinels (quorum: a majority). */
export async function startSentinelSetup(options: { replicas?: number; sentinels?: number } = {}): Promise<SentinelSetup> {
  const name = 'consent-guard-test'
  const started: RedisServer[] = []
  try {
    const primary = await startRedisServer()
    started.push(primary)
    const replicas: RedisServer[] = []
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      const replica = await startRedisServer({
        args: () => ['--replicaof', HOST, String(primary.port), '--repl-ping-replica-period', '1'],
      })
      started.push(replica)
      replicas.push(replica)
    }
    const count = options.sentinels ?? 3
    const quorum = Math.floor(count / 2) + 1
    const config = [
      `sentinel monitor ${name} ${HOST} ${primary.port} ${quorum}`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 3000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n')
    const sentinels: RedisServer[] = []
    for (let i = 0; i < count; i++) {
      const sentinel = await startRedisServer({ sentinelConfig: config })
      started.push(sentinel)
      sentinels.push(sentinel)
    }
    const nodes = [primary, ...replicas]
    const byPort = (port: number): RedisServer => {
      const node = nodes.find((n) => n.port === port)
      if (node === undefined) throw new Error(`no node on port ${port}`)
      return node
    }
    const namedPrimary = async (): Promise<number> => {
      for (const sentinel of sentinels) {
        if (!sentinel.running) continue
        const reply = await withAdmin(sentinel.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).catch(() => null)
        if (Array.isArray(reply)) return Number(reply[1])
      }
      throw new Error('no sentinel answers')
    }
    const setup: SentinelSetup = {
      name,
      nodes,
      sentinels,
      sentinelAddresses: sentinels.map((s) => ({ host: HOST, port: s.port })),
      currentPrimary: async () => byPort(await namedPrimary()),
      async waitForFailover(fromPort, timeoutMs = 20_000) {
        let next: RedisServer | undefined
        await waitFor(
          'the sentinel failover',
          async () => {
            const port = await namedPrimary()
            if (port === fromPort) return false
            const role = await withAdmin(port, (r) => r.call('ROLE'))
            if (!Array.isArray(role) || role[0] !== 'master') return false
            next = byPort(port)
            return true
          },
          timeoutMs,
        )
        return next as RedisServer
      },
      async waitForReplica(server, timeoutMs = 20_000) {
        await waitFor(
          `port ${server.port} to replicate the current primary`,
          async () => {
            const primaryPort = await namedPrimary()
            const info = await withAdmin(server.port, (r) => r.info('replication'))
            return info.includes('role:slave') && info.includes(`master_port:${primaryPort}`) && info.includes('master_link_status:up')
          },
          timeoutMs,
        )
      },
      stop: () => stopAll([...sentinels, ...nodes]),
    }
    // Every Sentinel knows the replicas (they learn them from the primary's INFO, every 10 s at
    // first; the first INFO comes at once) and the other Sentinels (hello messages, every 2 s).
    await waitFor('the sentinels to see the replicas and each other', async () => {
      for (const sentinel of sentinels) {
        const master = await withAdmin(sentinel.port, (r) => r.call('SENTINEL', 'MASTER', name))
        const fields = new Map<string, string>()
        for (let i = 0; Array.isArray(master) && i < master.length; i += 2) fields.set(String(master[i]), String(master[i + 1]))
        if (Number(fields.get('num-slaves')) < replicas.length || Number(fields.get('num-other-sentinels')) < count - 1) return false
      }
      return true
    })
    for (const replica of replicas) await setup.waitForReplica(replica)
    return setup
  } catch (err) {
    await stopAll(started)
    throw err
  }
}

/** A Redis Cluster of primaries with one replica each. */
export interface ClusterSetup {
  /** Every node as started (primaries first). */
  readonly nodes: readonly RedisServer[]
  /** `{ host, port }` of every node, for `createRedisConsentUseStore({ nodes })`. */
  readonly addresses: ReadonlyArray<{ host: string; port: number }>
  /** The node currently serving `key` as primary. */
  primaryFor(key: string): Promise<RedisServer>
  /** Waits until every slot is served (`cluster_state:ok` on every running node). */
  waitUntilOk(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** Starts `primaries` primaries (default 3) with one replica each and joins them into a cluster. */
export async function startCluster(options: { primaries?: number } = {}): Promise<ClusterSetup> {
  const count = options.primaries ?? 3
  const started: RedisServer[] = []
  const busPorts = new Map<RedisServer, number>()
  try {
    for (let i = 0; i < count * 2; i++) {
      const bus = await freePort()
      const node = await startRedisServer({
        args: (port) => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-port',
          String(bus),
          '--cluster-node-timeout',
          '1000',
          '--cluster-replica-validity-factor',
          '0',
          '--cluster-allow-replica-migration',
          'no',
          '--repl-ping-replica-period',
          '1',
        ],
      })
      started.push(node)
      busPorts.set(node, bus)
    }
    const primaries = started.slice(0, count)
    const replicas = started.slice(count)
    const ids = new Map<RedisServer, string>()
    for (const node of started) ids.set(node, String(await withAdmin(node.port, (r) => r.call('CLUSTER', 'MYID'))))
    const per = Math.ceil(16384 / count)
    for (const [i, node] of primaries.entries()) {
      const end = Math.min((i + 1) * per, 16384) - 1
      await withAdmin(node.port, (r) => r.call('CLUSTER', 'ADDSLOTSRANGE', i * per, end))
    }
    const first = started[0] as RedisServer
    for (const node of started.slice(1)) {
      await withAdmin(node.port, (r) => r.call('CLUSTER', 'MEET', HOST, first.port, busPorts.get(first) as number))
    }
    await waitFor('every node to know every other', async () => {
      for (const node of started) {
        const nodes = String(await withAdmin(node.port, (r) => r.call('CLUSTER', 'NODES')))
        if (nodes.trim().split('\n').length < started.length || nodes.includes('handshake')) return false
      }
      return true
    })
    for (const [i, replica] of replicas.entries()) {
      await withAdmin(replica.port, (r) => r.call('CLUSTER', 'REPLICATE', ids.get(primaries[i] as RedisServer) as string))
    }
    const setup: ClusterSetup = {
      nodes: started,
      addresses: started.map((n) => ({ host: HOST, port: n.port })),
      async primaryFor(key) {
        for (const node of started) {
          if (!node.running) continue
          const slot = Number(await withAdmin(node.port, (r) => r.call('CLUSTER', 'KEYSLOT', key)))
          const slots = (await withAdmin(node.port, (r) => r.call('CLUSTER', 'SLOTS'))) as Array<[number, number, [string, number]]>
          const range = slots.find(([from, to]) => slot >= from && slot <= to)
          const port = range?.[2][1]
          const server = started.find((n) => n.port === port)
          if (server !== undefined) return server
        }
        throw new Error(`no node serves ${key}`)
      },
      async waitUntilOk(timeoutMs = 20_000) {
        await waitFor(
          'cluster_state:ok',
          async () => {
            for (const node of started) {
              if (!node.running) continue
              const info = String(await withAdmin(node.port, (r) => r.call('CLUSTER', 'INFO')))
              if (!info.includes('cluster_state:ok')) return false
            }
            return true
          },
          timeoutMs,
        )
      },
      stop: () => stopAll(started),
    }
    await setup.waitUntilOk()
    await waitFor('every replica in sync', async () => {
      for (const replica of replicas) {
        const info = await withAdmin(replica.port, (r) => r.info('replication'))
        if (!info.includes('master_link_status:up')) return false
      }
      return true
    })
    return setup
  } catch (err) {
    await stopAll(started)
    throw err
  }
}
