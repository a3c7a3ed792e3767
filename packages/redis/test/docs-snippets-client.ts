// The ioredis-client block of packages/redis/README.md; compiled by `pnpm typecheck`, kept
// identical by test/docs/snippets.test.ts.
// #region client
import { Redis } from 'ioredis'
import { FAIL_FAST_REDIS_OPTIONS, createRedisConsentUseStore } from '@consent-guard/redis'

const client = new Redis(process.env.REDIS_URL!, { ...FAIL_FAST_REDIS_OPTIONS })
const store = createRedisConsentUseStore({ client })
// #endregion client
export { store }
