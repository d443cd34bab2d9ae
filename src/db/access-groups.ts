import type { Insertable } from 'kysely'
import { isUuid } from './pagination.js'
import type {
  AcsAccessGroupRow,
  AcsAccessGroupsTable,
  AcsEntranceRow,
  AcsUserRow,
  Executor,
} from './schema.js'
import { containsText } from './search.js'

/** Access groups: sets of users of one access system, preconfigured with entrances. */

export const insertAccessGroup = async (
  db: Executor,
  row: Insertable<AcsAccessGroupsTable>,
  entranceIds: readonly string[],
): Promise<AcsAccessGroupRow> => {
  const group = await db
    .insertInto('acs_access_groups')
    .values(row)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (entranceIds.length > 0) {
    await db
      .insertInto('acs_access_group_entrances')
      .values(
        entranceIds.map((acs_entrance_id) => ({
          acs_access_group_id: group.acs_access_group_id,
          acs_entrance_id,
        })),
      )
      .execute()
  }
  return group
}

export const findAccessGroup = async (
  db: Executor,
  workspaceId: string,
  acsAccessGroupId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsAccessGroupRow | undefined> => {
  if (!isUuid(acsAccessGroupId)) return undefined
  let query = db
    .selectFrom('acs_access_groups')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_access_group_id', '=', acsAccessGroupId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export interface AccessGroupFilters {
  acs_system_id?: string | undefined
  acs_user_id?: string | undefined
  user_identity_id?: string | undefined
  search?: string | undefined
}

/** The workspace's access groups, oldest first; at most `limit`. */
export const listAccessGroups = async (
  db: Executor,
  workspaceId: string,
  filters: AccessGroupFilters,
  limit: number,
): Promise<AcsAccessGroupRow[]> => {
  let query = db
    .selectFrom('acs_access_groups')
    .selectAll('acs_access_groups')
    .where('acs_access_groups.workspace_id', '=', workspaceId)
  if (filters.acs_system_id !== undefined) {
    if (!isUuid(filters.acs_system_id)) return []
    query = query.where('acs_access_groups.acs_system_id', '=', filters.acs_system_id)
  }
  if (filters.acs_user_id !== undefined) {
    if (!isUuid(filters.acs_user_id)) return []
    const userId = filters.acs_user_id
    query = query.where('acs_access_groups.acs_access_group_id', 'in', (eb) =>
      eb
        .selectFrom('acs_access_group_users')
        .select('acs_access_group_users.acs_access_group_id')
        .where('acs_access_group_users.acs_user_id', '=', userId),
    )
  }
  if (filters.user_identity_id !== undefined) {
    if (!isUuid(filters.user_identity_id)) return []
    const identityId = filters.user_identity_id
    query = query.where('acs_access_groups.acs_access_group_id', 'in', (eb) =>
      eb
        .selectFrom('acs_access_group_users')
        .innerJoin('acs_users', 'acs_users.acs_user_id', 'acs_access_group_users.acs_user_id')
        .select('acs_access_group_users.acs_access_group_id')
        .where('acs_users.workspace_id', '=', workspaceId)
        .where('acs_users.user_identity_id', '=', identityId),
    )
  }
  if (filters.search !== undefined) {
    query = query.where(containsText(['acs_access_groups.name'], filters.search))
  }
  return query
    .orderBy('acs_access_groups.created_at')
    .orderBy('acs_access_groups.acs_access_group_id')
    .limit(limit)
    .execute()
}

/** How many access groups each access system has, keyed by system id. */
export const countAccessGroupsBySystem = async (
  db: Executor,
  acsSystemIds: readonly string[],
): Promise<Map<string, number>> => {
  if (acsSystemIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('acs_access_groups')
    .select(['acs_system_id', (eb) => eb.fn.countAll<string>().as('count')])
    .where('acs_system_id', 'in', [...new Set(acsSystemIds)])
    .groupBy('acs_system_id')
    .execute()
  return new Map(rows.map((row) => [row.acs_system_id, Number(row.count)]))
}

export const accessGroupEntrances = async (
  db: Executor,
  acsAccessGroupId: string,
): Promise<AcsEntranceRow[]> =>
  db
    .selectFrom('acs_access_group_entrances')
    .innerJoin(
      'acs_entrances',
      'acs_entrances.acs_entrance_id',
      'acs_access_group_entrances.acs_entrance_id',
    )
    .selectAll('acs_entrances')
    .where('acs_access_group_entrances.acs_access_group_id', '=', acsAccessGroupId)
    .orderBy('acs_entrances.created_at')
    .orderBy('acs_entrances.acs_entrance_id')
    .execute()

/**
 * The entrances a user's credentials open in a system that gives access by groups:
 * those of the user's groups and those granted to the user directly
 * (`/acs/entrances/grant_access`), each once.
 */
export const entranceIdsGrantedToUser = async (
  db: Executor,
  acsUserId: string,
): Promise<string[]> => {
  const rows = await db
    .selectFrom('acs_access_group_users')
    .innerJoin(
      'acs_access_group_entrances',
      'acs_access_group_entrances.acs_access_group_id',
      'acs_access_group_users.acs_access_group_id',
    )
    .select('acs_access_group_entrances.acs_entrance_id')
    .where('acs_access_group_users.acs_user_id', '=', acsUserId)
    .union((eb) =>
      eb
        .selectFrom('acs_user_entrances')
        .select('acs_user_entrances.acs_entrance_id')
        .where('acs_user_entrances.acs_user_id', '=', acsUserId),
    )
    .execute()
  return rows.map((row) => row.acs_entrance_id)
}

export const accessGroupUsers = async (
  db: Executor,
  acsAccessGroupId: string,
): Promise<AcsUserRow[]> =>
  db
    .selectFrom('acs_access_group_users')
    .innerJoin('acs_users', 'acs_users.acs_user_id', 'acs_access_group_users.acs_user_id')
    .selectAll('acs_users')
    .where('acs_access_group_users.acs_access_group_id', '=', acsAccessGroupId)
    .orderBy('acs_users.created_at')
    .orderBy('acs_users.acs_user_id')
    .execute()

/** Adds a user to a group; false when the user was in it already. */
export const addAccessGroupUser = async (
  db: Executor,
  acsAccessGroupId: string,
  acsUserId: string,
  now: Date,
): Promise<boolean> => {
  const inserted = await db
    .insertInto('acs_access_group_users')
    .values({ acs_access_group_id: acsAccessGroupId, acs_user_id: acsUserId, created_at: now })
    .onConflict((oc) => oc.columns(['acs_access_group_id', 'acs_user_id']).doNothing())
    .returning('acs_user_id')
    .executeTakeFirst()
  return inserted !== undefined
}

/** Removes a user from a group; false when the user was not in it. */
export const removeAccessGroupUser = async (
  db: Executor,
  acsAccessGroupId: string,
  acsUserId: string,
): Promise<boolean> => {
  const removed = await db
    .deleteFrom('acs_access_group_users')
    .where('acs_access_group_id', '=', acsAccessGroupId)
    .where('acs_user_id', '=', acsUserId)
    .returning('acs_user_id')
    .executeTakeFirst()
  return removed !== undefined
}

export const deleteAccessGroup = async (db: Executor, acsAccessGroupId: string): Promise<void> => {
  await db
    .deleteFrom('acs_access_groups')
    .where('acs_access_group_id', '=', acsAccessGroupId)
    .execute()
}

/**
 * The entrances an ACS user can open: those of the user's credentials, of the user's
 * access groups and those granted to the user directly, each once, oldest first.
 */
export const entrancesOfUser = async (db: Executor, acsUserId: string): Promise<AcsEntranceRow[]> =>
  db
    .selectFrom('acs_entrances')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb(
          'acs_entrance_id',
          'in',
          eb
            .selectFrom('acs_credential_entrances')
            .innerJoin(
              'acs_credentials',
              'acs_credentials.acs_credential_id',
              'acs_credential_entrances.acs_credential_id',
            )
            .select('acs_credential_entrances.acs_entrance_id')
            .where('acs_credentials.acs_user_id', '=', acsUserId),
        ),
        eb(
          'acs_entrance_id',
          'in',
          eb
            .selectFrom('acs_access_group_users')
            .innerJoin(
              'acs_access_group_entrances',
              'acs_access_group_entrances.acs_access_group_id',
              'acs_access_group_users.acs_access_group_id',
            )
            .select('acs_access_group_entrances.acs_entrance_id')
            .where('acs_access_group_users.acs_user_id', '=', acsUserId),
        ),
        eb(
          'acs_entrance_id',
          'in',
          eb
            .selectFrom('acs_user_entrances')
            .select('acs_user_entrances.acs_entrance_id')
            .where('acs_user_entrances.acs_user_id', '=', acsUserId),
        ),
      ]),
    )
    .orderBy('created_at')
    .orderBy('acs_entrance_id')
    .execute()

/** Takes a user out of every access group; returns how many memberships ended. */
export const removeUserFromAllAccessGroups = async (
  db: Executor,
  acsUserId: string,
): Promise<number> => {
  const result = await db
    .deleteFrom('acs_access_group_users')
    .where('acs_user_id', '=', acsUserId)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
