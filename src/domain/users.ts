import { randomBytes } from 'node:crypto'
import type { Executor, UserRow } from '../db/schema.js'
import {
  findMemberWorkspace,
  findUserByEmail,
  findUserByTokenHash,
  insertMember,
  insertPersonalAccessToken,
  insertUser,
  listPersonalAccessTokens,
  type PersonalAccessTokenListing,
  revokePersonalAccessToken as revokeTokenRow,
} from '../db/users.js'
import { findWorkspace } from '../db/workspaces.js'
import type { Principal } from './context.js'
import { DomainError } from './errors.js'
import { isUuid, newId, parseId } from './ids.js'
import { hashToken } from './workspaces.js'

/**
 * Users hold personal access tokens (PATs): one token that opens every workspace
 * its user is a member of, as Seam's PATs do. Tokens look like Seam's (`seam_at…`,
 * which the official SDK checks) and are kept only as sha256 hashes.
 */

export const generatePersonalAccessToken = (): string =>
  `seam_at1_${randomBytes(24).toString('base64url')}`

/** Emails are compared in lowercase: Jane@Hotel.com and jane@hotel.com are one user. */
export const normalizeEmail = (email: string): string => {
  const trimmed = email.trim().toLowerCase()
  if (trimmed.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
    throw new DomainError('invalid_input', 'invalid_input', `"${email}" is not an email address`)
  }
  return trimmed
}

const userByEmail = async (db: Executor, email: string): Promise<UserRow> => {
  const user = await findUserByEmail(db, normalizeEmail(email))
  if (!user) throw new DomainError('not_found', 'user_not_found', `No user with email ${email}`)
  return user
}

export const createUser = async (db: Executor, email: string, now: Date): Promise<UserRow> =>
  db.transaction().execute(async (tx) => {
    const normalized = normalizeEmail(email)
    if (await findUserByEmail(tx, normalized)) {
      throw new DomainError(
        'conflict',
        'user_already_exists',
        `A user with email ${normalized} exists`,
      )
    }
    return insertUser(tx, { user_id: newId(), email: normalized, created_at: now })
  })

/** Makes the user a member of the workspace; `added` is false when it already was. */
export const addUserToWorkspace = async (
  db: Executor,
  input: { email: string; workspaceId: string; now: Date },
): Promise<{ user: UserRow; added: boolean }> =>
  db.transaction().execute(async (tx) => {
    const user = await userByEmail(tx, input.email)
    const workspaceId = parseId(input.workspaceId, 'The workspace id')
    if (!(await findWorkspace(tx, workspaceId))) {
      throw new DomainError('not_found', 'workspace_not_found', `No workspace ${workspaceId}`)
    }
    const added = await insertMember(tx, {
      workspace_id: workspaceId,
      user_id: user.user_id,
      created_at: input.now,
    })
    return { user, added }
  })

export const createPersonalAccessToken = async (
  db: Executor,
  input: { email: string; name?: string | undefined; now: Date },
): Promise<{ personal_access_token_id: string; user: UserRow; token: string }> =>
  db.transaction().execute(async (tx) => {
    const user = await userByEmail(tx, input.email)
    const token = generatePersonalAccessToken()
    const personal_access_token_id = newId()
    await insertPersonalAccessToken(tx, {
      personal_access_token_id,
      user_id: user.user_id,
      name: input.name?.trim() || 'Personal access token',
      token_hash: hashToken(token),
      created_at: input.now,
    })
    return { personal_access_token_id, user, token }
  })

export const allPersonalAccessTokens = (db: Executor): Promise<PersonalAccessTokenListing[]> =>
  listPersonalAccessTokens(db)

export const revokePersonalAccessToken = async (
  db: Executor,
  tokenId: string,
  now: Date,
): Promise<{ revoked_at: Date }> => {
  const row = await revokeTokenRow(db, parseId(tokenId, 'The token id'), now)
  if (!row?.revoked_at) {
    throw new DomainError(
      'not_found',
      'personal_access_token_not_found',
      `No personal access token ${tokenId}`,
    )
  }
  return { revoked_at: row.revoked_at }
}

const unauthorized = (message: string) => new DomainError('unauthorized', 'unauthorized', message)

/**
 * The principal a personal access token is, in the workspace `workspaceId` names
 * (from seam-workspace) or in none. An unknown or revoked token, or a workspace that
 * does not exist or the user is not a member of, is refused alike: the answer must
 * not tell which workspaces exist.
 */
export const authenticatePersonalAccessToken = async (
  db: Executor,
  token: string,
  workspaceId: string | undefined,
): Promise<Principal> => {
  const found = token.length <= 512 ? await findUserByTokenHash(db, hashToken(token)) : undefined
  if (!found) throw unauthorized('The personal access token is not valid')
  if (workspaceId === undefined) {
    return { kind: 'personal_access_token', ...found, workspace: undefined }
  }
  const workspace = isUuid(workspaceId)
    ? await findMemberWorkspace(db, found.user_id, workspaceId.toLowerCase())
    : undefined
  if (!workspace) {
    throw unauthorized(
      `The personal access token does not open workspace ${workspaceId}: it does not exist or the token's user is not a member of it`,
    )
  }
  return {
    kind: 'personal_access_token',
    ...found,
    workspace: { workspace_id: workspace.workspace_id, is_sandbox: workspace.is_sandbox },
  }
}
