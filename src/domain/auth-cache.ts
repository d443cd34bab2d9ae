import { NotifiedCache } from './notified-cache.js'

/**
 * Hot credential lookups kept in the process: an API key's hash -> its key id and
 * workspace. Every change that could make a cached answer wrong (a key revoked)
 * sends NOTIFY on `keysmith_auth` in its transaction; every process listens and
 * forgets everything it holds when one arrives. A lookup that raced such a change
 * (it read the database before the change committed and finished after the
 * notification) is not kept: the generation it started in is over.
 *
 * The cache is used only while the process's LISTEN connection is up: before it is
 * listening, and from the moment that connection is lost (notifications could be
 * missed) until it listens again, every request looks its credential up in the
 * database as before. A key
 * is a sha256 of one token, which names one workspace, so no entry can answer for
 * another workspace; unknown and revoked tokens are never cached.
 */
export interface CachedApiKey {
  api_key_id: string
  workspace_id: string
  is_sandbox: boolean
}

export class AuthCache extends NotifiedCache<CachedApiKey | undefined> {
  constructor() {
    super(10_000)
  }

  /** The API key of a token's hash; unknown and revoked tokens are never kept. */
  apiKey(
    tokenHash: string,
    load: () => Promise<CachedApiKey | undefined>,
  ): Promise<CachedApiKey | undefined> {
    return this.cached(tokenHash, load, (value) => value !== undefined)
  }
}
