import type { AccessMethod, RouteRequestBody, SeamEventType } from '@seamapi/types/connect'
import {
  accessMethodsOfGrants,
  deleteAccessGrant,
  deleteAccessMethods,
  findAccessGrant,
  findAccessGrantsByReservation,
  findAccessMethod,
  findAccessMethodOfCredential,
  listAccessMethods,
  updateAccessGrant,
  updateAccessMethod,
} from '../db/access-grants.js'
import { findAcsCredentialsByIds } from '../db/acs-credentials.js'
import {
  type AccessGrantRow,
  type AccessMethodRow,
  type AcsCredentialRow,
  type Executor,
  json,
} from '../db/schema.js'
import { type EventFields, recordEvent } from '../events/log.js'
import { toAccessMethod } from '../resources/access.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { deleteCredentialRows } from './credential-removal.js'
import { invalidInput, notFound } from './errors.js'

type AccessMethodEventType = Extract<SeamEventType, `access_method.${string}`>

/**
 * Records an `access_method.*` event; every one names the method and its grant (and
 * the grant's `access_grant_key`, when it has one). A caller holding the grant passes
 * it, so it is not read again for each event.
 */
export const recordAccessMethodEvent = async <T extends AccessMethodEventType>(
  db: Executor,
  method: AccessMethodRow,
  eventType: T,
  now: Date,
  extra: { code?: string } = {},
  known?: Pick<AccessGrantRow, 'access_grant_id' | 'access_grant_key'>,
): Promise<void> => {
  const grant =
    known?.access_grant_id === method.access_grant_id
      ? known
      : await findAccessGrant(db, method.workspace_id, { access_grant_id: method.access_grant_id })
  await recordEvent(
    db,
    method.workspace_id,
    eventType,
    {
      access_method_id: method.access_method_id,
      access_grant_ids: [method.access_grant_id],
      ...(grant?.access_grant_key ? { access_grant_keys: [grant.access_grant_key] } : {}),
      ...extra,
    } as EventFields<T>,
    now,
  )
}

export const presentAccessMethods = async (
  db: Executor,
  rows: readonly AccessMethodRow[],
): Promise<AccessMethod[]> => {
  const credentials = await findAcsCredentialsByIds(
    db,
    rows.flatMap((row) => (row.acs_credential_id ? [row.acs_credential_id] : [])),
  )
  return rows.map((row) => {
    const credential = row.acs_credential_id ? credentials.get(row.acs_credential_id) : undefined
    return toAccessMethod(row, { code: credential?.code ?? null, hasCredential: !!credential })
  })
}

export const requireAccessMethod = async (
  db: Executor,
  scope: WorkspaceScope,
  accessMethodId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AccessMethodRow> => {
  const row = await findAccessMethod(db, scope.workspace_id, accessMethodId, options)
  if (!row) throw notFound('access_method', accessMethodId)
  return row
}

export const getAccessMethod = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  accessMethodId: string,
): Promise<AccessMethod> => {
  const [method] = await presentAccessMethods(ctx.db, [
    await requireAccessMethod(ctx.db, scope, accessMethodId),
  ])
  if (!method) throw notFound('access_method', accessMethodId)
  return method
}

export const listAccessMethodsOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_methods/list'>,
): Promise<AccessMethod[]> => {
  // Keysmith manages no devices or access codes: nothing matches those filters.
  if (input.device_id !== undefined || input.access_code_id !== undefined) return []
  let grantIds: string[] | undefined
  if (input.access_grant_id !== undefined) grantIds = [input.access_grant_id]
  if (input.access_grant_key !== undefined) {
    const grant = await findAccessGrant(ctx.db, scope.workspace_id, {
      access_grant_key: input.access_grant_key,
    })
    const ids = grant ? [grant.access_grant_id] : []
    grantIds = grantIds ? grantIds.filter((id) => ids.includes(id)) : ids
  }
  const rows = await listAccessMethods(ctx.db, scope.workspace_id, {
    access_grant_ids: grantIds,
    acs_entrance_id: input.acs_entrance_id,
    space_id: input.space_id,
  })
  return presentAccessMethods(ctx.db, rows)
}

/**
 * Revokes access methods: each one's credential is deleted (the card or PIN stops
 * working), then the method. Events: `access_method.revoked` for issued methods,
 * `access_method.deleted` for all, and the credentials' `acs_credential.deleted`.
 */
export const revokeAccessMethods = async (
  db: Executor,
  methods: readonly AccessMethodRow[],
  now: Date,
): Promise<void> => {
  if (methods.length === 0) return
  const credentials = await findAcsCredentialsByIds(
    db,
    methods.flatMap((m) => (m.acs_credential_id ? [m.acs_credential_id] : [])),
  )
  await deleteCredentialRows(db, [...credentials.values()], now)
  await deleteAccessMethods(
    db,
    methods.map((m) => m.access_method_id),
  )
  for (const method of methods) {
    if (method.is_issued) await recordAccessMethodEvent(db, method, 'access_method.revoked', now)
    await recordAccessMethodEvent(db, method, 'access_method.deleted', now)
  }
}

export const deleteAccessMethodsBy = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_methods/delete'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const by = input as {
      access_method_id?: string
      access_grant_id?: string
      reservation_key?: string
    }
    let methods: AccessMethodRow[]
    if (by.access_method_id !== undefined) {
      methods = [await requireAccessMethod(db, scope, by.access_method_id, { forUpdate: true })]
    } else if (by.access_grant_id !== undefined) {
      const grant = await findAccessGrant(db, scope.workspace_id, {
        access_grant_id: by.access_grant_id,
      })
      if (!grant) throw notFound('access_grant', by.access_grant_id)
      methods = await accessMethodsOfGrants(db, [grant.access_grant_id])
    } else if (by.reservation_key !== undefined) {
      const grants = await findAccessGrantsByReservation(db, scope.workspace_id, by.reservation_key)
      methods = await accessMethodsOfGrants(
        db,
        grants.map((g) => g.access_grant_id),
      )
    } else {
      throw invalidInput('Provide access_method_id, access_grant_id or reservation_key')
    }
    const now = ctx.now()
    await revokeAccessMethods(db, methods, now)
    await keepRevoked(db, scope, methods, now)
  })

/** Notes on each grant's requests which access methods were deleted on purpose. */
const keepRevoked = async (
  db: Executor,
  scope: WorkspaceScope,
  methods: readonly AccessMethodRow[],
  now: Date,
): Promise<void> => {
  for (const grantId of new Set(methods.map((m) => m.access_grant_id))) {
    const grant = await findAccessGrant(
      db,
      scope.workspace_id,
      { access_grant_id: grantId },
      { forUpdate: true },
    )
    if (!grant) continue
    const requests = grant.requested_access_methods.map((request) => {
      const revoked = methods.filter((m) =>
        request.created_access_method_ids.includes(m.access_method_id),
      )
      if (revoked.length === 0) return request
      return {
        ...request,
        revoked_acs_system_ids: [
          ...new Set([
            ...(request.revoked_acs_system_ids ?? []),
            ...revoked.map((m) => m.acs_system_id),
          ]),
        ],
      }
    })
    await updateAccessGrant(db, grant.access_grant_id, {
      requested_access_methods: json(requests),
      updated_at: now,
    })
  }
}

/**
 * After a card credential is encoded: its access method (if it has one) is issued,
 * or reissued when it had been encoded before.
 */
export const markCardEncoded = async (
  db: Executor,
  credential: AcsCredentialRow,
  now: Date,
): Promise<AccessMethodRow | undefined> => {
  const method = await findAccessMethodOfCredential(db, credential.acs_credential_id)
  if (!method) return undefined
  const updated = await updateAccessMethod(db, method.access_method_id, {
    is_issued: true,
    issued_at: now,
    encoding_required_since: null,
    updated_at: now,
  })
  await recordAccessMethodEvent(
    db,
    updated,
    method.is_issued ? 'access_method.reissued' : 'access_method.issued',
    now,
  )
  return updated
}

/**
 * A card encoded with a version of its credential that changed while it was being
 * written must be encoded again (`access_method.card_encoding_required`).
 */
export const requireEncodingAgain = async (
  db: Executor,
  method: AccessMethodRow,
  now: Date,
): Promise<AccessMethodRow> => {
  const updated = await updateAccessMethod(db, method.access_method_id, {
    encoding_required_since: now,
    updated_at: now,
  })
  await recordAccessMethodEvent(db, updated, 'access_method.card_encoding_required', now)
  return updated
}

/** Deletes grants in the caller's transaction: their access methods are revoked first. */
export const deleteAccessGrantRows = async (
  db: Executor,
  grants: readonly AccessGrantRow[],
  now: Date,
): Promise<void> => {
  for (const grant of grants) {
    await revokeAccessMethods(db, await accessMethodsOfGrants(db, [grant.access_grant_id]), now)
    await deleteAccessGrant(db, grant.access_grant_id)
    await recordEvent(
      db,
      grant.workspace_id,
      'access_grant.deleted',
      {
        access_grant_id: grant.access_grant_id,
        ...(grant.access_grant_key ? { access_grant_key: grant.access_grant_key } : {}),
      },
      now,
    )
  }
}
