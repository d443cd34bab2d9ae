import type { AccessGrant, AccessMethod, Space, UserIdentity } from '@seamapi/types/connect'
import type { AccessGrantRow, AccessMethodRow, SpaceRow, UserIdentityRow } from '../db/schema.js'
import { displayName, iso } from './acs.js'

/** User identities, spaces, Access Grants and access methods as the API returns them. */

export const toUserIdentity = (row: UserIdentityRow, acsUserIds: string[]): UserIdentity => ({
  user_identity_id: row.user_identity_id,
  workspace_id: row.workspace_id,
  user_identity_key: row.user_identity_key,
  full_name: row.full_name,
  email_address: row.email_address,
  phone_number: row.phone_number,
  display_name: displayName(
    [row.full_name, row.email_address, row.phone_number, row.user_identity_key],
    'Unnamed user',
  ),
  created_at: iso(row.created_at),
  acs_user_ids: acsUserIds,
  errors: [],
  warnings: [],
})

export const toSpace = (row: SpaceRow, acsEntranceCount: number): Space => ({
  space_id: row.space_id,
  workspace_id: row.workspace_id,
  name: row.name,
  display_name: row.name,
  ...(row.space_key !== null ? { space_key: row.space_key } : {}),
  ...(row.customer_data ? { customer_data: row.customer_data } : {}),
  created_at: iso(row.created_at),
  device_count: 0,
  acs_entrance_count: acsEntranceCount,
})

export const accessModeNames: Record<AccessMethodRow['mode'], string> = {
  card: 'Plastic Card',
  code: 'PIN Code',
  mobile_key: 'Mobile Key',
  cloud_key: 'Cloud Key',
}

export interface AccessMethodContext {
  /** The PIN of a code method, from its credential. */
  code: string | null
  /** Whether the method's credential exists (a card can then be encoded). */
  hasCredential: boolean
}

export const toAccessMethod = (
  row: AccessMethodRow,
  { code, hasCredential }: AccessMethodContext,
): AccessMethod => {
  const encodingRequired = row.mode === 'card' && row.encoding_required_since !== null
  return {
    access_method_id: row.access_method_id,
    workspace_id: row.workspace_id,
    display_name: row.display_name,
    mode: row.mode,
    created_at: iso(row.created_at),
    is_issued: row.is_issued,
    issued_at: row.issued_at ? iso(row.issued_at) : null,
    ...(row.mode === 'code' ? { code } : {}),
    ...(row.mode === 'card'
      ? {
          is_encoding_required: encodingRequired,
          is_ready_for_encoding: encodingRequired && hasCredential,
          // A card neither issued nor waiting for its encoding waits for a registered
          // tag to be assigned to it (/access_methods/assign_card).
          is_assignment_required: !row.is_issued && !encodingRequired,
        }
      : {}),
    warnings: [],
    errors: [],
    pending_mutations: [],
  }
}

export interface AccessGrantContext {
  spaceIds: string[]
  accessMethodIds: string[]
  identityName: string
}

export const toAccessGrant = (
  row: AccessGrantRow,
  { spaceIds, accessMethodIds, identityName }: AccessGrantContext,
): AccessGrant => ({
  access_grant_id: row.access_grant_id,
  workspace_id: row.workspace_id,
  user_identity_id: row.user_identity_id,
  ...(row.access_grant_key !== null ? { access_grant_key: row.access_grant_key } : {}),
  ...(row.reservation_key !== null ? { reservation_key: row.reservation_key } : {}),
  name: row.name,
  display_name: displayName([row.name], `Access for ${identityName}`),
  starts_at: iso(row.starts_at),
  ends_at: row.ends_at ? iso(row.ends_at) : null,
  created_at: iso(row.created_at),
  space_ids: spaceIds,
  location_ids: spaceIds,
  access_method_ids: accessMethodIds,
  requested_access_methods: row.requested_access_methods.map(
    ({ revoked_acs_system_ids: _internal, ...request }) => request,
  ),
  warnings: row.warnings,
  errors: row.errors,
  pending_mutations: [],
})
