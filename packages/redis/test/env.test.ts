import { describe, expect, it } from 'vitest'
import { redisStoreOptionsFromEnv } from '@consent-guard/redis'

describe('redisStoreOptionsFromEnv', () => {
  it('no Redis variable: undefined (the guard keeps its in-memory store)', () => {
    expect(redisStoreOptionsFromEnv({})).toBeUndefined()
    expect(redisStoreOptionsFromEnv({ REDIS_URL: '  ' })).toBeUndefined()
  })

  it('reads one server, Sentinel or Cluster, with REDIS_MIN_REPLICAS as minReplicas', () => {
    expect(redisStoreOptionsFromEnv({ REDIS_URL: 'rediss://cache:6380/0' })).toEqual({ url: 'rediss://cache:6380/0' })
    expect(redisStoreOptionsFromEnv({ REDIS_URL: 'redis://cache:6379', REDIS_MIN_REPLICAS: '1' })).toEqual({
      url: 'redis://cache:6379',
      minReplicas: 1,
    })
    expect(redisStoreOptionsFromEnv({ REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'consents' })).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'consents',
    })
    expect(redisStoreOptionsFromEnv({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_MIN_REPLICAS: '2' })).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      minReplicas: 2,
    })
  })

  it.each([
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL', /redis:\/\/ or rediss:\/\//],
    [{ REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', /is invalid/],
    [{ REDIS_CLUSTER_NODES: 'a:99999' }, 'REDIS_CLUSTER_NODES', /is invalid/],
    [{ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' }, 'REDIS_URL', /set only one/],
    [{ REDIS_SENTINELS: 'a:1' }, 'REDIS_SENTINEL_NAME', /together with REDIS_SENTINELS/],
    [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', /together with REDIS_SENTINEL_NAME/],
    [{ REDIS_URL: 'redis://a:1', REDIS_MIN_REPLICAS: 'one' }, 'REDIS_MIN_REPLICAS', /whole number/],
    [{ REDIS_MIN_REPLICAS: '1' }, 'REDIS_MIN_REPLICAS', /needs REDIS_URL/],
  ])('refuses %j at start-up, naming %s', (env, variable, message) => {
    expect(() => redisStoreOptionsFromEnv(env)).toThrow(
      expect.objectContaining({
        name: 'ConsentGuardConfigError',
        code: 'option_invalid',
        variable,
        message: expect.stringMatching(message) as unknown,
      }),
    )
  })
})
