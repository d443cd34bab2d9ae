import { type Insertable, sql } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type {
  AcsEntranceRow,
  AcsEntrancesTable,
  AcsSystemRow,
  AcsSystemsTable,
  ConnectedAccountsTable,
  Executor,
} from './schema.js'
import { containsText } from './search.js'

export const insertConnectedAccount = async (
  db: Executor,
  row: Insertable<ConnectedAccountsTable>,
): Promise<void> => {
  await db.insertInto('connected_accounts').values(row).execute()
}

export const insertAcsSystem = async (
  db: Executor,
  row: Insertable<AcsSystemsTable>,
): Promise<void> => {
  await db.insertInto('acs_systems').values(row).execute()
}

export const insertAcsEntrances = async (
  db: Executor,
  rows: Insertable<AcsEntrancesTable>[],
): Promise<void> => {
  if (rows.length > 0) await db.insertInto('acs_entrances').values(rows).execute()
}

/**
 * A system row with whether it has a paired bridge, so that presenting it (its
 * bridge errors) needs no query of the bridges when it has none, the common case.
 */
export type AcsSystemWithBridgeFlag = AcsSystemRow & { has_bridges: boolean }

const hasBridges =
  sql<boolean>`exists (select 1 from bridges where bridges.acs_system_id = acs_systems.acs_system_id and bridges.token_hash is not null)`.as(
    'has_bridges',
  )

export const findAcsSystem = async (
  db: Executor,
  workspaceId: string,
  acsSystemId: string,
): Promise<AcsSystemWithBridgeFlag | undefined> => {
  if (!isUuid(acsSystemId)) return undefined
  return db
    .selectFrom('acs_systems')
    .selectAll()
    .select(hasBridges)
    .where('workspace_id', '=', workspaceId)
    .where('acs_system_id', '=', acsSystemId)
    .executeTakeFirst()
}

export interface AcsSystemFilters {
  connected_account_id?: string | undefined
  search?: string | undefined
}

export const listAcsSystems = async (
  db: Executor,
  workspaceId: string,
  filters: AcsSystemFilters,
): Promise<AcsSystemWithBridgeFlag[]> => {
  let query = db
    .selectFrom('acs_systems')
    .selectAll()
    .select(hasBridges)
    .where('workspace_id', '=', workspaceId)
  if (filters.connected_account_id !== undefined) {
    query = query.where('connected_account_id', '=', filters.connected_account_id)
  }
  if (filters.search !== undefined) {
    query = query.where(containsText(['name'], filters.search, ['acs_system_id']))
  }
  return query.orderBy('created_at').orderBy('acs_system_id').execute()
}

/** Takes the next number from the access system's own id counter. */
export const allocateExternalNumber = async (
  db: Executor,
  acsSystemId: string,
): Promise<number> => {
  const row = await db
    .updateTable('acs_systems')
    .set((eb) => ({ last_external_number: eb('last_external_number', '+', 1) }))
    .where('acs_system_id', '=', acsSystemId)
    .returning('last_external_number')
    .executeTakeFirstOrThrow()
  return row.last_external_number
}

export const findAcsEntrance = async (
  db: Executor,
  workspaceId: string,
  acsEntranceId: string,
): Promise<AcsEntranceRow | undefined> => {
  if (!isUuid(acsEntranceId)) return undefined
  return db
    .selectFrom('acs_entrances')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_entrance_id', '=', acsEntranceId)
    .executeTakeFirst()
}

/** The workspace's entrances among `ids`; unknown ids are simply absent from the result. */
export const findAcsEntrances = async (
  db: Executor,
  workspaceId: string,
  ids: readonly string[],
): Promise<AcsEntranceRow[]> => {
  const valid = ids.filter(isUuid)
  if (valid.length === 0) return []
  return db
    .selectFrom('acs_entrances')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_entrance_id', 'in', valid)
    .orderBy('created_at')
    .orderBy('acs_entrance_id')
    .execute()
}

export interface AcsEntranceFilters {
  acs_system_id?: string | undefined
  acs_credential_id?: string | undefined
  acs_entrance_ids?: string[] | undefined
  connected_account_id?: string | undefined
  search?: string | undefined
  space_id?: string | undefined
  /** A client session's reach: only these ids (see domain/client-session-scope.ts). */
  only_ids?: readonly string[] | undefined
}

/**
 * An entrance row with what presenting it needs besides (its spaces, its system's
 * type), read in the same query so that a list is one query.
 */
export type AcsEntranceWithExtras = AcsEntranceRow & {
  space_ids: string[]
  system_external_type: string | null
}

const entranceExtras = [
  sql<
    string[]
  >`coalesce((select json_agg(space_entrances.space_id order by space_entrances.space_id) from space_entrances where space_entrances.acs_entrance_id = acs_entrances.acs_entrance_id), '[]'::json)`.as(
    'space_ids',
  ),
  sql<
    string | null
  >`(select acs_systems.external_type from acs_systems where acs_systems.acs_system_id = acs_entrances.acs_system_id)`.as(
    'system_external_type',
  ),
] as const

export const listAcsEntrances = async (
  db: Executor,
  workspaceId: string,
  filters: AcsEntranceFilters,
  page: PageRequest,
): Promise<Page<AcsEntranceWithExtras>> => {
  let query = db
    .selectFrom('acs_entrances')
    .selectAll('acs_entrances')
    .select(entranceExtras)
    .where('acs_entrances.workspace_id', '=', workspaceId)
  if (filters.only_ids !== undefined) {
    if (filters.only_ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('acs_entrances.acs_entrance_id', 'in', [...filters.only_ids])
  }
  if (filters.acs_system_id !== undefined) {
    query = query.where('acs_entrances.acs_system_id', '=', filters.acs_system_id)
  }
  if (filters.acs_entrance_ids !== undefined) {
    const ids = filters.acs_entrance_ids.filter(isUuid)
    if (ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('acs_entrances.acs_entrance_id', 'in', ids)
  }
  if (filters.acs_credential_id !== undefined) {
    const credentialId = filters.acs_credential_id
    query = query.where('acs_entrances.acs_entrance_id', 'in', (eb) =>
      eb
        .selectFrom('acs_credential_entrances')
        .select('acs_credential_entrances.acs_entrance_id')
        .where('acs_credential_entrances.acs_credential_id', '=', credentialId),
    )
  }
  if (filters.connected_account_id !== undefined) {
    const connectedAccountId = filters.connected_account_id
    query = query.where('acs_entrances.acs_system_id', 'in', (eb) =>
      eb
        .selectFrom('acs_systems')
        .select('acs_systems.acs_system_id')
        .where('acs_systems.connected_account_id', '=', connectedAccountId),
    )
  }
  if (filters.search !== undefined) {
    query = query.where(containsText(['acs_entrances.display_name'], filters.search))
  }
  if (filters.space_id !== undefined) {
    const spaceId = filters.space_id
    query = query.where('acs_entrances.acs_entrance_id', 'in', (eb) =>
      eb
        .selectFrom('space_entrances')
        .select('space_entrances.acs_entrance_id')
        .where('space_entrances.space_id', '=', spaceId),
    )
  }
  return paginate(query, 'acs_entrances', 'acs_entrance_id', page)
}

/**
 * `listAcsEntrances`'s filters as a test of one row, for entrances kept in the
 * process (domain/catalog-cache.ts); undefined for filters that need other tables
 * (a credential's entrances, a connected account's systems) or the database's text
 * search, which only the query answers.
 */
export const entranceFilterInProcess = (
  filters: AcsEntranceFilters,
): ((row: AcsEntranceWithExtras) => boolean) | undefined => {
  if (
    filters.acs_credential_id !== undefined ||
    filters.connected_account_id !== undefined ||
    filters.search !== undefined
  ) {
    return undefined
  }
  const only = filters.only_ids && new Set(filters.only_ids.map((id) => id.toLowerCase()))
  const ids =
    filters.acs_entrance_ids &&
    new Set(filters.acs_entrance_ids.filter(isUuid).map((id) => id.toLowerCase()))
  const systemId = filters.acs_system_id?.toLowerCase()
  const spaceId = filters.space_id?.toLowerCase()
  return (row) =>
    (only === undefined || only.has(row.acs_entrance_id)) &&
    (ids === undefined || ids.has(row.acs_entrance_id)) &&
    (systemId === undefined || row.acs_system_id === systemId) &&
    (spaceId === undefined || row.space_ids.includes(spaceId))
}

/**
 * Every entrance of a workspace in page order, with its extras, or null when it has
 * more than `atMost` (too many to keep in the process).
 */
export const listAllAcsEntrances = async (
  db: Executor,
  workspaceId: string,
  atMost: number,
): Promise<AcsEntranceWithExtras[] | null> => {
  const rows = await db
    .selectFrom('acs_entrances')
    .selectAll('acs_entrances')
    .select(entranceExtras)
    .where('acs_entrances.workspace_id', '=', workspaceId)
    .orderBy('acs_entrances.created_at')
    .orderBy('acs_entrances.acs_entrance_id')
    .limit(atMost + 1)
    .execute()
  return rows.length > atMost ? null : rows
}

/** Entrances each credential opens, keyed by credential id. */
export const entrancesByCredential = async (
  db: Executor,
  credentialIds: readonly string[],
): Promise<Map<string, AcsEntranceRow[]>> => {
  const result = new Map<string, AcsEntranceRow[]>(credentialIds.map((id) => [id, []]))
  if (credentialIds.length === 0) return result
  const rows = await db
    .selectFrom('acs_credential_entrances')
    .innerJoin(
      'acs_entrances',
      'acs_entrances.acs_entrance_id',
      'acs_credential_entrances.acs_entrance_id',
    )
    .selectAll('acs_entrances')
    .select('acs_credential_entrances.acs_credential_id')
    .where('acs_credential_entrances.acs_credential_id', 'in', [...credentialIds])
    .orderBy('acs_entrances.created_at')
    .orderBy('acs_entrances.acs_entrance_id')
    .execute()
  for (const { acs_credential_id, ...entrance } of rows) {
    result.get(acs_credential_id)?.push(entrance)
  }
  return result
}

export const findAcsSystemsByIds = async (
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, AcsSystemRow>> => {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('acs_systems')
    .selectAll()
    .where('acs_system_id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((row) => [row.acs_system_id, row]))
}
