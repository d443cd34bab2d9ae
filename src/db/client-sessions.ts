import { sql, type Updateable } from 'kysely'
import { isUuid } from './pagination.js'
import {
  type ClientSessionRow,
  type ClientSessionsTable,
  type Executor,
  json,
  type PublishableKeyRow,
  type WorkspaceRow,
} from './schema.js'

/** Publishable keys, client sessions, and what a client session reaches. */

export const findServerSecret = async (db: Executor, name: string): Promise<string | undefined> =>
  (
    await db
      .selectFrom('server_secrets')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst()
  )?.value

export const insertPublishableKey = async (
  db: Executor,
  row: Omit<PublishableKeyRow, 'revoked_at'>,
): Promise<void> => {
  await db.insertInto('publishable_keys').values(row).execute()
}

export const listPublishableKeys = async (
  db: Executor,
  workspaceId: string,
): Promise<PublishableKeyRow[]> =>
  db
    .selectFrom('publishable_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('publishable_key_id')
    .execute()

/** Marks a key revoked (once: a second revocation keeps the first time). */
export const revokePublishableKey = async (
  db: Executor,
  publishableKeyId: string,
  now: Date,
): Promise<PublishableKeyRow | undefined> =>
  db
    .updateTable('publishable_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${now})` })
    .where('publishable_key_id', '=', publishableKeyId)
    .returningAll()
    .executeTakeFirst()

/** The workspace of a publishable key that is not revoked, by the key's hash. */
export const findWorkspaceByPublishableKeyHash = async (
  db: Executor,
  keyHash: string,
): Promise<(WorkspaceRow & { publishable_key_id: string }) | undefined> =>
  db
    .selectFrom('publishable_keys')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'publishable_keys.workspace_id')
    .selectAll('workspaces')
    .select('publishable_keys.publishable_key_id')
    .where('publishable_keys.key_hash', '=', keyHash)
    .where('publishable_keys.revoked_at', 'is', null)
    .executeTakeFirst()

export interface NewClientSession {
  client_session_id: string
  workspace_id: string
  token_hash: string
  user_identifier_key: string | null
  user_identity_ids: string[]
  connected_account_ids: string[]
  publishable_key_id: string | null
  created_at: Date
  expires_at: Date
}

export const insertClientSession = async (
  db: Executor,
  row: NewClientSession,
): Promise<ClientSessionRow> =>
  db
    .insertInto('client_sessions')
    .values({
      ...row,
      user_identity_ids: json(row.user_identity_ids),
      connected_account_ids: json(row.connected_account_ids),
    })
    .returningAll()
    .executeTakeFirstOrThrow()

export const updateClientSession = async (
  db: Executor,
  clientSessionId: string,
  changes: Updateable<ClientSessionsTable>,
): Promise<ClientSessionRow | undefined> =>
  db
    .updateTable('client_sessions')
    .set(changes)
    .where('client_session_id', '=', clientSessionId)
    .returningAll()
    .executeTakeFirst()

export const deleteClientSession = async (db: Executor, clientSessionId: string): Promise<void> => {
  await db.deleteFrom('client_sessions').where('client_session_id', '=', clientSessionId).execute()
}

export const findClientSession = async (
  db: Executor,
  workspaceId: string,
  clientSessionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ClientSessionRow | undefined> => {
  if (!isUuid(clientSessionId)) return undefined
  let query = db
    .selectFrom('client_sessions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('client_session_id', '=', clientSessionId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

/** The newest session of a user_identifier_key (optionally only a live one). */
export const findClientSessionByKey = async (
  db: Executor,
  workspaceId: string,
  userIdentifierKey: string,
  options: { liveAt?: Date; forUpdate?: boolean } = {},
): Promise<ClientSessionRow | undefined> => {
  let query = db
    .selectFrom('client_sessions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('user_identifier_key', '=', userIdentifierKey)
  if (options.liveAt) {
    query = query.where('revoked_at', 'is', null).where('expires_at', '>', options.liveAt)
  }
  if (options.forUpdate) query = query.forUpdate()
  return query
    .orderBy('created_at', 'desc')
    .orderBy('client_session_id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export const findClientSessionByTokenHash = async (
  db: Executor,
  tokenHash: string,
): Promise<(ClientSessionRow & { is_sandbox: boolean }) | undefined> =>
  db
    .selectFrom('client_sessions')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'client_sessions.workspace_id')
    .selectAll('client_sessions')
    .select('workspaces.is_sandbox')
    .where('client_sessions.token_hash', '=', tokenHash)
    .executeTakeFirst()

export interface ClientSessionFilters {
  client_session_id?: string | undefined
  user_identifier_key?: string | undefined
  user_identity_id?: string | undefined
  without_user_identifier_key?: boolean | undefined
}

/** A workspace's sessions, oldest first. */
export const listClientSessions = async (
  db: Executor,
  workspaceId: string,
  filters: ClientSessionFilters,
): Promise<ClientSessionRow[]> => {
  let query = db.selectFrom('client_sessions').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.client_session_id !== undefined) {
    if (!isUuid(filters.client_session_id)) return []
    query = query.where('client_session_id', '=', filters.client_session_id.toLowerCase())
  }
  if (filters.user_identifier_key !== undefined) {
    query = query.where('user_identifier_key', '=', filters.user_identifier_key)
  }
  if (filters.without_user_identifier_key === true) {
    query = query.where('user_identifier_key', 'is', null)
  }
  if (filters.user_identity_id !== undefined) {
    query = query.where(
      sql<boolean>`user_identity_ids @> ${json([filters.user_identity_id.toLowerCase()])}::jsonb`,
    )
  }
  return query.orderBy('created_at').orderBy('client_session_id').limit(10_000).execute()
}

/** Ids of `ids` that exist in the workspace's table `table`. */
export const existingIds = async (
  db: Executor,
  table: 'user_identities' | 'connected_accounts',
  workspaceId: string,
  ids: readonly string[],
): Promise<string[]> => {
  const valid = ids.filter(isUuid).map((id) => id.toLowerCase())
  if (valid.length === 0) return []
  const column = table === 'user_identities' ? 'user_identity_id' : 'connected_account_id'
  const rows = await db
    .selectFrom(table)
    .select(column)
    .where('workspace_id', '=', workspaceId)
    .where(column, 'in', valid)
    .execute()
  return rows.map((row) => (row as Record<string, string>)[column] ?? '')
}

/** Everything a client session reaches, as id lists (see domain/client-session-scope.ts). */
export interface ReachableIds {
  user_identity_ids: string[]
  connected_account_ids: string[]
  acs_system_ids: string[]
  acs_user_ids: string[]
  acs_credential_ids: string[]
  acs_entrance_ids: string[]
}

/**
 * What a session granted `userIdentityIds` and `connectedAccountIds` reaches: the
 * identities, their ACS users and those users' credentials, the entrances the
 * credentials open and the systems they belong to; and for a connected account, its
 * access systems whole (users, credentials, entrances).
 */
export const findReachableIds = async (
  db: Executor,
  workspaceId: string,
  userIdentityIds: readonly string[],
  connectedAccountIds: readonly string[],
): Promise<ReachableIds> => {
  const identities = await existingIds(db, 'user_identities', workspaceId, userIdentityIds)
  const accounts = await existingIds(db, 'connected_accounts', workspaceId, connectedAccountIds)
  const none = sql<boolean>`false`
  const users = await db
    .selectFrom('acs_users')
    .select(['acs_user_id', 'acs_system_id', 'connected_account_id'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        identities.length > 0 ? eb('user_identity_id', 'in', identities) : none,
        accounts.length > 0 ? eb('connected_account_id', 'in', accounts) : none,
      ]),
    )
    .execute()
  const userIds = users.map((u) => u.acs_user_id)
  const credentials =
    userIds.length === 0
      ? []
      : await db
          .selectFrom('acs_credentials')
          .select(['acs_credential_id'])
          .where('workspace_id', '=', workspaceId)
          .where('acs_user_id', 'in', userIds)
          .execute()
  const credentialIds = credentials.map((c) => c.acs_credential_id)
  const entrances = await db
    .selectFrom('acs_entrances')
    .select(['acs_entrance_id', 'acs_system_id'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        accounts.length > 0 ? eb('connected_account_id', 'in', accounts) : none,
        credentialIds.length > 0
          ? eb(
              'acs_entrance_id',
              'in',
              eb
                .selectFrom('acs_credential_entrances')
                .select('acs_credential_entrances.acs_entrance_id')
                .where('acs_credential_entrances.acs_credential_id', 'in', credentialIds),
            )
          : none,
      ]),
    )
    .execute()
  const systems = await db
    .selectFrom('acs_systems')
    .select(['acs_system_id', 'connected_account_id'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        accounts.length > 0 ? eb('connected_account_id', 'in', accounts) : none,
        users.length > 0
          ? eb(
              'acs_system_id',
              'in',
              users.map((u) => u.acs_system_id),
            )
          : none,
      ]),
    )
    .execute()
  const unique = (values: Iterable<string>) => [...new Set(values)]
  return {
    user_identity_ids: identities,
    connected_account_ids: unique([...accounts, ...systems.map((s) => s.connected_account_id)]),
    acs_system_ids: unique(systems.map((s) => s.acs_system_id)),
    acs_user_ids: userIds,
    acs_credential_ids: credentialIds,
    acs_entrance_ids: unique(entrances.map((e) => e.acs_entrance_id)),
  }
}
