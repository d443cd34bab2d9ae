import type { Insertable, Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type { AcsUserRow, AcsUsersTable, Executor } from './schema.js'
import { containsText } from './search.js'

export const insertAcsUser = async (
  db: Executor,
  row: Insertable<AcsUsersTable>,
): Promise<AcsUserRow> =>
  db.insertInto('acs_users').values(row).returningAll().executeTakeFirstOrThrow()

export const findAcsUser = async (
  db: Executor,
  workspaceId: string,
  acsUserId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsUserRow | undefined> => {
  if (!isUuid(acsUserId)) return undefined
  let query = db
    .selectFrom('acs_users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_user_id', '=', acsUserId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export const findAcsUserByIdentity = async (
  db: Executor,
  workspaceId: string,
  acsSystemId: string,
  userIdentityId: string,
): Promise<AcsUserRow | undefined> => {
  if (!isUuid(acsSystemId) || !isUuid(userIdentityId)) return undefined
  return db
    .selectFrom('acs_users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_system_id', '=', acsSystemId)
    .where('user_identity_id', '=', userIdentityId)
    .orderBy('created_at')
    .executeTakeFirst()
}

/**
 * An ACS user of the access system not linked to any user identity, with this email
 * address (in any case) or phone number: the same person, already known to the system.
 */
export const findUnlinkedAcsUserByContact = async (
  db: Executor,
  workspaceId: string,
  acsSystemId: string,
  contact: { email_address: string | null; phone_number: string | null },
): Promise<AcsUserRow | undefined> => {
  const { email_address: email, phone_number: phone } = contact
  if (email === null && phone === null) return undefined
  return db
    .selectFrom('acs_users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_system_id', '=', acsSystemId)
    .where('user_identity_id', 'is', null)
    .where((eb) =>
      eb.or([
        ...(email !== null
          ? [eb(eb.fn('lower', ['email_address']), '=', email.toLowerCase())]
          : []),
        ...(phone !== null ? [eb('phone_number', '=', phone)] : []),
      ]),
    )
    .orderBy('created_at')
    .forUpdate()
    .executeTakeFirst()
}

export interface AcsUserFilters {
  acs_system_id?: string | undefined
  user_identity_id?: string | undefined
  user_identity_email_address?: string | undefined
  user_identity_phone_number?: string | undefined
  created_before?: Date | undefined
  search?: string | undefined
  /** A client session's reach: only these ids (see domain/client-session-scope.ts). */
  only_ids?: readonly string[] | undefined
}

export const listAcsUsers = async (
  db: Executor,
  workspaceId: string,
  filters: AcsUserFilters,
  page: PageRequest,
): Promise<Page<AcsUserRow>> => {
  let query = db.selectFrom('acs_users').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.only_ids !== undefined) {
    if (filters.only_ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('acs_user_id', 'in', [...filters.only_ids])
  }
  if (filters.acs_system_id !== undefined) {
    query = query.where('acs_system_id', '=', filters.acs_system_id)
  }
  if (filters.user_identity_id !== undefined) {
    query = query.where('user_identity_id', '=', filters.user_identity_id)
  }
  for (const [column, value] of [
    ['email_address', filters.user_identity_email_address],
    ['phone_number', filters.user_identity_phone_number],
  ] as const) {
    if (value === undefined) continue
    query = query.where('user_identity_id', 'in', (eb) =>
      eb
        .selectFrom('user_identities')
        .select('user_identities.user_identity_id')
        .where('user_identities.workspace_id', '=', workspaceId)
        .where(`user_identities.${column}`, '=', value),
    )
  }
  if (filters.created_before !== undefined) {
    query = query.where('created_at', '<', filters.created_before)
  }
  if (filters.search !== undefined) {
    const search = filters.search
    query = query.where((eb) =>
      eb.or([
        containsText(['full_name', 'email_address', 'phone_number'], search, [
          'acs_user_id',
          'user_identity_id',
        ]),
        eb(
          'user_identity_id',
          'in',
          eb
            .selectFrom('user_identities')
            .select('user_identities.user_identity_id')
            .where('user_identities.workspace_id', '=', workspaceId)
            .where(
              containsText(['user_identities.full_name', 'user_identities.phone_number'], search),
            ),
        ),
      ]),
    )
  }
  return paginate(query, 'acs_users', 'acs_user_id', page)
}

export const updateAcsUser = async (
  db: Executor,
  acsUserId: string,
  changes: Updateable<AcsUsersTable>,
): Promise<void> => {
  await db.updateTable('acs_users').set(changes).where('acs_user_id', '=', acsUserId).execute()
}

export const deleteAcsUser = async (db: Executor, acsUserId: string): Promise<void> => {
  await db.deleteFrom('acs_users').where('acs_user_id', '=', acsUserId).execute()
}

export const findAcsUsersByIds = async (
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, AcsUserRow>> => {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('acs_users')
    .selectAll()
    .where('acs_user_id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((row) => [row.acs_user_id, row]))
}
