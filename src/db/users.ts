import { sql } from 'kysely'
import type { Executor, PersonalAccessTokenRow, UserRow, WorkspaceRow } from './schema.js'

/** Users (people who hold personal access tokens), their workspaces and their tokens. */

export const insertUser = async (db: Executor, row: UserRow): Promise<UserRow> =>
  db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow()

export const findUserByEmail = async (db: Executor, email: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()

export const listUsers = async (db: Executor): Promise<UserRow[]> =>
  db.selectFrom('users').selectAll().orderBy('created_at').orderBy('user_id').execute()

/** Adds a member; false when the user already was one. */
export const insertMember = async (
  db: Executor,
  row: { workspace_id: string; user_id: string; created_at: Date },
): Promise<boolean> => {
  const inserted = await db
    .insertInto('workspace_members')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst()
  return inserted !== undefined
}

export const isMember = async (
  db: Executor,
  userId: string,
  workspaceId: string,
): Promise<boolean> =>
  (await db
    .selectFrom('workspace_members')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()) !== undefined

/** The workspaces a user belongs to, oldest first. */
export const listUserWorkspaces = async (db: Executor, userId: string): Promise<WorkspaceRow[]> =>
  db
    .selectFrom('workspace_members')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'workspace_members.workspace_id')
    .selectAll('workspaces')
    .where('workspace_members.user_id', '=', userId)
    .orderBy('workspaces.created_at')
    .orderBy('workspaces.workspace_id')
    .execute()

/** The workspace `workspaceId` if the user is a member of it. */
export const findMemberWorkspace = async (
  db: Executor,
  userId: string,
  workspaceId: string,
): Promise<WorkspaceRow | undefined> =>
  db
    .selectFrom('workspace_members')
    .innerJoin('workspaces', 'workspaces.workspace_id', 'workspace_members.workspace_id')
    .selectAll('workspaces')
    .where('workspace_members.user_id', '=', userId)
    .where('workspace_members.workspace_id', '=', workspaceId)
    .executeTakeFirst()

export const insertPersonalAccessToken = async (
  db: Executor,
  row: Omit<PersonalAccessTokenRow, 'revoked_at'>,
): Promise<void> => {
  await db.insertInto('personal_access_tokens').values(row).execute()
}

/** The user of a token that is not revoked, by the token's hash. */
export const findUserByTokenHash = async (
  db: Executor,
  tokenHash: string,
): Promise<{ user_id: string; personal_access_token_id: string } | undefined> =>
  db
    .selectFrom('personal_access_tokens')
    .select(['user_id', 'personal_access_token_id'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()

export type PersonalAccessTokenListing = Omit<PersonalAccessTokenRow, 'token_hash'> & {
  email: string
}

export const listPersonalAccessTokens = async (
  db: Executor,
): Promise<PersonalAccessTokenListing[]> =>
  db
    .selectFrom('personal_access_tokens')
    .innerJoin('users', 'users.user_id', 'personal_access_tokens.user_id')
    .select([
      'personal_access_tokens.personal_access_token_id',
      'personal_access_tokens.user_id',
      'personal_access_tokens.name',
      'personal_access_tokens.created_at',
      'personal_access_tokens.revoked_at',
      'users.email',
    ])
    .orderBy('personal_access_tokens.created_at')
    .orderBy('personal_access_tokens.personal_access_token_id')
    .execute()

/** Marks a token revoked (once: a second revocation keeps the first time). */
export const revokePersonalAccessToken = async (
  db: Executor,
  tokenId: string,
  now: Date,
): Promise<PersonalAccessTokenRow | undefined> =>
  db
    .updateTable('personal_access_tokens')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${now})` })
    .where('personal_access_token_id', '=', tokenId)
    .returningAll()
    .executeTakeFirst()
