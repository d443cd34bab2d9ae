import type { Insertable } from 'kysely'
import type { Executor, WorkspaceRow, WorkspacesTable } from './schema.js'

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

/** The workspace an API key belongs to, looked up by the key's hash. */
export const findWorkspaceByApiKeyHash = async (
  db: Executor,
  tokenHash: string,
): Promise<WorkspaceRow | undefined> =>
  db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'api_keys.workspace_id')
    .selectAll('workspaces')
    .where('api_keys.token_hash', '=', tokenHash)
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
