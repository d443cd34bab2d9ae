import type { AcsUser, RouteRequestBody } from '@seamapi/types/connect'
import { listAcsCredentialsOfUser } from '../db/acs-credentials.js'
import { findAcsSystem, findAcsSystemsByIds } from '../db/acs-systems.js'
import {
  deleteAcsUser,
  findAcsUser,
  findAcsUserByIdentity,
  findUnlinkedAcsUserByContact,
  insertAcsUser,
  listAcsUsers,
  updateAcsUser,
} from '../db/acs-users.js'
import type { Page } from '../db/pagination.js'
import type { AcsSystemRow, AcsUserRow, Executor, UserIdentityRow } from '../db/schema.js'
import { findUserIdentitiesByIds, findUserIdentity } from '../db/user-identities.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toAcsUser } from '../resources/acs.js'
import { reachableIds } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { assertNotManagedByAccessGrant, deleteCredentialRows } from './credential-removal.js'
import { assertNotEmpty, invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'
import { assertEndsAfterStarts, parseOptionalTime } from './time.js'

/** How Seam addresses one ACS user: by id, or as a user identity's user in a system. */
export interface AcsUserSelector {
  acs_user_id?: string | undefined
  acs_system_id?: string | undefined
  user_identity_id?: string | undefined
}

/** Users as API resources; their brand type comes from their access system. */
export const presentUsers = async (
  db: Executor,
  providers: ProviderRegistry,
  rows: readonly AcsUserRow[],
): Promise<AcsUser[]> => {
  const [systems, identities] = await Promise.all([
    findAcsSystemsByIds(
      db,
      rows.map((row) => row.acs_system_id),
    ),
    findUserIdentitiesByIds(
      db,
      rows.flatMap((row) => (row.user_identity_id ? [row.user_identity_id] : [])),
    ),
  ])
  return rows.map((row) =>
    toAcsUser(
      row,
      providers.forSystem(systems.get(row.acs_system_id)?.external_type ?? ''),
      row.user_identity_id ? identities.get(row.user_identity_id) : undefined,
    ),
  )
}

/** A user identity has at most one ACS user in each access system. */
export const assertNoAcsUserInSystem = async (
  db: Executor,
  identity: Pick<UserIdentityRow, 'workspace_id' | 'user_identity_id'>,
  acsSystemId: string,
  parameter: string,
): Promise<void> => {
  const taken = await findAcsUserByIdentity(
    db,
    identity.workspace_id,
    acsSystemId,
    identity.user_identity_id,
  )
  if (taken) {
    throw invalidInput(
      `The user identity already has ACS user ${taken.acs_user_id} in this access system`,
      parameter,
    )
  }
}

/** A request names its ACS user by exactly one of `acs_user_id` or `user_identity_id`. */
export const assertOneUserSelector = (input: {
  acs_user_id?: string | undefined
  user_identity_id?: string | undefined
}): void => {
  if (input.acs_user_id === undefined && input.user_identity_id === undefined) {
    throw invalidInput('Provide acs_user_id or user_identity_id', 'acs_user_id')
  }
  if (input.acs_user_id !== undefined && input.user_identity_id !== undefined) {
    throw invalidInput('Provide only one of acs_user_id or user_identity_id', 'user_identity_id')
  }
}

export const requireAcsUser = async (
  db: Executor,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
  options: { forUpdate?: boolean } = {},
): Promise<AcsUserRow> => {
  if (selector.acs_user_id !== undefined) {
    const user = await findAcsUser(db, scope.workspace_id, selector.acs_user_id, options)
    if (!user) throw notFound('acs_user', selector.acs_user_id)
    return user
  }
  if (selector.acs_system_id !== undefined && selector.user_identity_id !== undefined) {
    const user = await findAcsUserByIdentity(
      db,
      scope.workspace_id,
      selector.acs_system_id,
      selector.user_identity_id,
    )
    if (!user) throw notFound('acs_user')
    return user
  }
  throw invalidInput('Provide acs_user_id, or acs_system_id together with user_identity_id')
}

export const createAcsUser = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/users/create'>,
): Promise<AcsUser> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    assertNotEmpty({ full_name: input.full_name })
    const system = await findAcsSystem(db, scope.workspace_id, input.acs_system_id)
    if (!system) throw notFound('acs_system', input.acs_system_id)
    const [groupId] = input.acs_access_group_ids ?? []
    if (groupId !== undefined) throw notFound('acs_access_group', groupId)
    const identity =
      input.user_identity_id !== undefined
        ? await findUserIdentity(db, scope.workspace_id, {
            user_identity_id: input.user_identity_id,
          })
        : undefined
    if (input.user_identity_id !== undefined) {
      if (!identity) throw notFound('user_identity', input.user_identity_id)
      await assertNoAcsUserInSystem(db, identity, system.acs_system_id, 'user_identity_id')
    }
    const startsAt = parseOptionalTime(
      input.access_schedule?.starts_at,
      'access_schedule.starts_at',
    )
    const endsAt = parseOptionalTime(input.access_schedule?.ends_at, 'access_schedule.ends_at')
    assertEndsAfterStarts(startsAt, endsAt, 'access_schedule')
    const user = await insertAcsUser(db, {
      acs_user_id: newId(),
      workspace_id: scope.workspace_id,
      acs_system_id: system.acs_system_id,
      connected_account_id: system.connected_account_id,
      full_name: input.full_name,
      email_address: input.email_address ?? input.email ?? null,
      phone_number: input.phone_number ?? null,
      access_starts_at: startsAt ?? (endsAt ? now : null),
      access_ends_at: endsAt ?? null,
      user_identity_id: input.user_identity_id ?? null,
      created_at: now,
      updated_at: now,
    })
    await recordUserCreated(db, user, now)
    // Presented from the system and identity in hand (presentUsers would read both again).
    return toAcsUser(user, ctx.providers.forSystem(system.external_type), identity)
  })

export const getAcsUser = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
): Promise<AcsUser> => {
  const [user] = await presentUsers(ctx.db, ctx.providers, [
    await requireAcsUser(ctx.db, scope, selector),
  ])
  if (!user) throw new Error('presentUsers returned nothing')
  return user
}

export const listAcsUsersPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/users/list'>,
): Promise<Page<AcsUser>> => {
  const page = await listAcsUsers(
    ctx.db,
    scope.workspace_id,
    {
      acs_system_id: input.acs_system_id,
      user_identity_id: input.user_identity_id,
      user_identity_email_address: input.user_identity_email_address,
      user_identity_phone_number: input.user_identity_phone_number,
      created_before: parseOptionalTime(input.created_before, 'created_before'),
      search: input.search,
      only_ids: reachableIds(scope, 'acs_user'),
    },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  return { ...page, items: await presentUsers(ctx.db, ctx.providers, page.items) }
}

export const updateAcsUserProfile = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/users/update'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    assertNotEmpty({ full_name: input.full_name })
    const user = await requireAcsUser(db, scope, input, { forUpdate: true })
    // Keysmith keeps no HID-specific settings; the id must still name a system of the workspace.
    const hidSystemId = input.hid_acs_system_id
    if (hidSystemId !== undefined && !(await findAcsSystem(db, scope.workspace_id, hidSystemId))) {
      throw notFound('acs_system', hidSystemId)
    }
    const schedule = input.access_schedule
    let access: { access_starts_at: Date | null; access_ends_at: Date | null } | undefined
    if (schedule === null) access = { access_starts_at: null, access_ends_at: null }
    if (schedule) {
      const startsAt = parseOptionalTime(schedule.starts_at, 'access_schedule.starts_at') ?? null
      const endsAt = parseOptionalTime(schedule.ends_at, 'access_schedule.ends_at') ?? null
      assertEndsAfterStarts(startsAt, endsAt, 'access_schedule')
      access = { access_starts_at: startsAt, access_ends_at: endsAt }
    }
    const email = input.email_address ?? input.email
    await updateAcsUser(db, user.acs_user_id, {
      ...(input.full_name !== undefined ? { full_name: input.full_name } : {}),
      ...(email !== undefined ? { email_address: email } : {}),
      ...(input.phone_number !== undefined ? { phone_number: input.phone_number } : {}),
      ...access,
      updated_at: ctx.now(),
    })
  })

export const setAcsUserSuspended = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
  isSuspended: boolean,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const user = await requireAcsUser(db, scope, selector, { forUpdate: true })
    await updateAcsUser(db, user.acs_user_id, { is_suspended: isSuspended, updated_at: ctx.now() })
  })

/**
 * The ACS user that represents a user identity in an access system: the one linked
 * already; else an unlinked one with the identity's email address or phone number
 * (the same person, known to the system before), which is linked; else a new one with
 * the identity's name and contacts.
 */
export const ensureAcsUserForIdentity = async (
  db: Executor,
  identity: UserIdentityRow,
  system: AcsSystemRow,
  now: Date,
): Promise<AcsUserRow> => {
  const existing = await findAcsUserByIdentity(
    db,
    identity.workspace_id,
    system.acs_system_id,
    identity.user_identity_id,
  )
  if (existing) return existing
  const known = await findUnlinkedAcsUserByContact(
    db,
    identity.workspace_id,
    system.acs_system_id,
    identity,
  )
  if (known) {
    await updateAcsUser(db, known.acs_user_id, {
      user_identity_id: identity.user_identity_id,
      updated_at: now,
    })
    return { ...known, user_identity_id: identity.user_identity_id, updated_at: now }
  }
  const user = await insertAcsUser(db, {
    acs_user_id: newId(),
    workspace_id: identity.workspace_id,
    acs_system_id: system.acs_system_id,
    connected_account_id: system.connected_account_id,
    full_name: identity.full_name ?? identity.email_address ?? identity.phone_number ?? 'Guest',
    email_address: identity.email_address,
    phone_number: identity.phone_number,
    access_starts_at: null,
    access_ends_at: null,
    user_identity_id: identity.user_identity_id,
    created_at: now,
    updated_at: now,
  })
  await recordUserCreated(db, user, now)
  return user
}

const recordUserCreated = (db: Executor, user: AcsUserRow, now: Date) =>
  recordEvent(
    db,
    user.workspace_id,
    'acs_user.created',
    {
      acs_user_id: user.acs_user_id,
      acs_system_id: user.acs_system_id,
      connected_account_id: user.connected_account_id,
    },
    now,
  )

/**
 * Deletes ACS users with their credentials, in the caller's transaction. Events:
 * `acs_credential.deleted` for each credential, then `acs_user.deleted`.
 */
export const deleteAcsUserRows = async (
  db: Executor,
  users: readonly AcsUserRow[],
  now: Date,
): Promise<void> => {
  for (const user of users) {
    await deleteCredentialRows(db, await listAcsCredentialsOfUser(db, user.acs_user_id), now)
    await deleteAcsUser(db, user.acs_user_id)
    await recordEvent(
      db,
      user.workspace_id,
      'acs_user.deleted',
      {
        acs_user_id: user.acs_user_id,
        acs_system_id: user.acs_system_id,
        connected_account_id: user.connected_account_id,
      },
      now,
    )
  }
}

/**
 * Deleting a user deletes its credentials too. A credential an Access Grant made is
 * the grant's to remove: such a user is refused until its grants are deleted.
 */
export const deleteAcsUserAndCredentials = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: AcsUserSelector,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const user = await requireAcsUser(db, scope, selector, { forUpdate: true })
    for (const credential of await listAcsCredentialsOfUser(db, user.acs_user_id)) {
      await assertNotManagedByAccessGrant(db, credential)
    }
    await deleteAcsUserRows(db, [user], ctx.now())
  })
