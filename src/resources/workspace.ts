import type { Workspace } from '@seamapi/types/connect'
import type { WorkspaceRow } from '../db/schema.js'

export const toWorkspace = (row: WorkspaceRow): Workspace => ({
  workspace_id: row.workspace_id,
  name: row.name,
  company_name: row.company_name,
  connect_partner_name: row.company_name,
  is_sandbox: row.is_sandbox,
  is_suspended: row.is_suspended,
  is_publishable_key_auth_enabled: row.is_publishable_key_auth_enabled,
  organization_id: null,
  connect_webview_customization: row.connect_webview_customization,
})
