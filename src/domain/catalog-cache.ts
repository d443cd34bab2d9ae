import type { AcsSystemWithBridgeFlag } from '../db/acs-systems.js'
import { NotifiedCache } from './notified-cache.js'

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

/** Access system rows per workspace (see above). */
export class CatalogCache extends NotifiedCache<AcsSystemWithBridgeFlag[]> {
  constructor() {
    super(1_000)
  }

  /** The workspace's systems, from the process when it holds them. */
  systemsOf(
    workspaceId: string,
    load: () => Promise<AcsSystemWithBridgeFlag[]>,
  ): Promise<AcsSystemWithBridgeFlag[]> {
    return this.cached(workspaceId, load)
  }
}
