import type { AcsCredentialWithExtras } from '../db/acs-credentials.js'
import { findAcsEntrances } from '../db/acs-systems.js'
import type {
  AcsCredentialRow,
  AcsEntranceRow,
  AcsSystemRow,
  AcsUserRow,
  Executor,
} from '../db/schema.js'
import { keptEntrances } from './acs-systems.js'
import type { DomainContext } from './context.js'

/** A credential row with the entrance rows it opens, oldest first: what presenting needs. */
export type AcsCredentialWithEntrances = Omit<AcsCredentialWithExtras, 'entrance_ids'> & {
  entrances: AcsEntranceRow[]
}

const byAge = (a: AcsEntranceRow, b: AcsEntranceRow) =>
  a.created_at.getTime() - b.created_at.getTime() ||
  (a.acs_entrance_id < b.acs_entrance_id ? -1 : a.acs_entrance_id > b.acs_entrance_id ? 1 : 0)

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
  const known = new Map<string, AcsEntranceRow>()
  for (const entrance of kept ?? []) known.set(entrance.acs_entrance_id, entrance)
  const missing = [
    ...new Set(rows.flatMap((row) => row.entrance_ids.filter((id) => !known.has(id)))),
  ]
  if (missing.length > 0) {
    for (const entrance of await findAcsEntrances(ctx.db, workspaceId, missing)) {
      known.set(entrance.acs_entrance_id, entrance)
    }
  }
  return rows.map(({ entrance_ids, ...row }) => ({
    ...row,
    entrances: entrance_ids
      .flatMap((id) => {
        const entrance = known.get(id)
        return entrance ? [entrance] : []
      })
      .sort(byAge),
  }))
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
