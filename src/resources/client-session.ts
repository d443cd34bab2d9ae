import type { ClientSession } from '@seamapi/types/connect'
import type { ClientSessionRow } from '../db/schema.js'

/** A stored session as the API shows it, with its token (derived, never stored). */
export const toClientSession = (row: ClientSessionRow, token: string): ClientSession => ({
  client_session_id: row.client_session_id,
  workspace_id: row.workspace_id,
  created_at: row.created_at.toISOString(),
  expires_at: row.expires_at.toISOString(),
  token,
  user_identifier_key: row.user_identifier_key,
  // Keysmith has no devices or Connect Webviews.
  device_count: 0,
  connected_account_ids: row.connected_account_ids,
  connect_webview_ids: [],
  user_identity_ids: row.user_identity_ids,
  ...(row.user_identity_ids[0] !== undefined ? { user_identity_id: row.user_identity_ids[0] } : {}),
})
