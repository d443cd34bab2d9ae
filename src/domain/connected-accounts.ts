import type { ConnectedAccount, RouteRequestBody } from '@seamapi/types/connect'
import {
  findConnectedAccount,
  listConnectedAccounts,
  updateConnectedAccount,
} from '../db/connected-accounts.js'
import type { Page } from '../db/pagination.js'
import { type ConnectedAccountRow, type Executor, json } from '../db/schema.js'
import { type ConnectionHealth, toConnectedAccount } from '../resources/connected-account.js'
import { assertReachable, reachableIds } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { assertNotEmpty, invalidInput, notFound } from './errors.js'

/**
 * Connected accounts: the accounts (a hotel lock server, a cloud access site…) behind the
 * access systems. Keysmith's access systems are reached directly, so every account is
 * connected: `errors` and `warnings` are empty. A system that lost its connection
 * would report `account_disconnected` here, as the document defines.
 */
const healthOf = (_row: ConnectedAccountRow): ConnectionHealth => ({ errors: [], warnings: [] })

const present = (row: ConnectedAccountRow): ConnectedAccount =>
  toConnectedAccount(row, healthOf(row))

const requireAccount = async (
  db: Executor,
  scope: WorkspaceScope,
  connectedAccountId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConnectedAccountRow> => {
  assertReachable(scope, 'connected_account', connectedAccountId)
  const row = await findConnectedAccount(db, scope.workspace_id, connectedAccountId, options)
  if (!row) throw notFound('connected_account', connectedAccountId)
  return row
}

export const getConnectedAccount = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/connected_accounts/get'>,
): Promise<ConnectedAccount> => {
  if ('connected_account_id' in input && input.connected_account_id !== undefined) {
    return present(await requireAccount(ctx.db, scope, input.connected_account_id))
  }
  // Keysmith's accounts have no login email (no user_identifier): none matches.
  throw notFound('connected_account')
}

export const listConnectedAccountsPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/connected_accounts/list'>,
): Promise<Page<ConnectedAccount>> => {
  // Keysmith has no customers: no account belongs to one.
  if (input.customer_key !== undefined) return { items: [], nextPageCursor: null }
  const page = await listConnectedAccounts(
    ctx.db,
    scope.workspace_id,
    {
      custom_metadata_has: input.custom_metadata_has,
      search: input.search,
      space_id: input.space_id,
      user_identifier_key: input.user_identifier_key,
      only_ids: reachableIds(scope, 'connected_account'),
    },
    { limit: input.limit ?? 11_000, pageCursor: input.page_cursor },
  )
  return { ...page, items: page.items.map(present) }
}

const maxMetadataKeys = 50

export const updateConnectedAccountSettings = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/connected_accounts/update'>,
): Promise<ConnectedAccount> => {
  if (input.customer_key !== undefined) {
    throw invalidInput('Keysmith has no customers: leave out customer_key', 'customer_key')
  }
  assertNotEmpty({ display_name: input.display_name })
  let metadata: Record<string, string | boolean> | undefined
  if (input.custom_metadata !== undefined) {
    // It replaces the whole object; a null value leaves its key out.
    metadata = Object.fromEntries(
      Object.entries(input.custom_metadata).filter(
        (entry): entry is [string, string | boolean] => entry[1] !== null,
      ),
    )
    if (Object.keys(metadata).length > maxMetadataKeys) {
      throw invalidInput(`custom_metadata holds at most ${maxMetadataKeys} keys`, 'custom_metadata')
    }
  }
  return ctx.db.transaction().execute(async (db) => {
    const row = await requireAccount(db, scope, input.connected_account_id, { forUpdate: true })
    const changes = {
      ...(input.display_name !== undefined ? { display_name: input.display_name.trim() } : {}),
      ...(metadata !== undefined ? { custom_metadata: json(metadata) } : {}),
      ...(input.automatically_manage_new_devices !== undefined
        ? { automatically_manage_new_devices: input.automatically_manage_new_devices }
        : {}),
      ...(input.accepted_capabilities !== undefined
        ? { accepted_capabilities: json([...new Set(input.accepted_capabilities)]) }
        : {}),
    }
    // Nothing to change (only the id given): the account as it is.
    if (Object.keys(changes).length === 0) return present(row)
    const updated = await updateConnectedAccount(db, row.connected_account_id, changes)
    return present(updated ?? row)
  })
}
