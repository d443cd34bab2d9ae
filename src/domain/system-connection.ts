import type { Insertable } from 'kysely'
import { insertAcsSystem, insertConnectedAccount } from '../db/acs-systems.js'
import type { AcsSystemsTable, ConnectedAccountsTable, Executor } from '../db/schema.js'
import { recordEvent } from '../events/log.js'

/**
 * An access system arriving in a workspace, as Seam shows it: its connected account
 * (`connected_account.connected`), then the system on it (`acs_system.added`). The
 * sandbox's seeded sites and the systems an operator creates both come this way.
 */
export const connectAccessSystem = async (
  db: Executor,
  input: {
    workspaceId: string
    account: Omit<Insertable<ConnectedAccountsTable>, 'workspace_id' | 'created_at'>
    system: Omit<
      Insertable<AcsSystemsTable>,
      'workspace_id' | 'connected_account_id' | 'created_at'
    > & { acs_system_id: string }
    /** When the rows say they were made. */
    createdAt: Date
    /** When the events happened. */
    now: Date
  },
): Promise<void> => {
  const { workspaceId, account, system, createdAt, now } = input
  const connectedAccountId = account.connected_account_id
  await insertConnectedAccount(db, { ...account, workspace_id: workspaceId, created_at: createdAt })
  await recordEvent(
    db,
    workspaceId,
    'connected_account.connected',
    { connected_account_id: connectedAccountId },
    now,
  )
  await insertAcsSystem(db, {
    ...system,
    workspace_id: workspaceId,
    connected_account_id: connectedAccountId,
    created_at: createdAt,
  })
  await recordEvent(
    db,
    workspaceId,
    'acs_system.added',
    { acs_system_id: system.acs_system_id, connected_account_id: connectedAccountId },
    now,
  )
}
