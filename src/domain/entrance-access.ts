import type { RouteRequestBody } from '@seamapi/types/connect'
import { listAcsCredentialsOfUserOutsideGrants } from '../db/acs-credentials.js'
import { entrancesByCredential, findAcsEntrance, findAcsSystem } from '../db/acs-systems.js'
import { grantUserEntrance } from '../db/acs-user-entrances.js'
import { syncGroupAccess } from './access-groups.js'
import { changeCredentialAccess, holderInSystem } from './acs-credentials.js'
import { requireAcsUser } from './acs-users.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { notFound } from './errors.js'

/**
 * `/acs/entrances/grant_access`: an ACS user is granted one entrance of its access
 * system, in one transaction. The grant belongs to the user (kept with it, taken
 * back by `/acs/users/revoke_access_to_all_entrances`): each of the user's
 * credentials opens the entrance, now and when made later, beside what the system's
 * rule gives it (its own entrances, or its user's access groups). A card already
 * encoded then shows `needs_to_be_reissued` until it is encoded again. A credential
 * an Access Grant made is left to its grant. Granting an entrance the user has
 * already changes nothing. The document names no event for it.
 */
export const grantEntranceAccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/entrances/grant_access'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    // The entrance first: another workspace's is not found, whatever else is sent.
    const entrance = await findAcsEntrance(db, scope.workspace_id, input.acs_entrance_id)
    if (!entrance) throw notFound('acs_entrance', input.acs_entrance_id)
    const holder = await holderInSystem(
      db,
      scope,
      input,
      { acs_system_id: entrance.acs_system_id, object: `entrance ${entrance.acs_entrance_id}` },
      now,
    )
    const user = await requireAcsUser(
      db,
      scope,
      { acs_user_id: holder.acs_user_id },
      { forUpdate: true },
    )
    if (!(await grantUserEntrance(db, user.acs_user_id, entrance.acs_entrance_id, now))) return

    const system = await findAcsSystem(db, scope.workspace_id, user.acs_system_id)
    if (!system) throw notFound('acs_system', user.acs_system_id)
    if (ctx.providers.forSystem(system.external_type).traits.accessGroups) {
      await syncGroupAccess(db, ctx.providers, user, now)
      return
    }
    const credentials = await listAcsCredentialsOfUserOutsideGrants(db, user.acs_user_id)
    const opened = await entrancesByCredential(
      db,
      credentials.map((credential) => credential.acs_credential_id),
    )
    for (const credential of credentials) {
      const own = (opened.get(credential.acs_credential_id) ?? []).map((e) => e.acs_entrance_id)
      if (own.includes(entrance.acs_entrance_id)) continue
      await changeCredentialAccess(
        db,
        ctx.providers,
        credential,
        { entranceIds: [...own, entrance.acs_entrance_id] },
        now,
      )
    }
  })
