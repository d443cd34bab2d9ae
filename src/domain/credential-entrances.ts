import type { AcsCredentialWithExtras } from '../db/acs-credentials.js'
import { findAcsEntrances } from '../db/acs-systems.js'
import { inPageOrder } from '../db/pagination.js'
import type {
  AcsCredentialRow,
  AcsEntranceRow,
  AcsSystemRow,
  AcsUserRow,
  Executor,
} from '../db/schema.js'
import { keptEntrances } from './acs-systems.js'
import { keptById } from './catalog-cache.js'
import type { DomainContext } from './context.js'

/** A credential row with the entrance rows it opens, oldest first: what presenting needs. */
export type AcsCredentialWithEntrances = Omit<AcsCredentialWithExtras, 'entrance_ids'> & {
  entrances: AcsEntranceRow[]
}

const byAge = inPageOrder<AcsEntranceRow>('acs_entrance_id')

/**
 * The entrances each credential opens, from the entrances the process keeps
 * (domain/catalog-cache.ts); those it does not keep (none kept, or one added since)
 * are read in one query for the whole page.
 */
export const withEntrances = async (
  ctx: DomainContext,
  workspaceId: string,
  rows: readonly AcsCredentialWithExtras[],
): Promise<AcsCredentialWithEntrances[]> => {
  const kept = await keptEntrances(ctx, workspaceId)
  const keptIndex = kept ? keptById(kept, (entrance) => entrance.acs_entrance_id) : undefined
  const missing = [
    ...new Set(rows.flatMap((row) => row.entrance_ids.filter((id) => !keptIndex?.has(id)))),
  ]
  const read = new Map(
    missing.length > 0
      ? (await findAcsEntrances(ctx.db, workspaceId, missing)).map((e) => [e.acs_entrance_id, e])
      : [],
  )
  const entranceOf = (id: string): AcsEntranceRow | undefined => keptIndex?.get(id) ?? read.get(id)
  // One copy per row (its `entrance_ids` stay on it, unread).
  return rows.map((row) => {
    const entrances: AcsEntranceRow[] = []
    for (const id of row.entrance_ids) {
      const entrance = entranceOf(id)
      if (entrance) entrances.push(entrance)
    }
    return { ...row, entrances: entrances.length > 1 ? entrances.sort(byAge) : entrances }
  })
}

/**
 * A credential just written, with what presenting it needs from the rows its writer
 * holds (its system, its user): its doors are `known` rows when all are among them,
 * else read in one query in the writer's transaction. Spares the three lookups a bare
 * row needs.
 */
export const withContextInHand = async (
  db: Executor,
  workspaceId: string,
  row: AcsCredentialRow,
  hand: {
    system: Pick<AcsSystemRow, 'external_type'>
    user: Pick<AcsUserRow, 'user_identity_id'> | undefined
    entranceIds: readonly string[]
    known: readonly AcsEntranceRow[]
  },
): Promise<AcsCredentialWithEntrances> => {
  const wanted = new Set(hand.entranceIds)
  const fromHand = hand.known.filter((entrance) => wanted.has(entrance.acs_entrance_id))
  const entrances =
    fromHand.length === wanted.size
      ? [...fromHand].sort(byAge)
      : await findAcsEntrances(db, workspaceId, [...wanted])
  return {
    ...row,
    system_external_type: hand.system.external_type,
    user_identity_id_of_user: hand.user?.user_identity_id ?? null,
    entrances,
  }
}
