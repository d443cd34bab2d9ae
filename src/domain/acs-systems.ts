import type {
  AcsCredential,
  AcsEntrance,
  AcsSystem,
  RouteRequestBody,
} from '@seamapi/types/connect'
import { listAcsCredentialsForEntrance } from '../db/acs-credentials.js'
import {
  type AcsEntranceFilters,
  type AcsSystemWithBridgeFlag,
  entranceFilterInProcess,
  findAcsEntrance,
  listAcsEntrances,
  listAcsSystems,
  listAllAcsEntrances,
} from '../db/acs-systems.js'
import { type Page, paginateRows } from '../db/pagination.js'
import { CatalogCache, keptById } from './catalog-cache.js'
import { assertReachable, keepReachable, reachableIds } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { notFound } from './errors.js'
import { presentCredentials, presentEntrances, presentSystems } from './present.js'

/** The workspace's access systems, from the process's catalog cache when it has them. */
const systemsOfWorkspace = (ctx: DomainContext, workspaceId: string) => {
  const load = () => listAcsSystems(ctx.db, workspaceId, {})
  return ctx.catalogCache ? ctx.catalogCache.systemsOf(workspaceId, load) : load()
}

/** The workspace's entrances kept in the process, or null: read the database. */
export const keptEntrances = async (ctx: DomainContext, workspaceId: string) =>
  ctx.catalogCache
    ? ctx.catalogCache.entrancesOf(workspaceId, () =>
        listAllAcsEntrances(ctx.db, workspaceId, CatalogCache.maxRowsPerWorkspace),
      )
    : null

const present = (ctx: DomainContext, rows: readonly AcsSystemWithBridgeFlag[]) =>
  presentSystems(ctx.db, ctx.providers, rows, ctx.now(), ctx.settings.bridgeStaleMs)

export const getAcsSystem = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsSystemId: string,
): Promise<AcsSystem> => {
  const id = acsSystemId.toLowerCase()
  const row = (await systemsOfWorkspace(ctx, scope.workspace_id)).find(
    (system) => system.acs_system_id === id,
  )
  if (!row) throw notFound('acs_system', acsSystemId)
  const [system] = await present(ctx, [row])
  if (!system) throw notFound('acs_system', acsSystemId)
  return system
}

export const listAcsSystemsOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/systems/list'>,
): Promise<AcsSystem[]> => {
  // Keysmith has no customers: no access system belongs to one.
  if (input.customer_key !== undefined) return []
  const filtered = input.connected_account_id !== undefined || input.search !== undefined
  const rows = filtered
    ? await listAcsSystems(ctx.db, scope.workspace_id, {
        connected_account_id: input.connected_account_id,
        search: input.search,
      })
    : await systemsOfWorkspace(ctx, scope.workspace_id)
  return present(
    ctx,
    keepReachable(scope, 'acs_system', rows, (row) => row.acs_system_id),
  )
}

export const getAcsEntrance = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsEntranceId: string,
): Promise<AcsEntrance> => {
  assertReachable(scope, 'acs_entrance', acsEntranceId)
  const kept = await keptEntrances(ctx, scope.workspace_id)
  const id = acsEntranceId.toLowerCase()
  const row = kept
    ? keptById(kept, (entrance) => entrance.acs_entrance_id).get(id)
    : await findAcsEntrance(ctx.db, scope.workspace_id, acsEntranceId)
  if (!row) throw notFound('acs_entrance', acsEntranceId)
  const [entrance] = await presentEntrances(ctx.db, ctx.providers, [row])
  if (!entrance) throw notFound('acs_entrance', acsEntranceId)
  return entrance
}

export const listAcsEntrancesPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/entrances/list'>,
): Promise<Page<AcsEntrance>> => {
  // Keysmith has no customers: no entrance belongs to one.
  if (input.customer_key !== undefined) return { items: [], nextPageCursor: null }
  const filters: AcsEntranceFilters = {
    acs_system_id: input.acs_system_id,
    acs_credential_id: input.acs_credential_id,
    acs_entrance_ids: input.acs_entrance_ids,
    connected_account_id: input.connected_account_id,
    search: input.search,
    // location_id is the deprecated name of space_id.
    space_id: input.space_id ?? input.location_id ?? undefined,
    only_ids: reachableIds(scope, 'acs_entrance'),
  }
  const pageRequest = { limit: input.limit ?? 900, pageCursor: input.page_cursor }
  const matches = entranceFilterInProcess(filters)
  const kept = matches ? await keptEntrances(ctx, scope.workspace_id) : null
  const page =
    matches && kept
      ? paginateRows(kept.filter(matches), 'acs_entrance_id', pageRequest)
      : await listAcsEntrances(ctx.db, scope.workspace_id, filters, pageRequest)
  return { ...page, items: await presentEntrances(ctx.db, ctx.providers, page.items) }
}

/** Credentials that open an entrance; `include_if` keeps only currently valid ones. */
export const listCredentialsWithAccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/entrances/list_credentials_with_access'>,
): Promise<AcsCredential[]> => {
  assertReachable(scope, 'acs_entrance', input.acs_entrance_id)
  const entrance = await findAcsEntrance(ctx.db, scope.workspace_id, input.acs_entrance_id)
  if (!entrance) throw notFound('acs_entrance', input.acs_entrance_id)
  const rows = keepReachable(
    scope,
    'acs_credential',
    await listAcsCredentialsForEntrance(ctx.db, scope.workspace_id, entrance.acs_entrance_id),
    (row) => row.acs_credential_id,
  )
  const credentials = await presentCredentials(ctx.db, ctx.providers, rows, ctx.now())
  const conditions = input.include_if ?? []
  if (conditions.length === 0) return credentials
  return credentials.filter((c) => conditions.every((path) => holds(c, path)))
}

/**
 * An `include_if` condition: the dotted path (e.g. `<brand>_metadata.is_valid`) into
 * the credential resource is true. Its access system's provider sets that field.
 */
const holds = (resource: object, path: string): boolean => {
  let value: unknown = resource
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return false
    value = (value as Record<string, unknown>)[part]
  }
  return value === true
}
