import type { Insertable, Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type { AcsUserRow, Executor, UserIdentitiesTable, UserIdentityRow } from './schema.js'
import { containsText } from './search.js'

export const insertUserIdentity = async (
  db: Executor,
  row: Insertable<UserIdentitiesTable>,
): Promise<UserIdentityRow> =>
  db.insertInto('user_identities').values(row).returningAll().executeTakeFirstOrThrow()

export const findUserIdentity = async (
  db: Executor,
  workspaceId: string,
  by: { user_identity_id?: string | undefined; user_identity_key?: string | undefined },
  options: { forUpdate?: boolean } = {},
): Promise<UserIdentityRow | undefined> => {
  let query = db.selectFrom('user_identities').selectAll().where('workspace_id', '=', workspaceId)
  if (by.user_identity_id !== undefined) {
    if (!isUuid(by.user_identity_id)) return undefined
    query = query.where('user_identity_id', '=', by.user_identity_id)
  } else if (by.user_identity_key !== undefined) {
    query = query.where('user_identity_key', '=', by.user_identity_key)
  } else {
    return undefined
  }
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export const findUserIdentitiesByIds = async (
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, UserIdentityRow>> => {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('user_identities')
    .selectAll()
    .where('user_identity_id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((row) => [row.user_identity_id, row]))
}

export interface UserIdentityFilters {
  user_identity_ids?: string[] | undefined
  created_before?: Date | undefined
  search?: string | undefined
  /** A client session's reach: only these ids (see domain/client-session-scope.ts). */
  only_ids?: readonly string[] | undefined
}

export const listUserIdentities = async (
  db: Executor,
  workspaceId: string,
  filters: UserIdentityFilters,
  page: PageRequest,
): Promise<Page<UserIdentityRow>> => {
  let query = db.selectFrom('user_identities').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.only_ids !== undefined) {
    if (filters.only_ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('user_identity_id', 'in', [...filters.only_ids])
  }
  if (filters.user_identity_ids !== undefined) {
    const ids = filters.user_identity_ids.filter(isUuid)
    if (ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('user_identity_id', 'in', ids)
  }
  if (filters.created_before !== undefined) {
    query = query.where('created_at', '<', filters.created_before)
  }
  if (filters.search !== undefined && filters.search !== '') {
    query = query.where(
      containsText(['full_name', 'email_address', 'phone_number'], filters.search, [
        'user_identity_id',
      ]),
    )
  }
  return paginate(query, 'user_identities', 'user_identity_id', page)
}

export const updateUserIdentity = async (
  db: Executor,
  userIdentityId: string,
  changes: Updateable<UserIdentitiesTable>,
): Promise<UserIdentityRow> =>
  db
    .updateTable('user_identities')
    .set(changes)
    .where('user_identity_id', '=', userIdentityId)
    .returningAll()
    .executeTakeFirstOrThrow()

export const deleteUserIdentity = async (db: Executor, userIdentityId: string): Promise<void> => {
  await db.deleteFrom('user_identities').where('user_identity_id', '=', userIdentityId).execute()
}

/** The ACS users linked to a user identity, oldest first. */
export const listAcsUsersOfIdentity = async (
  db: Executor,
  userIdentityId: string,
): Promise<AcsUserRow[]> =>
  db
    .selectFrom('acs_users')
    .selectAll()
    .where('user_identity_id', '=', userIdentityId)
    .orderBy('created_at')
    .orderBy('acs_user_id')
    .execute()

/** ACS user ids per user identity, for presenting identities in bulk. */
export const acsUserIdsByIdentity = async (
  db: Executor,
  userIdentityIds: readonly string[],
): Promise<Map<string, string[]>> => {
  const result = new Map<string, string[]>(userIdentityIds.map((id) => [id, []]))
  if (userIdentityIds.length === 0) return result
  const rows = await db
    .selectFrom('acs_users')
    .select(['acs_user_id', 'user_identity_id'])
    .where('user_identity_id', 'in', [...userIdentityIds])
    .orderBy('created_at')
    .orderBy('acs_user_id')
    .execute()
  for (const row of rows) {
    if (row.user_identity_id) result.get(row.user_identity_id)?.push(row.acs_user_id)
  }
  return result
}
