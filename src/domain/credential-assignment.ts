import type { AcsCredential, RouteRequestBody } from '@seamapi/types/connect'
import { entranceIdsGrantedToUser } from '../db/access-groups.js'
import { listAcsCredentialsOfUser, updateAcsCredential } from '../db/acs-credentials.js'
import { entrancesByCredential, findAcsSystem } from '../db/acs-systems.js'
import { userEntranceIds } from '../db/acs-user-entrances.js'
import type { AcsCredentialRow, Executor } from '../db/schema.js'
import type { ProviderRegistry } from '../providers/index.js'
import { changeCredentialAccess, holderInSystem, requireCredential } from './acs-credentials.js'
import { assertOneUserSelector, requireAcsUser } from './acs-users.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { assertNotManagedByAccessGrant } from './credential-removal.js'
import { invalidInput, notFound } from './errors.js'
import { presentCredential } from './present.js'

/**
 * `/acs/credentials/assign` and `/unassign`: a credential moves to another ACS user of
 * its access system, or is left with none. What it opens follows the system's rule:
 * by entrances, a credential keeps its entrances (and gains those granted to its new
 * user with `/acs/entrances/grant_access`); by access groups, it opens the
 * doors of its (new) user's groups, and none without a user. An encoded card whose
 * doors changed shows `needs_to_be_reissued`. The document names no event for either.
 */

const checkedCredential = async (
  db: Executor,
  scope: WorkspaceScope,
  acsCredentialId: string,
): Promise<AcsCredentialRow> => {
  const credential = await requireCredential(db, scope, acsCredentialId, { forUpdate: true })
  await assertNotManagedByAccessGrant(db, credential)
  return credential
}

/**
 * The entrances a credential opens under its system's rule once its user is
 * `acsUserId`: by access groups, those of the user's groups and those granted to the
 * user; by entrances, its own plus those granted to its new user.
 */
const followAccessRule = async (
  db: Executor,
  providers: ProviderRegistry,
  credential: AcsCredentialRow,
  acsUserId: string | null,
  now: Date,
): Promise<AcsCredentialRow> => {
  const system = await findAcsSystem(db, credential.workspace_id, credential.acs_system_id)
  if (!system) return credential
  let entranceIds: string[]
  if (providers.forSystem(system.external_type).traits.accessGroups) {
    entranceIds = acsUserId === null ? [] : await entranceIdsGrantedToUser(db, acsUserId)
  } else {
    const granted = acsUserId === null ? [] : await userEntranceIds(db, acsUserId)
    if (granted.length === 0) return credential
    const own = (await entrancesByCredential(db, [credential.acs_credential_id])).get(
      credential.acs_credential_id,
    )
    entranceIds = [...new Set([...(own ?? []).map((e) => e.acs_entrance_id), ...granted])]
  }
  return (await changeCredentialAccess(db, providers, credential, { entranceIds }, now)).credential
}

export const assignCredential = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/credentials/assign'>,
): Promise<AcsCredential> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    // The credential first: another workspace's is not found, whatever else is sent.
    const credential = await checkedCredential(db, scope, input.acs_credential_id)
    const holder = await holderInSystem(
      db,
      scope,
      input,
      {
        acs_system_id: credential.acs_system_id,
        object: `credential ${credential.acs_credential_id}`,
      },
      now,
    )
    if (holder.acs_user_id === credential.acs_user_id) {
      return presentCredential(db, ctx.providers, credential, now)
    }
    // Locks the user: two assignments at once cannot both give it its one card.
    const user = await requireAcsUser(
      db,
      scope,
      { acs_user_id: holder.acs_user_id },
      { forUpdate: true },
    )
    const system = await findAcsSystem(db, scope.workspace_id, credential.acs_system_id)
    if (!system) throw notFound('acs_system', credential.acs_system_id)
    const traits = ctx.providers.forSystem(system.external_type).traits
    if (traits.onePerUser?.some((method) => method === credential.access_method)) {
      const existing = (await listAcsCredentialsOfUser(db, user.acs_user_id)).find(
        (other) => other.access_method === credential.access_method,
      )
      if (existing) {
        throw invalidInput(
          `ACS user ${user.acs_user_id} already has ${credential.access_method} credential ${existing.acs_credential_id}, and ${system.external_type_display_name} allows one per user; delete or unassign it first`,
          'acs_credential_id',
        )
      }
    }
    const moved = await updateAcsCredential(db, credential.acs_credential_id, {
      acs_user_id: user.acs_user_id,
      updated_at: now,
    })
    const result = await followAccessRule(db, ctx.providers, moved, user.acs_user_id, now)
    return presentCredential(db, ctx.providers, result, now)
  })

export const unassignCredential = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/credentials/unassign'>,
): Promise<AcsCredential> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    // The credential first: another workspace's is not found, whatever else is sent.
    const credential = await checkedCredential(db, scope, input.acs_credential_id)
    assertOneUserSelector(input)
    const named =
      input.acs_user_id !== undefined
        ? await requireAcsUser(db, scope, { acs_user_id: input.acs_user_id })
        : await requireAcsUser(db, scope, {
            acs_system_id: credential.acs_system_id,
            user_identity_id: input.user_identity_id,
          })
    if (credential.acs_user_id !== named.acs_user_id) {
      throw invalidInput(
        `Credential ${credential.acs_credential_id} is not assigned to ACS user ${named.acs_user_id}`,
        input.acs_user_id !== undefined ? 'acs_user_id' : 'user_identity_id',
      )
    }
    const left = await updateAcsCredential(db, credential.acs_credential_id, {
      acs_user_id: null,
      updated_at: now,
    })
    const result = await followAccessRule(db, ctx.providers, left, null, now)
    return presentCredential(db, ctx.providers, result, now)
  })
