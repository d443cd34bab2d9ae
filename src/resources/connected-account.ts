import type { ConnectedAccount } from '@seamapi/types/connect'
import type { ConnectedAccountRow } from '../db/schema.js'

type Capability = ConnectedAccount['accepted_capabilities'][number]
type AccountError = ConnectedAccount['errors'][number]
type AccountWarning = ConnectedAccount['warnings'][number]

/** The connection's health, in the document's `errors` and `warnings`. */
export interface ConnectionHealth {
  errors: AccountError[]
  warnings: AccountWarning[]
}

export const toConnectedAccount = (
  row: ConnectedAccountRow,
  health: ConnectionHealth,
): ConnectedAccount => ({
  connected_account_id: row.connected_account_id,
  account_type: row.account_type,
  account_type_display_name: row.account_type_display_name,
  display_name: row.display_name,
  created_at: row.created_at.toISOString(),
  errors: health.errors,
  warnings: health.warnings,
  custom_metadata: row.custom_metadata,
  automatically_manage_new_devices: row.automatically_manage_new_devices,
  accepted_capabilities: row.accepted_capabilities as Capability[],
})
