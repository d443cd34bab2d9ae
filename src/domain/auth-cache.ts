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

const maxEntries = 10_000
/** A backstop only: notifications are what keep entries right. */
const maxAgeMs = 60_000

export class AuthCache {
  private entries = new Map<string, { value: CachedApiKey; at: number }>()
  private generation = 0
  private enabled = false

  /** Starts caching (once the LISTEN that invalidates it is in place). */
  enable(): void {
    this.enabled = true
  }

  /** Forgets everything (a credential changed somewhere). */
  invalidate(): void {
    this.generation++
    this.entries.clear()
  }

  /** Stops caching until `enable()`: invalidations can no longer be heard. */
  disable(): void {
    this.enabled = false
    this.invalidate()
  }

  get size(): number {
    return this.entries.size
  }

  async apiKey(
    tokenHash: string,
    load: () => Promise<CachedApiKey | undefined>,
  ): Promise<CachedApiKey | undefined> {
    if (!this.enabled) return load()
    const hit = this.entries.get(tokenHash)
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.value
    const generation = this.generation
    const value = await load()
    if (value && this.enabled && generation === this.generation) {
      if (this.entries.size >= maxEntries) {
        const oldest = this.entries.keys().next().value
        if (oldest !== undefined) this.entries.delete(oldest)
      }
      this.entries.delete(tokenHash)
      this.entries.set(tokenHash, { value, at: Date.now() })
    }
    return value
  }
}
