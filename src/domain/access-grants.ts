import type { AccessGrant, RouteRequestBody } from '@seamapi/types/connect'
import {
  type AccessGrantWithExtras,
  accessGrantMembers,
  accessMethodsOfGrants,
  findAccessGrant,
  findGrantEntrances,
  insertAccessGrant,
  listAccessGrants,
  setAccessGrantMembers,
  updateAccessGrant,
} from '../db/access-grants.js'
import { findAcsEntrances, findAcsSystemsByIds } from '../db/acs-systems.js'
import type { Page } from '../db/pagination.js'
import {
  type AccessGrantRow,
  type AccessMode,
  type Executor,
  json,
  type RequestedAccessMethod,
} from '../db/schema.js'
import { entranceIdsBySpace, findSpaces, findSpacesByKeys } from '../db/spaces.js'
import { findUserIdentitiesByIds } from '../db/user-identities.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { accessModeNames, toAccessGrant } from '../resources/access.js'
import { syncAccessGrant } from './access-grant-sync.js'
import { deleteAccessGrantRows } from './access-methods.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { DomainError, invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'
import { assertReservationRules, assertTimesFitReservation } from './reservations.js'
import { assertEndsAfterStarts, parseTime } from './time.js'
import { insertIdentity, requireUserIdentity } from './user-identities.js'

export const presentGrants = async (
  db: Executor,
  rows: readonly (AccessGrantRow | AccessGrantWithExtras)[],
): Promise<AccessGrant[]> => {
  // Rows read with what they show (db's AccessGrantWithExtras) need no further query.
  if (rows.every((row): row is AccessGrantWithExtras => 'access_method_ids' in row)) {
    return rows.map((row) =>
      toAccessGrant(row, {
        spaceIds: [...row.space_ids],
        accessMethodIds: [...row.access_method_ids],
        identityName: row.identity_name ?? 'a guest',
      }),
    )
  }
  const ids = rows.map((row) => row.access_grant_id)
  const [members, methods, identities] = await Promise.all([
    accessGrantMembers(db, ids),
    accessMethodsOfGrants(db, ids),
    findUserIdentitiesByIds(
      db,
      rows.map((row) => row.user_identity_id),
    ),
  ])
  return rows.map((row) => {
    const identity = identities.get(row.user_identity_id)
    return toAccessGrant(row, {
      spaceIds: members.get(row.access_grant_id)?.space_ids ?? [],
      accessMethodIds: methods
        .filter((m) => m.access_grant_id === row.access_grant_id)
        .map((m) => m.access_method_id),
      identityName:
        identity?.full_name ?? identity?.email_address ?? identity?.phone_number ?? 'a guest',
    })
  })
}

export const presentGrant = async (db: Executor, row: AccessGrantRow): Promise<AccessGrant> => {
  const [grant] = await presentGrants(db, [row])
  if (!grant) throw new Error('presentGrants returned nothing')
  return grant
}

export interface GrantSelector {
  access_grant_id?: string | undefined
  access_grant_key?: string | undefined
}

export const requireAccessGrant = async (
  db: Executor,
  scope: WorkspaceScope,
  selector: GrantSelector,
  options: { forUpdate?: boolean } = {},
): Promise<AccessGrantRow> => {
  const row = await findAccessGrant(db, scope.workspace_id, selector, options)
  if (!row) throw notFound('access_grant', selector.access_grant_id ?? selector.access_grant_key)
  return row
}

type RequestedInput = { mode: AccessMode; code?: string | undefined }

/**
 * Requested modes, each once: a grant has one access method per mode and access
 * system, so asking for a mode twice adds nothing. The same mode with two different
 * PIN codes cannot be honoured and is refused.
 */
const distinctRequests = <R extends RequestedInput>(requests: readonly R[]): R[] => {
  const byMode = new Map<AccessMode, R>()
  for (const request of requests) {
    const earlier = byMode.get(request.mode)
    if (!earlier) {
      byMode.set(request.mode, request)
      continue
    }
    if (earlier.code !== request.code) {
      throw invalidInput(
        `requested_access_methods asks for mode "${request.mode}" twice with different codes; a grant has one ${accessModeNames[request.mode]} per access system`,
        'requested_access_methods',
      )
    }
  }
  return [...byMode.values()]
}

const requestedMethods = (
  requests: readonly RequestedInput[],
  now: Date,
): RequestedAccessMethod[] =>
  requests.map((r) => ({
    mode: r.mode,
    ...(r.code !== undefined ? { code: r.code } : {}),
    display_name: accessModeNames[r.mode],
    created_at: now.toISOString(),
    created_access_method_ids: [],
  }))

/**
 * A requested PIN value can only be honoured where the access system accepts
 * custom codes; where the system makes up its own, the request is refused rather
 * than silently given another code.
 */
const assertCodesHonoured = async (
  db: Executor,
  providers: ProviderRegistry,
  entranceSystemIds: readonly string[],
  requests: readonly RequestedInput[],
): Promise<void> => {
  if (!requests.some((r) => r.mode === 'code' && r.code !== undefined)) return
  const systems = await findAcsSystemsByIds(db, entranceSystemIds)
  for (const system of systems.values()) {
    const traits = providers.forSystem(system.external_type).traits
    if (traits.accessMethods.includes('code') && traits.generatesCodes) {
      throw invalidInput(
        `${system.name} (${system.external_type_display_name}) makes up its own PIN codes; leave code out of requested_access_methods`,
        'requested_access_methods',
      )
    }
  }
}

type CreateInput = RouteRequestBody<'/access_grants/create'> & {
  user_identity_id?: string
  user_identity?: {
    full_name?: string | null
    email_address?: string | null
    phone_number?: string | null
    user_identity_key?: string | null
  }
}

/**
 * Creates an Access Grant and, through `syncAccessGrant`, everything it needs in
 * each access system, all in one transaction: a bad id anywhere leaves nothing behind.
 */
export const createAccessGrant = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: CreateInput,
): Promise<AccessGrant> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const deviceIds = [...(input.device_ids ?? []), ...(input.location?.device_ids ?? [])]
    const [deviceId] = deviceIds
    if (deviceId !== undefined) throw notFound('device', deviceId)

    const entranceIds = [
      ...new Set([...(input.acs_entrance_ids ?? []), ...(input.location?.acs_entrance_ids ?? [])]),
    ]
    const entrances = await findAcsEntrances(db, scope.workspace_id, entranceIds)
    const missingEntrance = entranceIds.find(
      (id) => !entrances.some((e) => e.acs_entrance_id === id),
    )
    if (missingEntrance !== undefined) throw notFound('acs_entrance', missingEntrance)

    const spaceIds = [...new Set([...(input.space_ids ?? []), ...(input.location_ids ?? [])])]
    const spaces = await findSpaces(db, scope.workspace_id, spaceIds)
    const missingSpace = spaceIds.find((id) => !spaces.some((s) => s.space_id === id))
    if (missingSpace !== undefined) throw notFound('space', missingSpace)
    const byKey = await findSpacesByKeys(db, scope.workspace_id, input.space_keys ?? [])
    const missingKey = (input.space_keys ?? []).find((k) => !byKey.some((s) => s.space_key === k))
    if (missingKey !== undefined) throw notFound('space', missingKey)
    const allSpaceIds = [...new Set([...spaces, ...byKey].map((s) => s.space_id))]
    if (entranceIds.length === 0 && allSpaceIds.length === 0) {
      throw invalidInput(
        'Provide acs_entrance_ids or space_ids: the places the grant opens',
        'acs_entrance_ids',
      )
    }

    const requests = distinctRequests(input.requested_access_methods)
    if (requests.length === 0) {
      throw invalidInput('Request at least one access method', 'requested_access_methods')
    }
    const spaceEntranceIds = [...(await entranceIdsBySpace(db, allSpaceIds)).values()].flat()
    const reached = await findAcsEntrances(db, scope.workspace_id, [
      ...entranceIds,
      ...spaceEntranceIds,
    ])
    await assertCodesHonoured(
      db,
      ctx.providers,
      reached.map((e) => e.acs_system_id),
      requests,
    )

    const startsAt = input.starts_at !== undefined ? parseTime(input.starts_at, 'starts_at') : now
    const endsAt =
      input.ends_at !== undefined && input.ends_at !== null
        ? parseTime(input.ends_at, 'ends_at')
        : null
    assertEndsAfterStarts(startsAt, endsAt)

    if (input.access_grant_key !== undefined) {
      const holder = await findAccessGrant(db, scope.workspace_id, {
        access_grant_key: input.access_grant_key,
      })
      if (holder) {
        throw new DomainError(
          'conflict',
          'access_grant_key_already_in_use',
          `Another Access Grant already has access_grant_key "${input.access_grant_key}"`,
        )
      }
    }

    const identity =
      input.user_identity_id !== undefined
        ? await requireUserIdentity(db, scope, { user_identity_id: input.user_identity_id })
        : await insertIdentity(db, scope, input.user_identity ?? {}, now)

    const grant = await insertAccessGrant(db, {
      access_grant_id: newId(),
      workspace_id: scope.workspace_id,
      user_identity_id: identity.user_identity_id,
      access_grant_key: input.access_grant_key ?? null,
      reservation_key: input.reservation_key ?? null,
      name: input.name ?? input.location?.name ?? null,
      starts_at: startsAt,
      ends_at: endsAt,
      requested_access_methods: json(requestedMethods(requests, now)),
      warnings: json([]),
      errors: json([]),
      created_at: now,
      updated_at: now,
    })
    await setAccessGrantMembers(db, grant.access_grant_id, {
      acs_entrance_ids: entranceIds,
      space_ids: allSpaceIds,
    })
    await assertReservationRules(db, ctx.providers, grant)
    await recordEvent(
      db,
      scope.workspace_id,
      'access_grant.created',
      {
        access_grant_id: grant.access_grant_id,
        ...(grant.access_grant_key ? { access_grant_key: grant.access_grant_key } : {}),
      },
      now,
    )
    return presentGrant(db, await syncAccessGrant(db, ctx.providers, grant, now, { isNew: true }))
  })

export const getAccessGrant = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: GrantSelector,
): Promise<AccessGrant> => presentGrant(ctx.db, await requireAccessGrant(ctx.db, scope, selector))

export const listAccessGrantsPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_grants/list'>,
): Promise<Page<AccessGrant>> => {
  // Keysmith manages no devices, access codes or customers: nothing matches those filters.
  if (
    input.device_id !== undefined ||
    input.access_code_id !== undefined ||
    input.customer_key !== undefined
  ) {
    return { items: [], nextPageCursor: null }
  }
  const page = await listAccessGrants(
    ctx.db,
    scope.workspace_id,
    {
      access_grant_ids: input.access_grant_ids,
      access_grant_key: input.access_grant_key,
      reservation_key: input.reservation_key,
      user_identity_id: input.user_identity_id,
      acs_system_id: input.acs_system_id,
      acs_entrance_id: input.acs_entrance_id,
      space_id: input.space_id ?? input.location_id,
    },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  return { ...page, items: await presentGrants(ctx.db, page.items) }
}

/**
 * New times (or a new name). The credentials underneath follow; cards already
 * encoded must be encoded again (`access_method.card_encoding_required`).
 */
export const updateAccessGrantTimes = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_grants/update'>,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    if (input.access_grant_id === undefined && input.access_grant_key === undefined) {
      throw invalidInput('Provide access_grant_id or access_grant_key', 'access_grant_id')
    }
    const grant = await requireAccessGrant(db, scope, input, { forUpdate: true })
    const startsAt =
      input.starts_at !== undefined ? parseTime(input.starts_at, 'starts_at') : grant.starts_at
    const endsAt =
      input.ends_at === undefined
        ? grant.ends_at
        : input.ends_at === null
          ? null
          : parseTime(input.ends_at, 'ends_at')
    assertEndsAfterStarts(startsAt, endsAt)
    const timesChanged =
      startsAt.getTime() !== grant.starts_at.getTime() ||
      (endsAt?.getTime() ?? null) !== (grant.ends_at?.getTime() ?? null)
    const updated = await updateAccessGrant(db, grant.access_grant_id, {
      starts_at: startsAt,
      ends_at: endsAt,
      ...(input.name !== undefined ? { name: input.name } : {}),
      updated_at: now,
    })
    if (!timesChanged) return
    await assertTimesFitReservation(db, updated)
    await recordEvent(
      db,
      scope.workspace_id,
      'access_grant.access_times_changed',
      {
        access_grant_id: grant.access_grant_id,
        ...(grant.access_grant_key ? { access_grant_key: grant.access_grant_key } : {}),
        starts_at: startsAt.toISOString(),
        ...(endsAt ? { ends_at: endsAt.toISOString() } : {}),
      },
      now,
    )
    await syncAccessGrant(db, ctx.providers, updated, now, { isNew: false })
  })

/** Adds requested modes to a grant and creates their access methods. */
export const requestMoreAccessMethods = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_grants/request_access_methods'>,
): Promise<AccessGrant> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const grant = await requireAccessGrant(db, scope, input, { forUpdate: true })
    const reached = await findGrantEntrances(db, grant)
    // A mode the grant already has, served everywhere it can be, is not asked again; a
    // mode whose access method was deleted is (that is how a new one is asked for).
    const requests = distinctRequests(input.requested_access_methods).filter(
      (r) =>
        !grant.requested_access_methods.some(
          (known) =>
            known.mode === r.mode &&
            known.code === r.code &&
            (known.revoked_acs_system_ids ?? []).length === 0,
        ),
    )
    await assertCodesHonoured(
      db,
      ctx.providers,
      reached.map((e) => e.acs_system_id),
      requests,
    )
    const updated = await updateAccessGrant(db, grant.access_grant_id, {
      requested_access_methods: json([
        ...grant.requested_access_methods,
        ...requestedMethods(requests, now),
      ]),
      updated_at: now,
    })
    return presentGrant(
      db,
      await syncAccessGrant(db, ctx.providers, updated, now, { isNew: false }),
    )
  })

export const deleteAccessGrantById = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  accessGrantId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const grant = await requireAccessGrant(
      db,
      scope,
      { access_grant_id: accessGrantId },
      { forUpdate: true },
    )
    await deleteAccessGrantRows(db, [grant], ctx.now())
  })
