import type { AcsAccessGroup, AcsEntrance, AcsUser, RouteRequestBody } from '@seamapi/types/connect'
import {
  accessGroupEntrances,
  accessGroupUsers,
  addAccessGroupUser,
  deleteAccessGroup,
  entranceIdsGrantedToUser,
  entrancesOfUser,
  findAccessGroup,
  listAccessGroups,
  removeAccessGroupUser,
  removeUserFromAllAccessGroups,
} from '../db/access-groups.js'
import { listAcsCredentialsOfUserOutsideGrants } from '../db/acs-credentials.js'
import { findAcsSystem, findAcsSystemsByIds } from '../db/acs-systems.js'
import { revokeUserEntrances } from '../db/acs-user-entrances.js'
import type { AcsAccessGroupRow, AcsUserRow, Executor } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toAcsAccessGroup } from '../resources/acs.js'
import { changeCredentialAccess } from './acs-credentials.js'
import { type AcsUserSelector, presentUsers, requireAcsUser } from './acs-users.js'
import { assertReachable, keepReachable } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { invalidInput, notFound } from './errors.js'
import { presentEntrances } from './present.js'

/**
 * Access groups: in systems that give access by groups (their provider's
 * `traits.accessGroups`), a group is preconfigured with entrances and a user's
 * credentials open the entrances of all the user's groups. Adding a user to a group,
 * removing one, or deleting a group changes those credentials in the same
 * transaction: an encoded card then no longer matches what is written on it and
 * shows `needs_to_be_reissued` until it is encoded again.
 */

/** Most groups one list returns (the document's list has no pagination). */
const listLimit = 1000

export const requireAccessGroup = async (
  db: Executor,
  scope: WorkspaceScope,
  acsAccessGroupId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsAccessGroupRow> => {
  // A client session reaches no access groups (only `/acs/access_groups/delete`
  // accepts one): to it every group is not found.
  if (scope.reach) throw notFound('acs_access_group', acsAccessGroupId)
  const row = await findAccessGroup(db, scope.workspace_id, acsAccessGroupId, options)
  if (!row) throw notFound('acs_access_group', acsAccessGroupId)
  return row
}

const presentGroups = async (
  db: Executor,
  providers: ProviderRegistry,
  rows: readonly AcsAccessGroupRow[],
): Promise<AcsAccessGroup[]> => {
  const systems = await findAcsSystemsByIds(
    db,
    rows.map((row) => row.acs_system_id),
  )
  return rows.flatMap((row) => {
    const provider = providers.forSystem(systems.get(row.acs_system_id)?.external_type ?? '')
    const group = toAcsAccessGroup(row, provider)
    return group ? [group] : []
  })
}

export const getAccessGroup = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsAccessGroupId: string,
): Promise<AcsAccessGroup> => {
  const row = await requireAccessGroup(ctx.db, scope, acsAccessGroupId)
  const [group] = await presentGroups(ctx.db, ctx.providers, [row])
  if (!group) throw notFound('acs_access_group', acsAccessGroupId)
  return group
}

export const listAccessGroupsOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/access_groups/list'>,
): Promise<AcsAccessGroup[]> => {
  const rows = await listAccessGroups(
    ctx.db,
    scope.workspace_id,
    {
      acs_system_id: input.acs_system_id,
      acs_user_id: input.acs_user_id,
      user_identity_id: input.user_identity_id,
      search: input.search,
    },
    listLimit,
  )
  return presentGroups(ctx.db, ctx.providers, rows)
}

export const listAccessGroupUsers = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsAccessGroupId: string,
): Promise<AcsUser[]> => {
  const group = await requireAccessGroup(ctx.db, scope, acsAccessGroupId)
  return presentUsers(
    ctx.db,
    ctx.providers,
    await accessGroupUsers(ctx.db, group.acs_access_group_id),
  )
}

export const listAccessGroupEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsAccessGroupId: string,
): Promise<AcsEntrance[]> => {
  const group = await requireAccessGroup(ctx.db, scope, acsAccessGroupId)
  return presentEntrances(
    ctx.db,
    ctx.providers,
    await accessGroupEntrances(ctx.db, group.acs_access_group_id),
  )
}

export interface MembershipInput {
  acs_access_group_id: string
  acs_user_id?: string | undefined
  user_identity_id?: string | undefined
}

/** The group and the ACS user of a membership request, checked to be of one system. */
const membership = async (
  db: Executor,
  scope: WorkspaceScope,
  input: MembershipInput,
): Promise<{ group: AcsAccessGroupRow; user: AcsUserRow }> => {
  const group = await requireAccessGroup(db, scope, input.acs_access_group_id, { forUpdate: true })
  if (input.acs_user_id === undefined && input.user_identity_id === undefined) {
    throw invalidInput('Provide acs_user_id or user_identity_id', 'acs_user_id')
  }
  const user = await requireAcsUser(
    db,
    scope,
    input.acs_user_id !== undefined
      ? { acs_user_id: input.acs_user_id }
      : { acs_system_id: group.acs_system_id, user_identity_id: input.user_identity_id },
    { forUpdate: true },
  )
  if (user.acs_system_id !== group.acs_system_id) {
    throw invalidInput(
      `ACS user ${user.acs_user_id} belongs to another access system than access group ${group.acs_access_group_id}`,
      input.acs_user_id !== undefined ? 'acs_user_id' : 'user_identity_id',
    )
  }
  return { group, user }
}

/**
 * Makes a user's credentials open the entrances of the user's groups now. A card
 * already encoded is marked `needs_to_be_reissued` when its doors changed.
 */
export const syncGroupAccess = async (
  db: Executor,
  providers: ProviderRegistry,
  user: AcsUserRow,
  now: Date,
): Promise<void> => {
  const system = await findAcsSystem(db, user.workspace_id, user.acs_system_id)
  if (!system || !providers.forSystem(system.external_type).traits.accessGroups) return
  const entranceIds = await entranceIdsGrantedToUser(db, user.acs_user_id)
  // A credential an Access Grant made opens the grant's entrances: the grant keeps it.
  for (const credential of await listAcsCredentialsOfUserOutsideGrants(db, user.acs_user_id)) {
    await changeCredentialAccess(db, providers, credential, { entranceIds }, now)
  }
}

export const addUserToAccessGroup = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: MembershipInput,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const { group, user } = await membership(db, scope, input)
    if (await addAccessGroupUser(db, group.acs_access_group_id, user.acs_user_id, ctx.now())) {
      await syncGroupAccess(db, ctx.providers, user, ctx.now())
    }
  })

export const removeUserFromAccessGroup = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: MembershipInput,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const { group, user } = await membership(db, scope, input)
    if (await removeAccessGroupUser(db, group.acs_access_group_id, user.acs_user_id)) {
      await syncGroupAccess(db, ctx.providers, user, ctx.now())
    }
  })

/** Deletes a group; its users lose its entrances (`acs_access_group.deleted`). */
export const deleteAccessGroupOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsAccessGroupId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const group = await requireAccessGroup(db, scope, acsAccessGroupId, { forUpdate: true })
    const users = await accessGroupUsers(db, group.acs_access_group_id)
    await deleteAccessGroup(db, group.acs_access_group_id)
    for (const user of users) await syncGroupAccess(db, ctx.providers, user, now)
    await recordEvent(
      db,
      group.workspace_id,
      'acs_access_group.deleted',
      {
        acs_access_group_id: group.acs_access_group_id,
        acs_system_id: group.acs_system_id,
        connected_account_id: group.connected_account_id,
      },
      now,
    )
  })

/** The ACS user a `/acs/users/*` request names; `acs_system_id` must be its system. */
const selectedUser = async (
  db: Executor,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
  options: { forUpdate?: boolean } = {},
): Promise<AcsUserRow> => {
  if (selector.acs_user_id !== undefined) assertReachable(scope, 'acs_user', selector.acs_user_id)
  const user = await requireAcsUser(db, scope, selector, options)
  assertReachable(scope, 'acs_user', user.acs_user_id)
  if (selector.acs_system_id !== undefined && selector.acs_system_id !== user.acs_system_id) {
    throw invalidInput('acs_system_id is not the access system of the ACS user', 'acs_system_id')
  }
  return user
}

/**
 * `/acs/users/list_accessible_entrances`: the entrances the user's credentials open
 * and those of the user's access groups, each once.
 */
export const listUserAccessibleEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
): Promise<AcsEntrance[]> => {
  const user = await selectedUser(ctx.db, scope, selector)
  const entrances = await presentEntrances(
    ctx.db,
    ctx.providers,
    await entrancesOfUser(ctx.db, user.acs_user_id),
  )
  return keepReachable(scope, 'acs_entrance', entrances, (e) => e.acs_entrance_id)
}

/**
 * `/acs/users/revoke_access_to_all_entrances`, in one transaction: the user leaves
 * every access group, loses the entrances granted to it directly, and each of the user's credentials opens no entrance any more
 * (`acs_credential.invalidated` for each that opened one; an encoded card shows
 * `needs_to_be_reissued`). The user and the credentials remain. A credential an
 * Access Grant made is left to its grant (delete the grant to end it).
 */
export const revokeUserAccessToAllEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const user = await selectedUser(db, scope, selector, { forUpdate: true })
    await removeUserFromAllAccessGroups(db, user.acs_user_id)
    await revokeUserEntrances(db, user.acs_user_id)
    for (const credential of await listAcsCredentialsOfUserOutsideGrants(db, user.acs_user_id)) {
      const { changed } = await changeCredentialAccess(
        db,
        ctx.providers,
        credential,
        { entranceIds: [] },
        now,
      )
      if (!changed) continue
      await recordEvent(
        db,
        credential.workspace_id,
        'acs_credential.invalidated',
        {
          acs_credential_id: credential.acs_credential_id,
          acs_system_id: credential.acs_system_id,
          connected_account_id: credential.connected_account_id,
        },
        now,
      )
    }
  })
