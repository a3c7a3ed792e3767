// The proxy block of docs/operations.md (undici is core's dev dependency here); compiled by
// `pnpm typecheck`, kept identical by test/docs/snippets.test.ts.
import { createConsentGuard } from '@consent-guard/core'

// #region proxy
import { EnvHttpProxyAgent, fetch as undiciFetch, type RequestInit as UndiciInit } from 'undici'
import type { FetchLike } from '@consent-guard/core'
const dispatcher = new EnvHttpProxyAgent()
// undici's own Request/Response types differ from the DOM ones in Node's types; the objects do not.
const proxiedFetch = ((url: string, init: UndiciInit) => undiciFetch(url, { ...init, dispatcher })) as unknown as FetchLike
createConsentGuard({ maskinporten: 'prod', keys: { fetch: proxiedFetch }, altinn2Keys: { fetch: proxiedFetch } })
// #endregion proxy
