import type { AcsCredential, AcsEntrance, RouteRequestBody } from '@seamapi/types/connect'
import { entranceIdsGrantedToUser } from '../db/access-groups.js'
import {
  findAcsCredential,
  findAcsCredentialsByIds,
  findAcsCredentialWithExtras,
  insertAcsCredential,
  listAcsCredentials,
  listAcsCredentialsOfUser,
  setCredentialEntrances,
  updateAcsCredential,
} from '../db/acs-credentials.js'
import {
  allocateExternalNumber,
  entrancesByCredential,
  findAcsEntrances,
  findAcsSystem,
} from '../db/acs-systems.js'
import { userEntranceIds } from '../db/acs-user-entrances.js'
import type { Page } from '../db/pagination.js'
import {
  type AcsCredentialRow,
  type AcsEntranceRow,
  type AcsSystemRow,
  type AcsUserRow,
  type Executor,
  json,
} from '../db/schema.js'
import { findUserIdentity, listAcsUsersOfIdentity } from '../db/user-identities.js'
import { recordEvent } from '../events/log.js'
import { type ReservationRole, withData } from '../providers/access-system.js'
import type { ProviderRegistry } from '../providers/index.js'
import { assertOneUserSelector, ensureAcsUserForIdentity, requireAcsUser } from './acs-users.js'
import { reachableIds } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { withContextInHand, withEntrances } from './credential-entrances.js'
import { assertNotManagedByAccessGrant, deleteCredentialRows } from './credential-removal.js'
import { invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'
import { presentCredential, presentCredentials, presentEntrances } from './present.js'
import { assertEndsAfterStarts, parseOptionalTime } from './time.js'

export const requireCredential = async (
  db: Executor,
  scope: WorkspaceScope,
  acsCredentialId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsCredentialRow> => {
  const row = await findAcsCredential(db, scope.workspace_id, acsCredentialId, options)
  if (!row) throw notFound('acs_credential', acsCredentialId)
  return row
}

export const createAcsCredential = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/credentials/create'>,
): Promise<AcsCredential> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const user = await credentialHolder(db, scope, input, now)
    if (input.acs_system_id !== undefined && input.acs_system_id !== user.acs_system_id) {
      throw invalidInput('acs_system_id is not the access system of the ACS user', 'acs_system_id')
    }
    const system = await findAcsSystem(db, scope.workspace_id, user.acs_system_id)
    if (!system) throw notFound('acs_system', user.acs_system_id)

    const provider = ctx.providers.forSystem(system.external_type)
    const traits = provider.traits
    if (!traits.accessMethods.includes(input.access_method)) {
      throw invalidInput(
        `${system.external_type_display_name} access systems do not issue ${input.access_method} credentials; supported: ${traits.accessMethods.join(', ') || 'none'}`,
        'access_method',
      )
    }
    if (input.code !== undefined && input.access_method !== 'code') {
      throw invalidInput('code can only be set on code credentials', 'code')
    }
    if (input.code !== undefined && traits.generatesCodes) {
      throw invalidInput(
        `${system.external_type_display_name} generates PIN codes itself; leave code out`,
        'code',
      )
    }
    if (input.is_multi_phone_sync_credential && input.access_method !== 'mobile_key') {
      throw invalidInput(
        'Only mobile_key credentials can be multi-phone sync credentials',
        'is_multi_phone_sync_credential',
      )
    }

    const request = provider.readCredentialRequest(input)
    if (request.problem) throw invalidInput(request.problem.message, request.problem.parameter)

    const requestedEntranceIds = [...new Set(input.allowed_acs_entrance_ids ?? [])]
    if (traits.accessGroups && requestedEntranceIds.length > 0) {
      throw invalidInput(
        `${system.external_type_display_name} gives access through access groups: add the ACS user to access groups (/acs/users/add_to_access_group) instead of naming entrances`,
        'allowed_acs_entrance_ids',
      )
    }
    const requestedEntrances = await assertEntrancesOfSystem(
      db,
      scope,
      requestedEntranceIds,
      system.acs_system_id,
    )
    const entranceProblem = provider.credentialEntranceProblem?.(
      request.options,
      requestedEntrances,
    )
    if (entranceProblem) throw invalidInput(entranceProblem.message, entranceProblem.parameter)
    // In a system with access groups a credential opens the entrances of its user's
    // groups; in any system, also those granted to its user (/acs/entrances/grant_access).
    const entranceIds = traits.accessGroups
      ? await entranceIdsGrantedToUser(db, user.acs_user_id)
      : [...new Set([...requestedEntranceIds, ...(await userEntranceIds(db, user.acs_user_id))])]

    if (traits.onePerUser?.includes(input.access_method)) {
      // Locks the user: two requests at once cannot both give it its one card.
      await requireAcsUser(db, scope, { acs_user_id: user.acs_user_id }, { forUpdate: true })
      const existing = (await listAcsCredentialsOfUser(db, user.acs_user_id)).find(
        (credential) => credential.access_method === input.access_method,
      )
      const choice = request.existing
      if (choice?.update) {
        if (!existing) {
          throw invalidInput(
            `ACS user ${user.acs_user_id} has no ${input.access_method} credential to update; ${choice.newHint}`,
            choice.parameter,
          )
        }
        // The user's existing card, with the doors of the user's groups now; when it
        // was encoded and they changed, it needs encoding again.
        const { credential } = await changeCredentialAccess(
          db,
          ctx.providers,
          existing,
          { entranceIds },
          now,
        )
        return presentCredential(db, ctx.providers, credential, now)
      }
      if (existing) {
        throw invalidInput(
          `A ${system.external_type_display_name} user holds at most one ${input.access_method} credential, and ACS user ${user.acs_user_id} has ${existing.acs_credential_id}. To replace it (a lost card), delete it and create a new one${choice ? `; ${choice.updateHint}` : ''}`,
          'access_method',
        )
      }
    }

    const endsAt = parseOptionalTime(input.ends_at, 'ends_at') ?? null
    // A key card always carries a validity window; without starts_at it starts now.
    const startsAt =
      parseOptionalTime(input.starts_at, 'starts_at') ??
      (input.access_method === 'card' ? now : null)
    assertEndsAfterStarts(startsAt, endsAt)

    await assertLinkableCards(db, scope, request, system.acs_system_id)
    const row = await insertCredential(db, ctx.providers, {
      system,
      user,
      accessMethod: input.access_method,
      code: input.code,
      entranceIds,
      startsAt,
      endsAt,
      isMultiPhoneSync: input.is_multi_phone_sync_credential ?? false,
      options: request.options,
      allocateNumber: ctx.allocateNumber,
      now,
    })
    const presentable = await withContextInHand(db, scope.workspace_id, row, {
      system,
      user,
      entranceIds,
      known: requestedEntrances,
    })
    return presentCredential(db, ctx.providers, presentable, now)
  })

/** A card that joins other cards (a shared room) names cards of the same access system. */
const assertLinkableCards = async (
  db: Executor,
  scope: WorkspaceScope,
  request: { linkedCredentialIds: readonly string[]; linkedParameter: string },
  acsSystemId: string,
): Promise<void> => {
  const joinerIds = request.linkedCredentialIds
  const found = await findAcsCredentialsByIds(db, joinerIds)
  for (const joinerId of joinerIds) {
    const joiner = found.get(joinerId)
    if (!joiner || joiner.workspace_id !== scope.workspace_id) {
      throw notFound('acs_credential', joinerId)
    }
    if (joiner.acs_system_id !== acsSystemId || joiner.access_method !== 'card') {
      throw invalidInput(
        `Credential ${joinerId} is not a card of this access system, so this card cannot join it`,
        request.linkedParameter,
      )
    }
  }
}

export interface NewCredential {
  /** A given id (the sandbox's documented credential); a new one otherwise. */
  acsCredentialId?: string
  system: AcsSystemRow
  user: AcsUserRow
  accessMethod: AcsCredential['access_method']
  /** The PIN asked for, if any; the access system's provider makes one up otherwise. */
  code: string | undefined
  entranceIds: readonly string[]
  startsAt: Date | null
  endsAt: Date | null
  isMultiPhoneSync?: boolean
  /** The provider's reading of the request (`readCredentialRequest`). */
  options?: unknown
  /** How a card made by an Access Grant takes part in its reservation. */
  reservation?: ReservationRole
  /**
   * A card of a system whose tags are registered beforehand, made for an Access
   * Grant: it waits, unissued and with no card number, until a tag is assigned to it.
   */
  awaitsCard?: boolean
  /** The number of the registered tag it is assigned to (scan_to_assign_credential). */
  cardNumber?: string
  /** Takes the system's next number outside the transaction (DomainContext.allocateNumber). */
  allocateNumber?: ((acsSystemId: string) => Promise<number>) | undefined
  now: Date
}

/**
 * Writes a credential for an ACS user (the caller has checked the request). A PIN,
 * or a card the access system assigns itself, is issued at once: the system holds it
 * as soon as it syncs, and `acs_credential.issued` is recorded. A card to encode
 * waits for its encoding. What the system makes up (PINs, tag numbers, its own ids) is
 * its provider's `newCredential`.
 */
export const insertCredential = async (
  db: Executor,
  providers: ProviderRegistry,
  credential: NewCredential,
): Promise<AcsCredentialRow> => {
  const { system, user, now } = credential
  const provider = providers.forSystem(system.external_type)
  const issued = await provider.newCredential(
    {
      accessMethod: credential.accessMethod,
      code: credential.code,
      ...(credential.options !== undefined ? { options: credential.options } : {}),
      ...(credential.reservation ? { reservation: credential.reservation } : {}),
    },
    () =>
      credential.allocateNumber
        ? credential.allocateNumber(system.acs_system_id)
        : allocateExternalNumber(db, system.acs_system_id),
  )
  const issuedNow = issued.issuedAtOnce && !credential.awaitsCard
  const row = await insertAcsCredential(
    db,
    {
      acs_credential_id: credential.acsCredentialId ?? newId(),
      workspace_id: user.workspace_id,
      connected_account_id: system.connected_account_id,
      acs_system_id: system.acs_system_id,
      acs_user_id: user.acs_user_id,
      access_method: credential.accessMethod,
      code: issued.code,
      starts_at: credential.startsAt,
      ends_at: credential.endsAt,
      is_multi_phone_sync_credential: credential.isMultiPhoneSync ?? false,
      provider_data: json(withData({}, provider.key, issued.data)),
      card_number: credential.awaitsCard ? null : (credential.cardNumber ?? issued.cardNumber),
      is_issued: issuedNow,
      issued_at: issuedNow ? now : null,
      reissue_required_at: null,
      created_at: now,
      updated_at: now,
    },
    credential.entranceIds,
  )
  if (issuedNow) {
    await recordEvent(
      db,
      row.workspace_id,
      'acs_credential.issued',
      {
        acs_credential_id: row.acs_credential_id,
        acs_system_id: row.acs_system_id,
        connected_account_id: row.connected_account_id,
      },
      now,
    )
  }
  return row
}

/**
 * The ACS user a request names for an object of one access system: by `acs_user_id`,
 * or by `user_identity_id` (that identity's ACS user in the system, made when
 * missing), exactly one of them; a user of another system is refused (400). `object`
 * names the system's object in the error, e.g. "entrance <id>".
 */
export const holderInSystem = async (
  db: Executor,
  scope: WorkspaceScope,
  input: { acs_user_id?: string | undefined; user_identity_id?: string | undefined },
  system: { acs_system_id: string; object: string },
  now: Date,
): Promise<AcsUserRow> => {
  assertOneUserSelector(input)
  const holder = await credentialHolder(
    db,
    scope,
    input.acs_user_id !== undefined
      ? { acs_user_id: input.acs_user_id }
      : { user_identity_id: input.user_identity_id, acs_system_id: system.acs_system_id },
    now,
  )
  if (holder.acs_system_id !== system.acs_system_id) {
    throw invalidInput(
      `ACS user ${holder.acs_user_id} belongs to another access system than ${system.object}`,
      'acs_user_id',
    )
  }
  return holder
}

/**
 * The ACS user a new credential is for: `acs_user_id`, or the user identity's ACS
 * user in `acs_system_id` (created if the identity has none there yet).
 */
export const credentialHolder = async (
  db: Executor,
  scope: WorkspaceScope,
  input: { acs_user_id?: string; user_identity_id?: string; acs_system_id?: string },
  now: Date,
): Promise<AcsUserRow> => {
  if (input.acs_user_id !== undefined) {
    return requireAcsUser(db, scope, { acs_user_id: input.acs_user_id })
  }
  if (input.user_identity_id === undefined) {
    throw invalidInput('Provide acs_user_id, or user_identity_id with acs_system_id', 'acs_user_id')
  }
  const identity = await findUserIdentity(db, scope.workspace_id, {
    user_identity_id: input.user_identity_id,
  })
  if (!identity) throw notFound('user_identity', input.user_identity_id)
  if (input.acs_system_id === undefined) {
    const users = await listAcsUsersOfIdentity(db, identity.user_identity_id)
    const [only] = users
    if (only && users.length === 1) return only
    throw invalidInput(
      'The user identity has no single ACS user; pass acs_system_id to choose the access system',
      'acs_system_id',
    )
  }
  const system = await findAcsSystem(db, scope.workspace_id, input.acs_system_id)
  if (!system) throw notFound('acs_system', input.acs_system_id)
  return ensureAcsUserForIdentity(db, identity, system, now)
}

const assertEntrancesOfSystem = async (
  db: Executor,
  scope: WorkspaceScope,
  entranceIds: readonly string[],
  acsSystemId: string,
): Promise<AcsEntranceRow[]> => {
  const found = await findAcsEntrances(db, scope.workspace_id, entranceIds)
  const missing = entranceIds.find((id) => !found.some((e) => e.acs_entrance_id === id))
  if (missing !== undefined) throw notFound('acs_entrance', missing)
  const foreign = found.find((e) => e.acs_system_id !== acsSystemId)
  if (foreign) {
    throw invalidInput(
      `Entrance ${foreign.acs_entrance_id} belongs to another access system`,
      'allowed_acs_entrance_ids',
    )
  }
  return found
}

export const getAcsCredential = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsCredentialId: string,
): Promise<AcsCredential> => {
  const row = await findAcsCredentialWithExtras(ctx.db, scope.workspace_id, acsCredentialId)
  if (!row) throw notFound('acs_credential', acsCredentialId)
  const [credential] = await presentCredentials(
    ctx.db,
    ctx.providers,
    await withEntrances(ctx, scope.workspace_id, [row]),
    ctx.now(),
  )
  if (!credential) throw notFound('acs_credential', acsCredentialId)
  return credential
}

export const listAcsCredentialsPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/credentials/list'>,
): Promise<Page<AcsCredential>> => {
  const filters = input as {
    acs_user_id?: string
    acs_system_id?: string
    user_identity_id?: string
  }
  const page = await listAcsCredentials(
    ctx.db,
    scope.workspace_id,
    {
      acs_user_id: filters.acs_user_id,
      acs_system_id: filters.acs_system_id,
      user_identity_id: filters.user_identity_id,
      is_multi_phone_sync_credential: input.is_multi_phone_sync_credential,
      created_before: parseOptionalTime(input.created_before, 'created_before'),
      search: input.search,
      only_ids: reachableIds(scope, 'acs_credential'),
    },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  const rows = await withEntrances(ctx, scope.workspace_id, page.items)
  return { ...page, items: await presentCredentials(ctx.db, ctx.providers, rows, ctx.now()) }
}

/**
 * Only `ends_at` (and a PIN's `code`) can change. Changing an issued card makes the
 * card out of date: the credential then carries `needs_to_be_reissued` until it is
 * encoded again.
 */
export const updateAcsCredentialSchedule = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/credentials/update'>,
): Promise<AcsCredential> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const row = await requireCredential(db, scope, input.acs_credential_id, { forUpdate: true })
    if (input.code !== undefined && row.access_method !== 'code') {
      throw invalidInput('code can only be set on code credentials', 'code')
    }
    if (input.code !== undefined) {
      const system = await findAcsSystem(db, scope.workspace_id, row.acs_system_id)
      if (system && ctx.providers.forSystem(system.external_type).traits.generatesCodes) {
        throw invalidInput(
          `${system.external_type_display_name} generates PIN codes itself; they cannot be changed`,
          'code',
        )
      }
    }
    const endsAt = parseOptionalTime(input.ends_at, 'ends_at')
    assertEndsAfterStarts(row.starts_at, endsAt)
    let { credential } = await changeCredentialAccess(
      db,
      ctx.providers,
      row,
      endsAt !== undefined ? { endsAt } : {},
      now,
    )
    if (input.code !== undefined && input.code !== credential.code) {
      credential = await updateAcsCredential(db, credential.acs_credential_id, {
        code: input.code,
        updated_at: now,
      })
    }
    return presentCredential(db, ctx.providers, credential, now)
  })

export interface AccessChange {
  entranceIds?: readonly string[]
  startsAt?: Date | null
  endsAt?: Date | null
}

const sameTime = (a: Date | null, b: Date | null): boolean =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null)

/**
 * Changes the doors or times a credential grants. A card already encoded no longer
 * matches what is written on it: the credential is marked `needs_to_be_reissued`
 * until it is encoded again (a card the system assigns itself just follows). Returns
 * the credential and whether anything changed.
 */
export const changeCredentialAccess = async (
  db: Executor,
  providers: ProviderRegistry,
  row: AcsCredentialRow,
  change: AccessChange,
  now: Date,
): Promise<{ credential: AcsCredentialRow; changed: boolean }> => {
  let entrancesChanged = false
  if (change.entranceIds !== undefined) {
    const current =
      (await entrancesByCredential(db, [row.acs_credential_id])).get(row.acs_credential_id) ?? []
    const before = new Set(current.map((e) => e.acs_entrance_id))
    entrancesChanged =
      before.size !== change.entranceIds.length || change.entranceIds.some((id) => !before.has(id))
    if (entrancesChanged)
      await setCredentialEntrances(db, row.acs_credential_id, change.entranceIds)
  }
  const startsChanged = change.startsAt !== undefined && !sameTime(change.startsAt, row.starts_at)
  const endsChanged = change.endsAt !== undefined && !sameTime(change.endsAt, row.ends_at)
  if (!entrancesChanged && !startsChanged && !endsChanged)
    return { credential: row, changed: false }
  const system = await findAcsSystem(db, row.workspace_id, row.acs_system_id)
  const encoded =
    row.is_issued &&
    row.access_method === 'card' &&
    system !== undefined &&
    providers.forSystem(system.external_type).traits.encodesCards
  const credential = await updateAcsCredential(db, row.acs_credential_id, {
    ...(startsChanged ? { starts_at: change.startsAt } : {}),
    ...(endsChanged ? { ends_at: change.endsAt } : {}),
    ...(encoded ? { reissue_required_at: now } : {}),
    updated_at: now,
  })
  return { credential, changed: true }
}

export const deleteAcsCredential = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsCredentialId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const row = await requireCredential(db, scope, acsCredentialId, { forUpdate: true })
    await assertNotManagedByAccessGrant(db, row)
    await deleteCredentialRows(db, [row], ctx.now())
  })

export const listCredentialEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsCredentialId: string,
): Promise<AcsEntrance[]> => {
  const row = await requireCredential(ctx.db, scope, acsCredentialId)
  const entrances = await entrancesByCredential(ctx.db, [row.acs_credential_id])
  return presentEntrances(ctx.db, ctx.providers, entrances.get(row.acs_credential_id) ?? [])
}
