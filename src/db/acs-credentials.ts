import { type Insertable, sql, type Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type { AcsCredentialRow, AcsCredentialsTable, Executor } from './schema.js'
import { containsText } from './search.js'

export const insertAcsCredential = async (
  db: Executor,
  row: Insertable<AcsCredentialsTable>,
  entranceIds: readonly string[],
): Promise<AcsCredentialRow> => {
  if (entranceIds.length === 0) {
    return db.insertInto('acs_credentials').values(row).returningAll().executeTakeFirstOrThrow()
  }
  // The credential and its doors in one statement (its id is known before the insert).
  return db
    .with('credential', (q) => q.insertInto('acs_credentials').values(row).returningAll())
    .with('doors', (q) =>
      q
        .insertInto('acs_credential_entrances')
        .values(
          entranceIds.map((acs_entrance_id) => ({
            acs_credential_id: row.acs_credential_id,
            acs_entrance_id,
          })),
        )
        .returning('acs_entrance_id'),
    )
    .selectFrom('credential')
    .selectAll()
    .executeTakeFirstOrThrow()
}

export const findAcsCredential = async (
  db: Executor,
  workspaceId: string,
  acsCredentialId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsCredentialRow | undefined> => {
  if (!isUuid(acsCredentialId)) return undefined
  let query = db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_credential_id', '=', acsCredentialId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

/**
 * A credential row with what presenting it needs besides, read in the same query:
 * its system's type, its user's identity, and the ids of the entrances it opens (in
 * no order: the rows come from the process's kept entrances, or one query for all of
 * a page's, in domain/credential-entrances.ts), so that a get or a list is one query.
 */
export type AcsCredentialWithExtras = AcsCredentialRow & {
  system_external_type: string | null
  user_identity_id_of_user: string | null
  entrance_ids: string[]
}

const credentialExtras = [
  sql<
    string | null
  >`(select acs_systems.external_type from acs_systems where acs_systems.acs_system_id = acs_credentials.acs_system_id)`.as(
    'system_external_type',
  ),
  sql<
    string | null
  >`(select acs_users.user_identity_id from acs_users where acs_users.acs_user_id = acs_credentials.acs_user_id)`.as(
    'user_identity_id_of_user',
  ),
  sql<
    string[]
  >`coalesce((select array_agg(ce.acs_entrance_id::text) from acs_credential_entrances ce where ce.acs_credential_id = acs_credentials.acs_credential_id), '{}'::text[])`.as(
    'entrance_ids',
  ),
] as const

/** One credential of the workspace, with what presenting it needs (see AcsCredentialWithExtras). */
export const findAcsCredentialWithExtras = async (
  db: Executor,
  workspaceId: string,
  acsCredentialId: string,
): Promise<AcsCredentialWithExtras | undefined> => {
  if (!isUuid(acsCredentialId)) return undefined
  return db
    .selectFrom('acs_credentials')
    .selectAll('acs_credentials')
    .select(credentialExtras)
    .where('workspace_id', '=', workspaceId)
    .where('acs_credential_id', '=', acsCredentialId)
    .executeTakeFirst()
}

export interface AcsCredentialFilters {
  acs_user_id?: string | undefined
  acs_system_id?: string | undefined
  user_identity_id?: string | undefined
  is_multi_phone_sync_credential?: boolean | undefined
  created_before?: Date | undefined
  search?: string | undefined
  /** A client session's reach: only these ids (see domain/client-session-scope.ts). */
  only_ids?: readonly string[] | undefined
}

export const listAcsCredentials = async (
  db: Executor,
  workspaceId: string,
  filters: AcsCredentialFilters,
  page: PageRequest,
): Promise<Page<AcsCredentialWithExtras>> => {
  let query = db
    .selectFrom('acs_credentials')
    .selectAll('acs_credentials')
    .select(credentialExtras)
    .where('acs_credentials.workspace_id', '=', workspaceId)
  if (filters.only_ids !== undefined) {
    if (filters.only_ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('acs_credentials.acs_credential_id', 'in', [...filters.only_ids])
  }
  if (filters.acs_user_id !== undefined) {
    query = query.where('acs_credentials.acs_user_id', '=', filters.acs_user_id)
  }
  if (filters.acs_system_id !== undefined) {
    query = query.where('acs_credentials.acs_system_id', '=', filters.acs_system_id)
  }
  if (filters.user_identity_id !== undefined) {
    const userIdentityId = filters.user_identity_id
    query = query.where('acs_credentials.acs_user_id', 'in', (eb) =>
      eb
        .selectFrom('acs_users')
        .select('acs_users.acs_user_id')
        .where('acs_users.user_identity_id', '=', userIdentityId),
    )
  }
  if (filters.is_multi_phone_sync_credential !== undefined) {
    query = query.where(
      'acs_credentials.is_multi_phone_sync_credential',
      '=',
      filters.is_multi_phone_sync_credential,
    )
  }
  if (filters.created_before !== undefined) {
    query = query.where('acs_credentials.created_at', '<', filters.created_before)
  }
  if (filters.search !== undefined) {
    const search = filters.search
    // display_name is made of the entrances' names: a partial match of one of them.
    query = query.where((eb) =>
      eb.or([
        containsText(['acs_credentials.card_number', 'acs_credentials.code'], search, [
          'acs_credentials.acs_user_id',
          'acs_credentials.acs_credential_id',
        ]),
        eb(
          'acs_credentials.acs_credential_id',
          'in',
          eb
            .selectFrom('acs_credential_entrances')
            .innerJoin(
              'acs_entrances',
              'acs_entrances.acs_entrance_id',
              'acs_credential_entrances.acs_entrance_id',
            )
            .select('acs_credential_entrances.acs_credential_id')
            .where(containsText(['acs_entrances.display_name'], search)),
        ),
      ]),
    )
  }
  return paginate(query, 'acs_credentials', 'acs_credential_id', page)
}

/** Credentials that open an entrance, oldest first. */
export const listAcsCredentialsForEntrance = async (
  db: Executor,
  workspaceId: string,
  acsEntranceId: string,
): Promise<AcsCredentialRow[]> =>
  db
    .selectFrom('acs_credentials')
    .innerJoin(
      'acs_credential_entrances',
      'acs_credential_entrances.acs_credential_id',
      'acs_credentials.acs_credential_id',
    )
    .selectAll('acs_credentials')
    .where('acs_credentials.workspace_id', '=', workspaceId)
    .where('acs_credential_entrances.acs_entrance_id', '=', acsEntranceId)
    .orderBy('acs_credentials.created_at')
    .orderBy('acs_credentials.acs_credential_id')
    .execute()

/** Issued cards of an access system that open any of these entrances. */
export const findIssuedCardsOpening = async (
  db: Executor,
  acsSystemId: string,
  acsEntranceIds: readonly string[],
): Promise<AcsCredentialRow[]> => {
  if (acsEntranceIds.length === 0) return []
  return db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('acs_system_id', '=', acsSystemId)
    .where('access_method', '=', 'card')
    .where('is_issued', '=', true)
    .where('acs_credential_id', 'in', (eb) =>
      eb
        .selectFrom('acs_credential_entrances')
        .select('acs_credential_entrances.acs_credential_id')
        .where('acs_credential_entrances.acs_entrance_id', 'in', [...acsEntranceIds]),
    )
    .orderBy('created_at')
    .orderBy('acs_credential_id')
    .forUpdate()
    .execute()
}

export const listAcsCredentialsOfUser = async (
  db: Executor,
  acsUserId: string,
): Promise<AcsCredentialRow[]> =>
  db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('acs_user_id', '=', acsUserId)
    .orderBy('created_at')
    .execute()

/**
 * A user's credentials that no Access Grant made (no access method names them): the
 * ones the user's own access (groups, revocation) decides.
 */
export const listAcsCredentialsOfUserOutsideGrants = async (
  db: Executor,
  acsUserId: string,
): Promise<AcsCredentialRow[]> =>
  db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('acs_user_id', '=', acsUserId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('access_methods')
            .select('access_methods.access_method_id')
            .whereRef('access_methods.acs_credential_id', '=', 'acs_credentials.acs_credential_id'),
        ),
      ),
    )
    .orderBy('created_at')
    .execute()

export const updateAcsCredential = async (
  db: Executor,
  acsCredentialId: string,
  changes: Updateable<AcsCredentialsTable>,
): Promise<AcsCredentialRow> =>
  db
    .updateTable('acs_credentials')
    .set(changes)
    .where('acs_credential_id', '=', acsCredentialId)
    .returningAll()
    .executeTakeFirstOrThrow()

export const deleteAcsCredentials = async (
  db: Executor,
  acsCredentialIds: readonly string[],
): Promise<void> => {
  if (acsCredentialIds.length === 0) return
  await db
    .deleteFrom('acs_credentials')
    .where('acs_credential_id', 'in', [...acsCredentialIds])
    .execute()
}

/** The most recently issued card credential of an access system, if any. */
export const findLatestIssuedCardCredential = async (
  db: Executor,
  acsSystemId: string,
): Promise<AcsCredentialRow | undefined> =>
  db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('acs_system_id', '=', acsSystemId)
    .where('access_method', '=', 'card')
    .where('is_issued', '=', true)
    .orderBy('issued_at', 'desc')
    .executeTakeFirst()

/** Replaces the entrances a credential opens. */
export const setCredentialEntrances = async (
  db: Executor,
  acsCredentialId: string,
  entranceIds: readonly string[],
): Promise<void> => {
  await db
    .deleteFrom('acs_credential_entrances')
    .where('acs_credential_id', '=', acsCredentialId)
    .execute()
  if (entranceIds.length === 0) return
  await db
    .insertInto('acs_credential_entrances')
    .values(
      entranceIds.map((acs_entrance_id) => ({
        acs_credential_id: acsCredentialId,
        acs_entrance_id,
      })),
    )
    .execute()
}

export const findAcsCredentialsByIds = async (
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, AcsCredentialRow>> => {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('acs_credentials')
    .selectAll()
    .where('acs_credential_id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((row) => [row.acs_credential_id, row]))
}
