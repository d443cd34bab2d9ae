import type {
  AcsEntrance,
  AcsSystem,
  AcsUser,
  RouteRequestBody,
  UserIdentity,
} from '@seamapi/types/connect'
import { findAccessGrantsOfIdentity } from '../db/access-grants.js'
import { listAcsCredentialsOfUser } from '../db/acs-credentials.js'
import { entrancesByCredential, findAcsSystem, findAcsSystemsByIds } from '../db/acs-systems.js'
import { findAcsUser, updateAcsUser } from '../db/acs-users.js'
import type { Page } from '../db/pagination.js'
import type { AcsUserRow, Executor, UserIdentityRow } from '../db/schema.js'
import {
  acsUserIdsByIdentity,
  deleteUserIdentity,
  findUserIdentity,
  insertUserIdentity,
  listAcsUsersOfIdentity,
  listUserIdentities,
  updateUserIdentity,
} from '../db/user-identities.js'
import { toUserIdentity } from '../resources/access.js'
import { deleteAccessGrantRows } from './access-methods.js'
import {
  assertNoAcsUserInSystem,
  deleteAcsUserRows,
  ensureAcsUserForIdentity,
  presentUsers,
  requireAcsUser,
} from './acs-users.js'
import { assertReachable, reachableIds } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { assertNotEmpty, DomainError, invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'
import { presentEntrances, presentSystems } from './present.js'
import { parseOptionalTime } from './time.js'

export const presentIdentities = async (
  db: Executor,
  rows: readonly UserIdentityRow[],
): Promise<UserIdentity[]> => {
  const acsUsers = await acsUserIdsByIdentity(
    db,
    rows.map((row) => row.user_identity_id),
  )
  return rows.map((row) => toUserIdentity(row, acsUsers.get(row.user_identity_id) ?? []))
}

const presentIdentity = async (db: Executor, row: UserIdentityRow): Promise<UserIdentity> => {
  const [identity] = await presentIdentities(db, [row])
  if (!identity) throw new Error('presentIdentities returned nothing')
  return identity
}

export interface IdentitySelector {
  user_identity_id?: string | undefined
  user_identity_key?: string | undefined
}

export const requireUserIdentity = async (
  db: Executor,
  scope: WorkspaceScope,
  selector: IdentitySelector,
  options: { forUpdate?: boolean } = {},
): Promise<UserIdentityRow> => {
  const row = await findUserIdentity(db, scope.workspace_id, selector, options)
  if (!row) throw notFound('user_identity', selector.user_identity_id ?? selector.user_identity_key)
  return row
}

const assertKeyFree = async (
  db: Executor,
  scope: WorkspaceScope,
  key: string | null | undefined,
  exceptId?: string,
): Promise<void> => {
  if (key === null || key === undefined) return
  const holder = await findUserIdentity(db, scope.workspace_id, { user_identity_key: key })
  if (holder && holder.user_identity_id !== exceptId) {
    throw new DomainError(
      'conflict',
      'user_identity_key_already_in_use',
      `Another user identity already has user_identity_key "${key}"`,
    )
  }
}

export interface IdentityProfile {
  full_name?: string | null | undefined
  email_address?: string | null | undefined
  phone_number?: string | null | undefined
  user_identity_key?: string | null | undefined
}

/** Creates a user identity in the caller's transaction (also used by Access Grants). */
export const insertIdentity = async (
  db: Executor,
  scope: WorkspaceScope,
  profile: IdentityProfile,
  now: Date,
): Promise<UserIdentityRow> => {
  assertNotEmpty({ full_name: profile.full_name, user_identity_key: profile.user_identity_key })
  await assertKeyFree(db, scope, profile.user_identity_key)
  return insertUserIdentity(db, {
    user_identity_id: newId(),
    workspace_id: scope.workspace_id,
    user_identity_key: profile.user_identity_key ?? null,
    full_name: profile.full_name ?? null,
    email_address: profile.email_address ?? null,
    phone_number: profile.phone_number ?? null,
    created_at: now,
    updated_at: now,
  })
}

export const createUserIdentity = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/user_identities/create'>,
): Promise<UserIdentity> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const identity = await insertIdentity(db, scope, input, now)
    for (const acsSystemId of new Set(input.acs_system_ids ?? [])) {
      const system = await findAcsSystem(db, scope.workspace_id, acsSystemId)
      if (!system) throw notFound('acs_system', acsSystemId)
      await ensureAcsUserForIdentity(db, identity, system, now)
    }
    return presentIdentity(db, identity)
  })

export const getUserIdentity = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: IdentitySelector,
): Promise<UserIdentity> =>
  presentIdentity(ctx.db, await requireUserIdentity(ctx.db, scope, selector))

export const listUserIdentitiesPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/user_identities/list'>,
): Promise<Page<UserIdentity>> => {
  // Keysmith has no credential manager systems, so no identity is enrolled in one.
  if (input.credential_manager_acs_system_id !== undefined)
    return { items: [], nextPageCursor: null }
  const page = await listUserIdentities(
    ctx.db,
    scope.workspace_id,
    {
      user_identity_ids: input.user_identity_ids,
      created_before: parseOptionalTime(input.created_before, 'created_before'),
      search: input.search,
      only_ids: reachableIds(scope, 'user_identity'),
    },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  return { ...page, items: await presentIdentities(ctx.db, page.items) }
}

/** Updates an identity; its ACS users follow its name and contacts. */
export const updateUserIdentityProfile = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/user_identities/update'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const identity = await requireUserIdentity(
      db,
      scope,
      { user_identity_id: input.user_identity_id },
      { forUpdate: true },
    )
    assertNotEmpty({ full_name: input.full_name, user_identity_key: input.user_identity_key })
    await assertKeyFree(db, scope, input.user_identity_key, identity.user_identity_id)
    const changes = {
      ...(input.full_name !== undefined ? { full_name: input.full_name } : {}),
      ...(input.email_address !== undefined ? { email_address: input.email_address } : {}),
      ...(input.phone_number !== undefined ? { phone_number: input.phone_number } : {}),
    }
    await updateUserIdentity(db, identity.user_identity_id, {
      ...changes,
      ...(input.user_identity_key !== undefined
        ? { user_identity_key: input.user_identity_key }
        : {}),
      updated_at: now,
    })
    if (Object.keys(changes).length === 0) return
    for (const user of await listAcsUsersOfIdentity(db, identity.user_identity_id)) {
      await updateAcsUser(db, user.acs_user_id, {
        ...(changes.full_name ? { full_name: changes.full_name } : {}),
        ...(changes.email_address !== undefined ? { email_address: changes.email_address } : {}),
        ...(changes.phone_number !== undefined ? { phone_number: changes.phone_number } : {}),
        updated_at: now,
      })
    }
  })

/** Deletes an identity with everything it holds: its Access Grants, ACS users and credentials. */
export const deleteUserIdentityAndAccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  userIdentityId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const identity = await requireUserIdentity(
      db,
      scope,
      { user_identity_id: userIdentityId },
      {
        forUpdate: true,
      },
    )
    await deleteAccessGrantRows(
      db,
      await findAccessGrantsOfIdentity(db, identity.user_identity_id),
      now,
    )
    await deleteAcsUserRows(db, await listAcsUsersOfIdentity(db, identity.user_identity_id), now)
    await deleteUserIdentity(db, identity.user_identity_id)
  })

export const addAcsUserToIdentity = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/user_identities/add_acs_user'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const user = await requireAcsUser(db, scope, input, { forUpdate: true })
    const identity = await identityToLink(db, scope, input, user, ctx.now())
    if (user.user_identity_id === identity.user_identity_id) return
    if (user.user_identity_id !== null) {
      throw invalidInput('The ACS user already belongs to another user identity', 'acs_user_id')
    }
    await assertNoAcsUserInSystem(db, identity, user.acs_system_id, 'acs_user_id')
    await updateAcsUser(db, user.acs_user_id, {
      user_identity_id: identity.user_identity_id,
      updated_at: ctx.now(),
    })
  })

/**
 * The user identity `add_acs_user` links to. An unknown `user_identity_key` makes a
 * new identity with that key and the ACS user's name and contacts, as the document
 * says.
 */
const identityToLink = async (
  db: Executor,
  scope: WorkspaceScope,
  input: { user_identity_id?: string; user_identity_key?: string },
  user: AcsUserRow,
  now: Date,
): Promise<UserIdentityRow> => {
  const key = input.user_identity_id === undefined ? input.user_identity_key : undefined
  if (key === undefined) return requireUserIdentity(db, scope, input, { forUpdate: true })
  const found = await findUserIdentity(
    db,
    scope.workspace_id,
    { user_identity_key: key },
    { forUpdate: true },
  )
  if (found) return found
  return insertIdentity(
    db,
    scope,
    {
      user_identity_key: key,
      full_name: user.full_name,
      email_address: user.email_address,
      phone_number: user.phone_number,
    },
    now,
  )
}

export const removeAcsUserFromIdentity = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/user_identities/remove_acs_user'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const identity = await requireUserIdentity(db, scope, input, { forUpdate: true })
    const user = await findAcsUser(db, scope.workspace_id, input.acs_user_id, { forUpdate: true })
    if (!user || user.user_identity_id !== identity.user_identity_id) {
      throw notFound('acs_user', input.acs_user_id)
    }
    await updateAcsUser(db, user.acs_user_id, { user_identity_id: null, updated_at: ctx.now() })
  })

/** The ACS users of a user identity of this workspace (404 for an unknown identity). */
const usersOfIdentity = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  userIdentityId: string,
): Promise<AcsUserRow[]> => {
  assertReachable(scope, 'user_identity', userIdentityId)
  const identity = await requireUserIdentity(ctx.db, scope, { user_identity_id: userIdentityId })
  return listAcsUsersOfIdentity(ctx.db, identity.user_identity_id)
}

export const listIdentityAcsUsers = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  userIdentityId: string,
): Promise<AcsUser[]> => {
  return presentUsers(ctx.db, ctx.providers, await usersOfIdentity(ctx, scope, userIdentityId))
}

export const listIdentityAcsSystems = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  userIdentityId: string,
): Promise<AcsSystem[]> => {
  const users = await usersOfIdentity(ctx, scope, userIdentityId)
  const systems = await findAcsSystemsByIds(
    ctx.db,
    users.map((u) => u.acs_system_id),
  )
  return presentSystems(
    ctx.db,
    ctx.providers,
    [...systems.values()].sort((a, b) => a.created_at.getTime() - b.created_at.getTime()),
    ctx.now(),
    ctx.settings.bridgeStaleMs,
  )
}

/** Entrances any credential of any of the identity's ACS users opens. */
export const listIdentityEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  userIdentityId: string,
): Promise<AcsEntrance[]> => {
  const users = await usersOfIdentity(ctx, scope, userIdentityId)
  const credentialIds: string[] = []
  for (const user of users) {
    for (const c of await listAcsCredentialsOfUser(ctx.db, user.acs_user_id)) {
      credentialIds.push(c.acs_credential_id)
    }
  }
  const byCredential = await entrancesByCredential(ctx.db, credentialIds)
  const unique = new Map([...byCredential.values()].flat().map((e) => [e.acs_entrance_id, e]))
  const entrances = [...unique.values()].sort(
    (a, b) =>
      a.created_at.getTime() - b.created_at.getTime() ||
      a.acs_entrance_id.localeCompare(b.acs_entrance_id),
  )
  return presentEntrances(ctx.db, ctx.providers, entrances)
}
