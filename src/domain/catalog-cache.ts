import type { AcsSystemWithBridgeFlag } from '../db/acs-systems.js'

/** The channel every change to the cached rows notifies (migration 0013's triggers). */
export const catalogChannel = 'keysmith_catalog'

/**
 * A workspace's access system rows kept in the process: what `/acs/systems/list` and
 * `/acs/systems/get` read on nearly every call, and what changes only when a system
 * is connected or removed (a sandbox reset) or a bridge is paired. Triggers on those
 * tables send NOTIFY on `keysmith_catalog` from whatever writes them, in any process;
 * every process forgets everything it holds when one arrives. A load that raced such
 * a change (it read before the change committed and finished after the notification)
 * is not kept: the generation it started in is over. Rows are keyed by workspace, so
 * no entry answers for another workspace. What depends on the time (whether a
 * bridge is online) is still computed at each request from the rows.
 *
 * Used only while the process's LISTEN connection is up, like the AuthCache: before
 * it listens and while it is lost (notifications could be missed), every request
 * reads the database.
 */

const maxWorkspaces = 1_000
/** A backstop only: notifications are what keep entries right. */
const maxAgeMs = 60_000

export class CatalogCache {
  private systems = new Map<string, { rows: AcsSystemWithBridgeFlag[]; at: number }>()
  private generation = 0
  private enabled = false

  enable(): void {
    this.enabled = true
  }

  /** Forgets everything (a cached table changed somewhere). */
  invalidate(): void {
    this.generation++
    this.systems.clear()
  }

  disable(): void {
    this.enabled = false
    this.invalidate()
  }

  get size(): number {
    return this.systems.size
  }

  /** The workspace's systems, from the process when it holds them. */
  async systemsOf(
    workspaceId: string,
    load: () => Promise<AcsSystemWithBridgeFlag[]>,
  ): Promise<AcsSystemWithBridgeFlag[]> {
    if (!this.enabled) return load()
    const hit = this.systems.get(workspaceId)
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.rows
    const generation = this.generation
    const rows = await load()
    if (this.enabled && generation === this.generation) {
      if (this.systems.size >= maxWorkspaces) {
        const oldest = this.systems.keys().next().value
        if (oldest !== undefined) this.systems.delete(oldest)
      }
      this.systems.delete(workspaceId)
      this.systems.set(workspaceId, { rows, at: Date.now() })
    }
    return rows
  }
}
