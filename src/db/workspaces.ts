import { type Insertable, sql, type Updateable } from 'kysely'
import type { ApiKeyRow, Executor, WorkspaceRow, WorkspacesTable } from './schema.js'

export const insertWorkspace = async (
  db: Executor,
  row: Insertable<WorkspacesTable>,
): Promise<WorkspaceRow> =>
  db.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow()

export const findWorkspace = async (
  db: Executor,
  workspaceId: string,
): Promise<WorkspaceRow | undefined> =>
  db.selectFrom('workspaces').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst()

export const listWorkspaces = async (db: Executor): Promise<WorkspaceRow[]> =>
  db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('workspace_id').execute()

export const insertApiKey = async (
  db: Executor,
  row: {
    api_key_id: string
    workspace_id: string
    name: string
    token_hash: string
    created_at: Date
  },
): Promise<void> => {
  await db.insertInto('api_keys').values(row).execute()
}

/** The workspace an API key that is not revoked belongs to, looked up by the key's hash. */
export const findWorkspaceByApiKeyHash = async (
  db: Executor,
  tokenHash: string,
): Promise<(WorkspaceRow & { api_key_id: string }) | undefined> =>
  db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'api_keys.workspace_id')
    .selectAll('workspaces')
    .select('api_keys.api_key_id')
    .where('api_keys.token_hash', '=', tokenHash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst()

/** A workspace's API keys, oldest first, revoked ones included. */
export const listApiKeys = async (db: Executor, workspaceId: string): Promise<ApiKeyRow[]> =>
  db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('api_key_id')
    .execute()

export const findApiKey = async (db: Executor, apiKeyId: string): Promise<ApiKeyRow | undefined> =>
  db.selectFrom('api_keys').selectAll().where('api_key_id', '=', apiKeyId).executeTakeFirst()

/** Announced (NOTIFY, on commit) whenever a credential lookup could answer otherwise. */
export const authChannel = 'keysmith_auth'

/**
 * Marks a key revoked (once: a second revocation keeps the first time), and tells
 * every process (at commit) to forget the credential lookups it keeps.
 */
export const revokeApiKey = async (
  db: Executor,
  apiKeyId: string,
  now: Date,
): Promise<ApiKeyRow | undefined> => {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${now})` })
    .where('api_key_id', '=', apiKeyId)
    .returningAll()
    .executeTakeFirst()
  if (row) await sql`select pg_notify(${authChannel}, '')`.execute(db)
  return row
}

export const updateWorkspace = async (
  db: Executor,
  workspaceId: string,
  changes: Updateable<WorkspacesTable>,
): Promise<WorkspaceRow | undefined> =>
  Object.keys(changes).length === 0
    ? findWorkspace(db, workspaceId)
    : db
        .updateTable('workspaces')
        .set(changes)
        .where('workspace_id', '=', workspaceId)
        .returningAll()
        .executeTakeFirst()

/**
 * Removes everything a workspace holds except the workspace itself, its keys,
 * resets and attempts still pending (their clients are polling them; those whose
 * encoder or credential is gone finish with an error): user identities cascade to
 * Access Grants and their access methods; the connected accounts cascade to systems,
 * entrances, users, credentials, cards and encoders.
 */
export const clearWorkspaceData = async (db: Executor, workspaceId: string): Promise<void> => {
  await db.deleteFrom('events').where('workspace_id', '=', workspaceId).execute()
  await db
    .deleteFrom('action_attempts')
    .where('workspace_id', '=', workspaceId)
    .where('status', '!=', 'pending')
    .where('action_type', '!=', 'RESET_SANDBOX_WORKSPACE')
    .execute()
  await db.deleteFrom('user_identities').where('workspace_id', '=', workspaceId).execute()
  await db.deleteFrom('spaces').where('workspace_id', '=', workspaceId).execute()
  await db.deleteFrom('connected_accounts').where('workspace_id', '=', workspaceId).execute()
}
