/**
 * Values kept in the process and dropped on NOTIFY: what the AuthCache and the
 * CatalogCache share. Every change that could make a kept value wrong sends a
 * notification; every process calls `invalidate()` when one arrives. A load that
 * raced such a change (it read the database before the change committed and finished
 * after the notification) is not kept: the generation it started in is over. Used
 * only while enabled, that is while the process's LISTEN connection is up; disabled,
 * every read loads. The oldest entry goes when `maxEntries` is reached, and an entry
 * is loaded again after `maxAgeMs` (a backstop only: notifications keep entries right).
 */
export class NotifiedCache<V> {
  private entries = new Map<string, { value: V; at: number }>()
  private generation = 0
  private enabled = false

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Starts keeping values (once the LISTEN that invalidates them is in place). */
  enable(): void {
    this.enabled = true
  }

  /** Forgets everything (something kept changed somewhere). */
  invalidate(): void {
    this.generation++
    this.entries.clear()
  }

  /** Stops keeping values until `enable()`: invalidations can no longer be heard. */
  disable(): void {
    this.enabled = false
    this.invalidate()
  }

  get size(): number {
    return this.entries.size
  }

  /** The value kept for `key`, or `load()`'s, kept when `keep` says so. */
  protected async cached(
    key: string,
    load: () => Promise<V>,
    keep: (value: V) => boolean = () => true,
  ): Promise<V> {
    if (!this.enabled) return load()
    const hit = this.entries.get(key)
    if (hit && Date.now() - hit.at < this.maxAgeMs) return hit.value
    const generation = this.generation
    const value = await load()
    if (keep(value) && this.enabled && generation === this.generation) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value
        if (oldest !== undefined) this.entries.delete(oldest)
      }
      this.entries.delete(key)
      this.entries.set(key, { value, at: Date.now() })
    }
    return value
  }
}
