import { type ExpressionBuilder, type Insertable, sql, type Updateable } from 'kysely'
import { findAcsEntrances } from './acs-systems.js'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type {
  AccessGrantRow,
  AccessGrantsTable,
  AccessMethodRow,
  AccessMethodsTable,
  AcsEntranceRow,
  DB,
  Executor,
} from './schema.js'
import { entranceIdsBySpace } from './spaces.js'

export const insertAccessGrant = async (
  db: Executor,
  row: Insertable<AccessGrantsTable>,
): Promise<AccessGrantRow> =>
  db.insertInto('access_grants').values(row).returningAll().executeTakeFirstOrThrow()

export const findAccessGrant = async (
  db: Executor,
  workspaceId: string,
  by: { access_grant_id?: string | undefined; access_grant_key?: string | undefined },
  options: { forUpdate?: boolean } = {},
): Promise<AccessGrantRow | undefined> => {
  let query = db.selectFrom('access_grants').selectAll().where('workspace_id', '=', workspaceId)
  if (by.access_grant_id !== undefined) {
    if (!isUuid(by.access_grant_id)) return undefined
    query = query.where('access_grant_id', '=', by.access_grant_id)
  } else if (by.access_grant_key !== undefined) {
    query = query.where('access_grant_key', '=', by.access_grant_key)
  } else {
    return undefined
  }
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export interface AccessGrantFilters {
  access_grant_ids?: string[] | undefined
  /** null: grants without a key. */
  access_grant_key?: string | null | undefined
  reservation_key?: string | undefined
  user_identity_id?: string | undefined
  acs_system_id?: string | undefined
  acs_entrance_id?: string | undefined
  space_id?: string | undefined
}

/**
 * Ids of the grants that reach an entrance (directly or through one of their spaces)
 * whose `column` is `value`: an entrance, or any entrance of an access system.
 */
const grantsReaching = (
  eb: ExpressionBuilder<DB, 'access_grants'>,
  column: 'acs_entrances.acs_entrance_id' | 'acs_entrances.acs_system_id',
  value: string,
) =>
  eb
    .selectFrom('access_grant_entrances')
    .innerJoin(
      'acs_entrances',
      'acs_entrances.acs_entrance_id',
      'access_grant_entrances.acs_entrance_id',
    )
    .select('access_grant_entrances.access_grant_id')
    .where(column, '=', value)
    .union(
      eb
        .selectFrom('access_grant_spaces')
        .innerJoin('space_entrances', 'space_entrances.space_id', 'access_grant_spaces.space_id')
        .innerJoin(
          'acs_entrances',
          'acs_entrances.acs_entrance_id',
          'space_entrances.acs_entrance_id',
        )
        .select('access_grant_spaces.access_grant_id')
        .where(column, '=', value),
    )

/**
 * An access grant row with what presenting it needs besides, read in the same query:
 * its spaces (oldest first), its access methods (oldest first) and its user
 * identity's name (full name, else email, else phone), so that a list is one query.
 */
export type AccessGrantWithExtras = AccessGrantRow & {
  space_ids: string[]
  access_method_ids: string[]
  identity_name: string | null
}

const grantExtras = [
  sql<
    string[]
  >`coalesce((select json_agg(ags.space_id order by s.created_at, s.space_id) from access_grant_spaces ags join spaces s on s.space_id = ags.space_id where ags.access_grant_id = access_grants.access_grant_id), '[]'::json)`.as(
    'space_ids',
  ),
  sql<
    string[]
  >`coalesce((select json_agg(am.access_method_id order by am.created_at, am.access_method_id) from access_methods am where am.access_grant_id = access_grants.access_grant_id), '[]'::json)`.as(
    'access_method_ids',
  ),
  sql<
    string | null
  >`(select coalesce(ui.full_name, ui.email_address, ui.phone_number) from user_identities ui where ui.user_identity_id = access_grants.user_identity_id)`.as(
    'identity_name',
  ),
] as const

export const listAccessGrants = async (
  db: Executor,
  workspaceId: string,
  filters: AccessGrantFilters,
  page: PageRequest,
): Promise<Page<AccessGrantWithExtras>> => {
  let query = db
    .selectFrom('access_grants')
    .selectAll('access_grants')
    .select(grantExtras)
    .where('access_grants.workspace_id', '=', workspaceId)
  if (filters.access_grant_ids !== undefined) {
    const ids = filters.access_grant_ids.filter(isUuid)
    if (ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('access_grants.access_grant_id', 'in', ids)
  }
  if (filters.access_grant_key === null) {
    query = query.where('access_grants.access_grant_key', 'is', null)
  } else if (filters.access_grant_key !== undefined) {
    query = query.where('access_grants.access_grant_key', '=', filters.access_grant_key)
  }
  if (filters.reservation_key !== undefined) {
    query = query.where('access_grants.reservation_key', '=', filters.reservation_key)
  }
  if (filters.user_identity_id !== undefined) {
    query = query.where('access_grants.user_identity_id', '=', filters.user_identity_id)
  }
  if (filters.acs_system_id !== undefined) {
    const systemId = filters.acs_system_id
    query = query.where('access_grants.access_grant_id', 'in', (eb) =>
      grantsReaching(eb, 'acs_entrances.acs_system_id', systemId),
    )
  }
  if (filters.acs_entrance_id !== undefined) {
    const entranceId = filters.acs_entrance_id
    query = query.where('access_grants.access_grant_id', 'in', (eb) =>
      grantsReaching(eb, 'acs_entrances.acs_entrance_id', entranceId),
    )
  }
  if (filters.space_id !== undefined) {
    const spaceId = filters.space_id
    query = query.where('access_grants.access_grant_id', 'in', (eb) =>
      eb
        .selectFrom('access_grant_spaces')
        .select('access_grant_spaces.access_grant_id')
        .where('access_grant_spaces.space_id', '=', spaceId),
    )
  }
  return paginate(query, 'access_grants', 'access_grant_id', page)
}

export const findAccessGrantsByReservation = async (
  db: Executor,
  workspaceId: string,
  reservationKey: string,
): Promise<AccessGrantRow[]> =>
  db
    .selectFrom('access_grants')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('reservation_key', '=', reservationKey)
    .orderBy('created_at')
    .execute()

export const findAccessGrantsOfIdentity = async (
  db: Executor,
  userIdentityId: string,
): Promise<AccessGrantRow[]> =>
  db
    .selectFrom('access_grants')
    .selectAll()
    .where('user_identity_id', '=', userIdentityId)
    .orderBy('created_at')
    .execute()

/** Grants that reach an entrance through a space, locked for a change of that space. */
export const findAccessGrantsOfSpace = async (
  db: Executor,
  spaceId: string,
): Promise<AccessGrantRow[]> =>
  db
    .selectFrom('access_grants')
    .selectAll('access_grants')
    .where('access_grants.access_grant_id', 'in', (eb) =>
      eb
        .selectFrom('access_grant_spaces')
        .select('access_grant_spaces.access_grant_id')
        .where('access_grant_spaces.space_id', '=', spaceId),
    )
    .orderBy('access_grants.created_at')
    .forUpdate()
    .execute()

export const updateAccessGrant = async (
  db: Executor,
  accessGrantId: string,
  changes: Updateable<AccessGrantsTable>,
): Promise<AccessGrantRow> =>
  db
    .updateTable('access_grants')
    .set(changes)
    .where('access_grant_id', '=', accessGrantId)
    .returningAll()
    .executeTakeFirstOrThrow()

export const deleteAccessGrant = async (db: Executor, accessGrantId: string): Promise<void> => {
  await db.deleteFrom('access_grants').where('access_grant_id', '=', accessGrantId).execute()
}

export const setAccessGrantMembers = async (
  db: Executor,
  accessGrantId: string,
  members: { acs_entrance_ids: readonly string[]; space_ids: readonly string[] },
): Promise<void> => {
  if (members.acs_entrance_ids.length > 0) {
    await db
      .insertInto('access_grant_entrances')
      .values(
        members.acs_entrance_ids.map((acs_entrance_id) => ({
          access_grant_id: accessGrantId,
          acs_entrance_id,
        })),
      )
      .execute()
  }
  if (members.space_ids.length > 0) {
    await db
      .insertInto('access_grant_spaces')
      .values(members.space_ids.map((space_id) => ({ access_grant_id: accessGrantId, space_id })))
      .execute()
  }
}

/** What a grant names directly: entrance ids and space ids. */
export const accessGrantMembers = async (
  db: Executor,
  accessGrantIds: readonly string[],
): Promise<Map<string, { acs_entrance_ids: string[]; space_ids: string[] }>> => {
  const result = new Map(
    accessGrantIds.map((id) => [
      id,
      { acs_entrance_ids: [] as string[], space_ids: [] as string[] },
    ]),
  )
  if (accessGrantIds.length === 0) return result
  const [entrances, spaces] = await Promise.all([
    db
      .selectFrom('access_grant_entrances')
      .selectAll()
      .where('access_grant_id', 'in', [...accessGrantIds])
      .execute(),
    db
      .selectFrom('access_grant_spaces')
      .innerJoin('spaces', 'spaces.space_id', 'access_grant_spaces.space_id')
      .select(['access_grant_spaces.access_grant_id', 'access_grant_spaces.space_id'])
      .where('access_grant_spaces.access_grant_id', 'in', [...accessGrantIds])
      .orderBy('spaces.created_at')
      .execute(),
  ])
  for (const row of entrances)
    result.get(row.access_grant_id)?.acs_entrance_ids.push(row.acs_entrance_id)
  for (const row of spaces) result.get(row.access_grant_id)?.space_ids.push(row.space_id)
  return result
}

export const insertAccessMethod = async (
  db: Executor,
  row: Insertable<AccessMethodsTable>,
): Promise<AccessMethodRow> =>
  db.insertInto('access_methods').values(row).returningAll().executeTakeFirstOrThrow()

export const findAccessMethod = async (
  db: Executor,
  workspaceId: string,
  accessMethodId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AccessMethodRow | undefined> => {
  if (!isUuid(accessMethodId)) return undefined
  let query = db
    .selectFrom('access_methods')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('access_method_id', '=', accessMethodId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export const findAccessMethodOfCredential = async (
  db: Executor,
  acsCredentialId: string,
): Promise<AccessMethodRow | undefined> =>
  db
    .selectFrom('access_methods')
    .selectAll()
    .where('acs_credential_id', '=', acsCredentialId)
    .executeTakeFirst()

export const accessMethodsOfGrants = async (
  db: Executor,
  accessGrantIds: readonly string[],
): Promise<AccessMethodRow[]> => {
  if (accessGrantIds.length === 0) return []
  return db
    .selectFrom('access_methods')
    .selectAll()
    .where('access_grant_id', 'in', [...accessGrantIds])
    .orderBy('created_at')
    .orderBy('access_method_id')
    .execute()
}

export interface AccessMethodFilters {
  access_grant_ids?: string[] | undefined
  acs_entrance_id?: string | undefined
  space_id?: string | undefined
}

export const listAccessMethods = async (
  db: Executor,
  workspaceId: string,
  filters: AccessMethodFilters,
): Promise<AccessMethodRow[]> => {
  let query = db
    .selectFrom('access_methods')
    .selectAll('access_methods')
    .where('access_methods.workspace_id', '=', workspaceId)
  if (filters.access_grant_ids !== undefined) {
    const ids = filters.access_grant_ids.filter(isUuid)
    if (ids.length === 0) return []
    query = query.where('access_methods.access_grant_id', 'in', ids)
  }
  if (filters.acs_entrance_id !== undefined) {
    const entranceId = filters.acs_entrance_id
    query = query.where('access_methods.acs_credential_id', 'in', (eb) =>
      eb
        .selectFrom('acs_credential_entrances')
        .select('acs_credential_entrances.acs_credential_id')
        .where('acs_credential_entrances.acs_entrance_id', '=', entranceId),
    )
  }
  if (filters.space_id !== undefined) {
    const spaceId = filters.space_id
    query = query.where('access_methods.access_grant_id', 'in', (eb) =>
      eb
        .selectFrom('access_grant_spaces')
        .select('access_grant_spaces.access_grant_id')
        .where('access_grant_spaces.space_id', '=', spaceId),
    )
  }
  return query
    .orderBy('access_methods.created_at')
    .orderBy('access_methods.access_method_id')
    .execute()
}

export const updateAccessMethod = async (
  db: Executor,
  accessMethodId: string,
  changes: Updateable<AccessMethodsTable>,
): Promise<AccessMethodRow> =>
  db
    .updateTable('access_methods')
    .set(changes)
    .where('access_method_id', '=', accessMethodId)
    .returningAll()
    .executeTakeFirstOrThrow()

export const deleteAccessMethods = async (
  db: Executor,
  accessMethodIds: readonly string[],
): Promise<void> => {
  if (accessMethodIds.length === 0) return
  await db
    .deleteFrom('access_methods')
    .where('access_method_id', 'in', [...accessMethodIds])
    .execute()
}

/** Every entrance a grant reaches, directly or through its spaces, oldest first. */
export const findGrantEntrances = async (
  db: Executor,
  grant: AccessGrantRow,
): Promise<AcsEntranceRow[]> => {
  const members = (await accessGrantMembers(db, [grant.access_grant_id])).get(grant.access_grant_id)
  const bySpace = await entranceIdsBySpace(db, members?.space_ids ?? [])
  const ids = new Set([...(members?.acs_entrance_ids ?? []), ...[...bySpace.values()].flat()])
  return findAcsEntrances(db, grant.workspace_id, [...ids])
}
