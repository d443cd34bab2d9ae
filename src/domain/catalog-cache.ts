import type { AcsEntranceWithExtras, AcsSystemWithBridgeFlag } from '../db/acs-systems.js'
import type { AcsEncoderRow } from '../db/schema.js'
import { NotifiedCache } from './notified-cache.js'

/** The channel every change to the cached rows notifies (migrations 0013 and 0014). */
export const catalogChannel = 'keysmith_catalog'

const indexes = new WeakMap<object, Map<string, unknown>>()

/**
 * Kept rows by id, made once per kept list (a list is replaced, never changed, when
 * the cache reloads it), so a lookup does not scan or index the workspace's rows on
 * every request.
 */
export const keptById = <R>(rows: readonly R[], idOf: (row: R) => string): Map<string, R> => {
  let index = indexes.get(rows) as Map<string, R> | undefined
  if (!index) {
    index = new Map(rows.map((row) => [idOf(row), row]))
    indexes.set(rows, index)
  }
  return index
}

/** One kind of row, per workspace. */
class RowsPerWorkspace<V> extends NotifiedCache<V> {
  constructor() {
    super(1_000)
  }

  of(workspaceId: string, load: () => Promise<V>): Promise<V> {
    return this.cached(workspaceId, load)
  }
}

/**
 * A workspace's catalog kept in the process: its access systems, entrances and
 * encoders, what the list and get endpoints of those read on nearly every call, and
 * what changes only when a system is connected or removed (a sandbox reset), a
 * bridge is paired or its readers come and go, or an entrance joins a space.
 * Triggers on those tables send NOTIFY on `keysmith_catalog` from whatever writes
 * them, in any process; every process forgets everything it holds when one arrives.
 * A load that raced such a change (it read before the change committed and finished
 * after the notification) is not kept: the generation it started in is over. Rows
 * are keyed by workspace, so no entry answers for another workspace. What depends on
 * the time (whether a bridge is online) is still computed at each request from the
 * rows.
 *
 * Used only while the process's LISTEN connection is up, like the AuthCache: before
 * it listens and while it is lost (notifications could be missed), every request
 * reads the database.
 *
 * A workspace with more than `maxRowsPerWorkspace` entrances (or encoders) keeps a
 * null instead: its lists are read from the database, page by page, as before.
 */
export class CatalogCache {
  static readonly maxRowsPerWorkspace = 5_000
  private readonly systems = new RowsPerWorkspace<AcsSystemWithBridgeFlag[]>()
  private readonly entrances = new RowsPerWorkspace<AcsEntranceWithExtras[] | null>()
  private readonly encoders = new RowsPerWorkspace<AcsEncoderRow[] | null>()
  private readonly all = [this.systems, this.entrances, this.encoders]

  /** Starts keeping rows (once the LISTEN that invalidates them is in place). */
  enable(): void {
    for (const cache of this.all) cache.enable()
  }

  /** Forgets everything (something kept changed somewhere). */
  invalidate(): void {
    for (const cache of this.all) cache.invalidate()
  }

  /** Stops keeping rows until `enable()`: invalidations can no longer be heard. */
  disable(): void {
    for (const cache of this.all) cache.disable()
  }

  /** Workspaces with something kept. */
  get size(): number {
    return Math.max(...this.all.map((cache) => cache.size))
  }

  /** The workspace's systems, from the process when it holds them. */
  systemsOf(
    workspaceId: string,
    load: () => Promise<AcsSystemWithBridgeFlag[]>,
  ): Promise<AcsSystemWithBridgeFlag[]> {
    return this.systems.of(workspaceId, load)
  }

  /** The workspace's entrances in page order (null: too many to keep). */
  entrancesOf(
    workspaceId: string,
    load: () => Promise<AcsEntranceWithExtras[] | null>,
  ): Promise<AcsEntranceWithExtras[] | null> {
    return this.entrances.of(workspaceId, load)
  }

  /** The workspace's encoders in page order (null: too many to keep). */
  encodersOf(
    workspaceId: string,
    load: () => Promise<AcsEncoderRow[] | null>,
  ): Promise<AcsEncoderRow[] | null> {
    return this.encoders.of(workspaceId, load)
  }
}
