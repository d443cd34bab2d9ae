import type { Insertable, Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type { Executor, SpaceRow, SpacesTable } from './schema.js'
import { containsText } from './search.js'

export const insertSpace = async (db: Executor, row: Insertable<SpacesTable>): Promise<SpaceRow> =>
  db.insertInto('spaces').values(row).returningAll().executeTakeFirstOrThrow()

export const findSpace = async (
  db: Executor,
  workspaceId: string,
  by: { space_id?: string | undefined; space_key?: string | undefined },
  options: { forUpdate?: boolean } = {},
): Promise<SpaceRow | undefined> => {
  let query = db.selectFrom('spaces').selectAll().where('workspace_id', '=', workspaceId)
  if (by.space_id !== undefined) {
    if (!isUuid(by.space_id)) return undefined
    query = query.where('space_id', '=', by.space_id)
  } else if (by.space_key !== undefined) {
    query = query.where('space_key', '=', by.space_key)
  } else {
    return undefined
  }
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

/** The workspace's spaces among `ids`; unknown ids are absent from the result. */
export const findSpaces = async (
  db: Executor,
  workspaceId: string,
  ids: readonly string[],
): Promise<SpaceRow[]> => {
  const valid = ids.filter(isUuid)
  if (valid.length === 0) return []
  return db
    .selectFrom('spaces')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('space_id', 'in', valid)
    .orderBy('created_at')
    .orderBy('space_id')
    .execute()
}

export const findSpacesByKeys = async (
  db: Executor,
  workspaceId: string,
  keys: readonly string[],
): Promise<SpaceRow[]> => {
  if (keys.length === 0) return []
  return db
    .selectFrom('spaces')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('space_key', 'in', [...keys])
    .execute()
}

export const listSpaces = async (
  db: Executor,
  workspaceId: string,
  filters: {
    search?: string | undefined
    space_key?: string | undefined
    /** Spaces with an entrance of this connected account. */
    connected_account_id?: string | undefined
  },
  page: PageRequest,
): Promise<Page<SpaceRow>> => {
  let query = db.selectFrom('spaces').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.space_key !== undefined) query = query.where('space_key', '=', filters.space_key)
  const accountId = filters.connected_account_id
  if (accountId !== undefined) {
    if (!isUuid(accountId)) return { items: [], nextPageCursor: null }
    query = query.where('space_id', 'in', (eb) =>
      eb
        .selectFrom('space_entrances')
        .innerJoin(
          'acs_entrances',
          'acs_entrances.acs_entrance_id',
          'space_entrances.acs_entrance_id',
        )
        .select('space_entrances.space_id')
        .where('acs_entrances.connected_account_id', '=', accountId),
    )
  }
  if (filters.search !== undefined) {
    query = query.where(containsText(['name', 'space_key'], filters.search))
  }
  return paginate(query, 'spaces', 'space_id', page)
}

export const updateSpace = async (
  db: Executor,
  spaceId: string,
  changes: Updateable<SpacesTable>,
): Promise<SpaceRow> =>
  db
    .updateTable('spaces')
    .set(changes)
    .where('space_id', '=', spaceId)
    .returningAll()
    .executeTakeFirstOrThrow()

export const deleteSpace = async (db: Executor, spaceId: string): Promise<void> => {
  await db.deleteFrom('spaces').where('space_id', '=', spaceId).execute()
}

/** Entrance ids of each space, keyed by space id. */
export const entranceIdsBySpace = async (
  db: Executor,
  spaceIds: readonly string[],
): Promise<Map<string, string[]>> => {
  const result = new Map<string, string[]>(spaceIds.map((id) => [id, []]))
  if (spaceIds.length === 0) return result
  const rows = await db
    .selectFrom('space_entrances')
    .innerJoin('acs_entrances', 'acs_entrances.acs_entrance_id', 'space_entrances.acs_entrance_id')
    .select(['space_entrances.space_id', 'space_entrances.acs_entrance_id'])
    .where('space_entrances.space_id', 'in', [...spaceIds])
    .orderBy('acs_entrances.created_at')
    .orderBy('acs_entrances.acs_entrance_id')
    .execute()
  for (const row of rows) result.get(row.space_id)?.push(row.acs_entrance_id)
  return result
}

/** Space ids of each entrance, keyed by entrance id. */
export const spaceIdsByEntrance = async (
  db: Executor,
  entranceIds: readonly string[],
): Promise<Map<string, string[]>> => {
  const result = new Map<string, string[]>(entranceIds.map((id) => [id, []]))
  if (entranceIds.length === 0) return result
  const rows = await db
    .selectFrom('space_entrances')
    .select(['space_id', 'acs_entrance_id'])
    .where('acs_entrance_id', 'in', [...entranceIds])
    .orderBy('space_id')
    .execute()
  for (const row of rows) result.get(row.acs_entrance_id)?.push(row.space_id)
  return result
}

export const addSpaceEntrances = async (
  db: Executor,
  spaceId: string,
  entranceIds: readonly string[],
): Promise<void> => {
  if (entranceIds.length === 0) return
  await db
    .insertInto('space_entrances')
    .values(entranceIds.map((acs_entrance_id) => ({ space_id: spaceId, acs_entrance_id })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export const removeSpaceEntrances = async (
  db: Executor,
  spaceId: string,
  entranceIds: readonly string[],
): Promise<void> => {
  if (entranceIds.length === 0) return
  await db
    .deleteFrom('space_entrances')
    .where('space_id', '=', spaceId)
    .where('acs_entrance_id', 'in', [...entranceIds])
    .execute()
}
