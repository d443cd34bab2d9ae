import {
  accessMethodsOfGrants,
  findGrantEntrances,
  insertAccessMethod,
  updateAccessGrant,
  updateAccessMethod,
} from '../db/access-grants.js'
import { findAcsCredentialsByIds, listAcsCredentialsOfUser } from '../db/acs-credentials.js'
import { entrancesByCredential, findAcsSystemsByIds } from '../db/acs-systems.js'
import type {
  AccessGrantRow,
  AcsEntranceRow,
  Executor,
  GrantError,
  GrantWarning,
  RequestedAccessMethod,
} from '../db/schema.js'
import { json } from '../db/schema.js'
import { findUserIdentitiesByIds } from '../db/user-identities.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { accessModeNames } from '../resources/access.js'
import { recordAccessMethodEvent, revokeAccessMethods } from './access-methods.js'
import { changeCredentialAccess, insertCredential } from './acs-credentials.js'
import { ensureAcsUserForIdentity } from './acs-users.js'
import { newId } from './ids.js'
import { reservationCardRole } from './reservations.js'

/**
 * The rule that turns an Access Grant into what each access system needs. An Access
 * Grant says who (a user identity), where (entrances, directly or through spaces),
 * when (starts_at/ends_at) and how (requested modes). For every requested mode and
 * every access system among the grant's entrances that can serve it, there is one
 * access method, backed by one ACS credential of the identity's ACS user in that
 * system, opening exactly the grant's entrances of that system for exactly the
 * grant's times.
 *
 * An access method deleted through `/access_methods/delete` is the exception: it was
 * revoked on purpose, so its request is not served again in that access system
 * (`revoked_acs_system_ids`); requesting the mode again creates a new one.
 *
 * `syncAccessGrant` makes the stored state match that rule. It runs after every
 * change that can affect a grant (creation, new times, new modes, a space gaining or
 * losing entrances) inside that change's transaction, creates what is missing,
 * updates what changed (an encoded card that changed needs encoding again), revokes
 * what is no longer wanted, and records the events of all of it.
 */

const names = (entrances: readonly AcsEntranceRow[]): string =>
  entrances.map((e) => e.display_name).join(', ')

export const syncAccessGrant = async (
  db: Executor,
  providers: ProviderRegistry,
  grant: AccessGrantRow,
  now: Date,
  options: { isNew: boolean },
): Promise<AccessGrantRow> => {
  const identity = (await findUserIdentitiesByIds(db, [grant.user_identity_id])).get(
    grant.user_identity_id,
  )
  if (!identity) throw new Error(`user identity ${grant.user_identity_id} of grant is missing`)
  const entrances = await findGrantEntrances(db, grant)
  const systems = await findAcsSystemsByIds(
    db,
    entrances.map((e) => e.acs_system_id),
  )
  const systemIds = [...new Set(entrances.map((e) => e.acs_system_id))]
  const doorsOf = (systemId: string) => entrances.filter((e) => e.acs_system_id === systemId)

  const existing = await accessMethodsOfGrants(db, [grant.access_grant_id])
  const credentials = await findAcsCredentialsByIds(
    db,
    existing.flatMap((m) => (m.acs_credential_id ? [m.acs_credential_id] : [])),
  )
  const doorsBefore = await coveredDoors(db, [...credentials.keys()])

  const requested: RequestedAccessMethod[] = grant.requested_access_methods.map((r) => ({
    ...r,
    created_access_method_ids: [...r.created_access_method_ids],
  }))
  const kept = new Set<string>()
  /** `mode system` pairs already served: one access method each, however often asked. */
  const served = new Set<string>()
  const doorsAfter = new Set<string>()
  const warnings: GrantWarning[] = []
  const errors: GrantError[] = []
  const issue = { message: '', created_at: now.toISOString() }

  for (const request of requested) {
    const label = accessModeNames[request.mode]
    const serving = systemIds.filter((id) => {
      const system = systems.get(id)
      return (
        system !== undefined &&
        providers.forSystem(system.external_type).traits.accessMethods.includes(request.mode)
      )
    })
    if (serving.length === 0) {
      errors.push({
        ...issue,
        error_code: 'cannot_create_requested_access_methods',
        message: entrances.length
          ? `None of the entrances (${names(entrances)}) can be opened with a ${label}.`
          : `The Access Grant has no entrances, so no ${label} can be created.`,
      })
      continue
    }
    const unserved = entrances.filter((e) => !serving.includes(e.acs_system_id))
    if (unserved.length > 0) {
      warnings.push({
        ...issue,
        warning_code: 'underprovisioned_access',
        message: `${names(unserved)} cannot be opened with a ${label}.`,
      })
    }
    for (const systemId of serving) {
      const system = systems.get(systemId)
      // An access method the user deleted stays revoked.
      if (!system || request.revoked_acs_system_ids?.includes(systemId)) continue
      if (served.has(`${request.mode} ${systemId}`)) continue
      served.add(`${request.mode} ${systemId}`)
      const traits = providers.forSystem(system.external_type).traits
      const doors = doorsOf(systemId).map((e) => e.acs_entrance_id)
      for (const door of doors) doorsAfter.add(door)
      const method = existing.find(
        (m) =>
          m.mode === request.mode &&
          m.acs_system_id === systemId &&
          !kept.has(m.access_method_id) &&
          m.acs_credential_id !== null &&
          credentials.has(m.acs_credential_id),
      )
      if (method?.acs_credential_id) {
        kept.add(method.access_method_id)
        const credential = credentials.get(method.acs_credential_id)
        if (!credential) continue
        const { changed } = await changeCredentialAccess(
          db,
          providers,
          credential,
          { entranceIds: doors, startsAt: grant.starts_at, endsAt: grant.ends_at },
          now,
        )
        if (changed && method.mode === 'card' && method.is_issued && traits.encodesCards) {
          const updated = await updateAccessMethod(db, method.access_method_id, {
            encoding_required_since: now,
            updated_at: now,
          })
          await recordAccessMethodEvent(
            db,
            updated,
            'access_method.card_encoding_required',
            now,
            {},
            grant,
          )
        }
        continue
      }
      const user = await ensureAcsUserForIdentity(db, identity, system, now)
      // A system that allows one card per user gives no second one to a user who holds one.
      if (traits.onePerUser?.includes(request.mode)) {
        const held = (await listAcsCredentialsOfUser(db, user.acs_user_id)).find(
          (credential) => credential.access_method === request.mode,
        )
        if (held) {
          errors.push({
            ...issue,
            error_code: 'cannot_create_requested_access_methods',
            message: `No ${label} was created for ${names(doorsOf(systemId))}: ${system.external_type_display_name} allows one per user, and ${user.full_name} holds ${label} ${held.acs_credential_id} already.`,
          })
          continue
        }
      }
      const reservation =
        request.mode === 'card' ? await reservationCardRole(db, grant, systemId) : undefined
      const credential = await insertCredential(db, providers, {
        system,
        user,
        ...(reservation ? { reservation } : {}),
        // A tag the system knows beforehand is assigned to the card later (assign_card).
        ...(request.mode === 'card' && traits.preRegisteredCards ? { awaitsCard: true } : {}),
        accessMethod: request.mode,
        code: request.mode === 'code' ? request.code : undefined,
        entranceIds: doors,
        startsAt: grant.starts_at,
        endsAt: grant.ends_at,
        now,
      })
      const created = await insertAccessMethod(db, {
        access_method_id: newId(),
        workspace_id: grant.workspace_id,
        access_grant_id: grant.access_grant_id,
        acs_system_id: systemId,
        acs_credential_id: credential.acs_credential_id,
        mode: request.mode,
        display_name: request.display_name,
        is_issued: credential.is_issued,
        issued_at: credential.issued_at,
        encoding_required_since: request.mode === 'card' && traits.encodesCards ? now : null,
        created_at: now,
        updated_at: now,
      })
      kept.add(created.access_method_id)
      request.created_access_method_ids.push(created.access_method_id)
      await recordAccessMethodEvent(db, created, 'access_method.created', now, {}, grant)
      if (created.encoding_required_since !== null) {
        await recordAccessMethodEvent(
          db,
          created,
          'access_method.card_encoding_required',
          now,
          {},
          grant,
        )
      }
      if (created.is_issued) {
        await recordAccessMethodEvent(
          db,
          created,
          'access_method.issued',
          now,
          credential.code ? { code: credential.code } : {},
          grant,
        )
      }
    }
  }

  await revokeAccessMethods(
    db,
    existing.filter((m) => !kept.has(m.access_method_id)),
    now,
  )

  const updated = await updateAccessGrant(db, grant.access_grant_id, {
    requested_access_methods: json(requested),
    warnings: json(warnings),
    errors: json(errors),
    updated_at: now,
  })
  await recordGrantEvents(db, updated, {
    before: { doors: doorsBefore, complete: !options.isNew && isComplete(grant) },
    after: { doors: doorsAfter, complete: isComplete(updated) },
    newErrors: errors.length > 0 && grant.errors.length === 0 ? errors : [],
    now,
  })
  return updated
}

const isComplete = (grant: Pick<AccessGrantRow, 'warnings' | 'errors'>): boolean =>
  grant.warnings.length === 0 && grant.errors.length === 0

/** Entrances opened by any of the credentials. */
const coveredDoors = async (
  db: Executor,
  credentialIds: readonly string[],
): Promise<Set<string>> => {
  const byCredential = await entrancesByCredential(db, credentialIds)
  return new Set([...byCredential.values()].flat().map((e) => e.acs_entrance_id))
}

const recordGrantEvents = async (
  db: Executor,
  grant: AccessGrantRow,
  change: {
    before: { doors: Set<string>; complete: boolean }
    after: { doors: Set<string>; complete: boolean }
    newErrors: GrantError[]
    now: Date
  },
): Promise<void> => {
  const { now } = change
  const ids = {
    access_grant_id: grant.access_grant_id,
    ...(grant.access_grant_key ? { access_grant_key: grant.access_grant_key } : {}),
  }
  for (const door of change.after.doors) {
    if (change.before.doors.has(door)) continue
    await recordEvent(
      db,
      grant.workspace_id,
      'access_grant.access_granted_to_door',
      { ...ids, acs_entrance_id: door },
      now,
    )
  }
  for (const door of change.before.doors) {
    if (change.after.doors.has(door)) continue
    await recordEvent(
      db,
      grant.workspace_id,
      'access_grant.access_to_door_lost',
      { ...ids, acs_entrance_id: door },
      now,
    )
  }
  if (change.after.complete && change.after.doors.size > 0 && !change.before.complete) {
    await recordEvent(db, grant.workspace_id, 'access_grant.access_granted_to_all_doors', ids, now)
  }
  const [error] = change.newErrors
  if (error) {
    await recordEvent(
      db,
      grant.workspace_id,
      'access_grant.could_not_create_requested_access_methods',
      { ...ids, error_message: change.newErrors.map((e) => e.message).join(' ') },
      now,
    )
  }
}
