import type { RouteRequestBody, Space } from '@seamapi/types/connect'
import { findAccessGrantsOfSpace } from '../db/access-grants.js'
import { findAcsEntrances } from '../db/acs-systems.js'
import { findConnectedAccount } from '../db/connected-accounts.js'
import type { Page } from '../db/pagination.js'
import { type Executor, json, type SpaceRow } from '../db/schema.js'
import {
  addSpaceEntrances,
  deleteSpace,
  entranceIdsBySpace,
  findSpace,
  insertSpace,
  listSpaces,
  removeSpaceEntrances,
  updateSpace,
} from '../db/spaces.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toSpace } from '../resources/access.js'
import { syncAccessGrant } from './access-grant-sync.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { DomainError, notFound } from './errors.js'
import { newId } from './ids.js'

/**
 * Spaces name a group of entrances ("Room 101 and everything its guest needs").
 * Access Grants can grant a space; when a space gains or loses entrances, every
 * grant of that space follows (see access-grant-sync.ts).
 */

export const presentSpaces = async (db: Executor, rows: readonly SpaceRow[]): Promise<Space[]> => {
  const entrances = await entranceIdsBySpace(
    db,
    rows.map((row) => row.space_id),
  )
  return rows.map((row) => toSpace(row, entrances.get(row.space_id)?.length ?? 0))
}

const presentSpace = async (db: Executor, row: SpaceRow): Promise<Space> => {
  const [space] = await presentSpaces(db, [row])
  if (!space) throw new Error('presentSpaces returned nothing')
  return space
}

export interface SpaceSelector {
  space_id?: string | undefined
  space_key?: string | undefined
}

export const requireSpace = async (
  db: Executor,
  scope: WorkspaceScope,
  selector: SpaceSelector,
  options: { forUpdate?: boolean } = {},
): Promise<SpaceRow> => {
  const row = await findSpace(db, scope.workspace_id, selector, options)
  if (!row) throw notFound('space', selector.space_id ?? selector.space_key)
  return row
}

const requireEntrances = async (
  db: Executor,
  scope: WorkspaceScope,
  ids: readonly string[],
): Promise<string[]> => {
  const unique = [...new Set(ids)]
  const found = await findAcsEntrances(db, scope.workspace_id, unique)
  const missing = unique.find((id) => !found.some((e) => e.acs_entrance_id === id))
  if (missing !== undefined) throw notFound('acs_entrance', missing)
  return unique
}

const assertSpaceKeyFree = async (
  db: Executor,
  scope: WorkspaceScope,
  key: string | undefined,
  exceptId?: string,
): Promise<void> => {
  if (key === undefined) return
  const holder = await findSpace(db, scope.workspace_id, { space_key: key })
  if (holder && holder.space_id !== exceptId) {
    throw new DomainError(
      'conflict',
      'space_key_already_in_use',
      `Another space already has space_key "${key}"`,
    )
  }
}

const assertNoDevices = (deviceIds: readonly string[] | undefined): void => {
  const [deviceId] = deviceIds ?? []
  // Keysmith manages access control systems, not standalone devices.
  if (deviceId !== undefined) throw notFound('device', deviceId)
}

/**
 * Keysmith's spaces hold entrances, not accounts: `connected_account_ids` links nothing,
 * but each must still name an account of the workspace, as any other id does.
 */
const requireConnectedAccounts = async (
  db: Executor,
  scope: WorkspaceScope,
  ids: readonly string[] | undefined,
): Promise<void> => {
  for (const id of new Set(ids ?? [])) {
    if (!(await findConnectedAccount(db, scope.workspace_id, id))) {
      throw notFound('connected_account', id)
    }
  }
}

/** The entrances of a space now. */
const entrancesOfSpace = async (db: Executor, spaceId: string): Promise<string[]> =>
  (await entranceIdsBySpace(db, [spaceId])).get(spaceId) ?? []

/**
 * After a change to the space's entrances: if they differ from `before`, records
 * `space.device_membership_changed` and brings every grant of the space up to date.
 */
const membershipChanged = async (
  db: Executor,
  providers: ProviderRegistry,
  space: SpaceRow,
  before: readonly string[],
  now: Date,
): Promise<void> => {
  const fields = await spaceEventFields(db, space)
  const after = fields.acs_entrance_ids
  if (after.length === before.length && after.every((id) => before.includes(id))) return
  await recordEvent(db, space.workspace_id, 'space.device_membership_changed', fields, now)
  for (const grant of await findAccessGrantsOfSpace(db, space.space_id)) {
    await syncAccessGrant(db, providers, grant, now, { isNew: false })
  }
}

const spaceEventFields = async (db: Executor, space: SpaceRow) => ({
  space_id: space.space_id,
  ...(space.space_key !== null ? { space_key: space.space_key } : {}),
  device_ids: [],
  acs_entrance_ids: await entrancesOfSpace(db, space.space_id),
})

export const createSpace = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/spaces/create'>,
): Promise<Space> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    assertNoDevices(input.device_ids)
    await requireConnectedAccounts(db, scope, input.connected_account_ids)
    await assertSpaceKeyFree(db, scope, input.space_key)
    const entranceIds = await requireEntrances(db, scope, input.acs_entrance_ids ?? [])
    const space = await insertSpace(db, {
      space_id: newId(),
      workspace_id: scope.workspace_id,
      name: input.name,
      space_key: input.space_key ?? null,
      customer_data: json(input.customer_data ?? null),
      created_at: now,
      updated_at: now,
    })
    await addSpaceEntrances(db, space.space_id, entranceIds)
    await recordEvent(
      db,
      scope.workspace_id,
      'space.created',
      await spaceEventFields(db, space),
      now,
    )
    return presentSpace(db, space)
  })

export const getSpace = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  selector: SpaceSelector,
): Promise<Space> => presentSpace(ctx.db, await requireSpace(ctx.db, scope, selector))

export const listSpacesPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/spaces/list'>,
): Promise<Page<Space>> => {
  // Keysmith has no customers, and its spaces are not nested: nothing matches those filters.
  if (
    input.customer_key !== undefined ||
    input.parent_space_id !== undefined ||
    input.parent_space_key !== undefined
  ) {
    return { items: [], nextPageCursor: null }
  }
  const page = await listSpaces(
    ctx.db,
    scope.workspace_id,
    {
      search: input.search,
      space_key: input.space_key,
      connected_account_id: input.connected_account_id,
    },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  return { ...page, items: await presentSpaces(ctx.db, page.items) }
}

/** Renames a space or replaces its entrances (`acs_entrance_ids` is the new full set). */
export const updateSpaceDetails = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/spaces/update'>,
): Promise<Space> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const space = await requireSpace(db, scope, input, { forUpdate: true })
    assertNoDevices(input.device_ids)
    await assertSpaceKeyFree(db, scope, input.space_key, space.space_id)
    const updated = await updateSpace(db, space.space_id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.space_key !== undefined && input.space_id !== undefined
        ? { space_key: input.space_key }
        : {}),
      ...(input.customer_data !== undefined
        ? { customer_data: json(mergeCustomerData(space.customer_data, input.customer_data)) }
        : {}),
      updated_at: now,
    })
    if (input.acs_entrance_ids !== undefined) {
      const wanted = await requireEntrances(db, scope, input.acs_entrance_ids)
      const current = await entrancesOfSpace(db, space.space_id)
      await removeSpaceEntrances(
        db,
        space.space_id,
        current.filter((id) => !wanted.includes(id)),
      )
      await addSpaceEntrances(
        db,
        space.space_id,
        wanted.filter((id) => !current.includes(id)),
      )
      await membershipChanged(db, ctx.providers, updated, current, now)
    }
    return presentSpace(db, updated)
  })

export const changeSpaceEntrances = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: { space_id: string; acs_entrance_ids: string[] },
  change: 'add' | 'remove',
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const space = await requireSpace(db, scope, input, { forUpdate: true })
    const entranceIds = await requireEntrances(db, scope, input.acs_entrance_ids)
    const before = await entrancesOfSpace(db, space.space_id)
    if (change === 'add') await addSpaceEntrances(db, space.space_id, entranceIds)
    else await removeSpaceEntrances(db, space.space_id, entranceIds)
    await membershipChanged(db, ctx.providers, space, before, now)
  })

/** Deleting a space takes its entrances away from the grants that used it. */
export const deleteSpaceById = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  spaceId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const now = ctx.now()
    const space = await requireSpace(db, scope, { space_id: spaceId }, { forUpdate: true })
    const grants = await findAccessGrantsOfSpace(db, space.space_id)
    const fields = await spaceEventFields(db, space)
    await deleteSpace(db, space.space_id)
    for (const grant of grants)
      await syncAccessGrant(db, ctx.providers, grant, now, { isNew: false })
    await recordEvent(db, scope.workspace_id, 'space.deleted', fields, now)
  })

/**
 * `customer_data` on update: only the keys given change, and a key given as null is
 * cleared.
 */
export const mergeCustomerData = (
  current: Readonly<Record<string, string | null>> | null,
  changes: Readonly<Record<string, string | null | undefined>>,
): Record<string, string> | null => {
  const merged = Object.entries({ ...current, ...changes }).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  )
  return merged.length > 0 ? Object.fromEntries(merged) : null
}
