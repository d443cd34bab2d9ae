import { sql, type Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import {
  type ConnectedAccountRow,
  type ConnectedAccountsTable,
  type Executor,
  json,
} from './schema.js'
import { containsText } from './search.js'

/** The connected accounts behind the access systems. */

export const findConnectedAccount = async (
  db: Executor,
  workspaceId: string,
  connectedAccountId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConnectedAccountRow | undefined> => {
  if (!isUuid(connectedAccountId)) return undefined
  let query = db
    .selectFrom('connected_accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('connected_account_id', '=', connectedAccountId.toLowerCase())
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export interface ConnectedAccountFilters {
  custom_metadata_has?: Record<string, string | boolean> | undefined
  search?: string | undefined
  /** Accounts of access systems with an entrance in this space. */
  space_id?: string | undefined
  /** Accounts granted to the client sessions of this user_identifier_key. */
  user_identifier_key?: string | undefined
  /** A client session's reach: only these ids. */
  only_ids?: readonly string[] | undefined
}

export const listConnectedAccounts = async (
  db: Executor,
  workspaceId: string,
  filters: ConnectedAccountFilters,
  page: PageRequest,
): Promise<Page<ConnectedAccountRow>> => {
  let query = db
    .selectFrom('connected_accounts')
    .selectAll('connected_accounts')
    .where('connected_accounts.workspace_id', '=', workspaceId)
  if (filters.only_ids !== undefined) {
    if (filters.only_ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('connected_accounts.connected_account_id', 'in', [...filters.only_ids])
  }
  if (filters.custom_metadata_has !== undefined) {
    query = query.where(
      sql<boolean>`connected_accounts.custom_metadata @> ${json(filters.custom_metadata_has)}::jsonb`,
    )
  }
  if (filters.search !== undefined) {
    query = query.where(
      containsText(
        ['connected_accounts.account_type', 'connected_accounts.display_name'],
        filters.search,
        ['connected_accounts.connected_account_id'],
      ),
    )
  }
  if (filters.space_id !== undefined) {
    if (!isUuid(filters.space_id)) return { items: [], nextPageCursor: null }
    const spaceId = filters.space_id.toLowerCase()
    query = query.where('connected_accounts.connected_account_id', 'in', (eb) =>
      eb
        .selectFrom('space_entrances')
        .innerJoin(
          'acs_entrances',
          'acs_entrances.acs_entrance_id',
          'space_entrances.acs_entrance_id',
        )
        .select('acs_entrances.connected_account_id')
        .where('space_entrances.space_id', '=', spaceId),
    )
  }
  if (filters.user_identifier_key !== undefined) {
    const key = filters.user_identifier_key
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('client_sessions')
          .select('client_sessions.client_session_id')
          .where('client_sessions.workspace_id', '=', workspaceId)
          .where('client_sessions.user_identifier_key', '=', key)
          .where(
            sql<boolean>`client_sessions.connected_account_ids ? cast(connected_accounts.connected_account_id as text)`,
          ),
      ),
    )
  }
  return paginate(query, 'connected_accounts', 'connected_account_id', page)
}

export const updateConnectedAccount = async (
  db: Executor,
  connectedAccountId: string,
  changes: Updateable<ConnectedAccountsTable>,
): Promise<ConnectedAccountRow | undefined> =>
  db
    .updateTable('connected_accounts')
    .set(changes)
    .where('connected_account_id', '=', connectedAccountId)
    .returningAll()
    .executeTakeFirst()
