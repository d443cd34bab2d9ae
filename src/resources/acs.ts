import type {
  AcsAccessGroup,
  AcsCredential,
  AcsEncoder,
  AcsEntrance,
  AcsSystem,
  AcsUser,
} from '@seamapi/types/connect'
import type {
  AcsAccessGroupRow,
  AcsCredentialRow,
  AcsEncoderRow,
  AcsEntranceRow,
  AcsSystemRow,
  AcsUserRow,
  UserIdentityRow,
} from '../db/schema.js'
import type { AccessSystemProvider } from '../providers/access-system.js'

/**
 * Stored rows as the Seam API returns them. Each function is typed against the
 * resource type of `@seamapi/types`, so a field the contract requires cannot be
 * forgotten; the end-to-end tests check the JSON against the OpenAPI schemas too.
 */

/**
 * The first of `names` that says something: an empty name (a phone number given as "")
 * is skipped, as the document wants display names of at least one character.
 */
export const displayName = (names: (string | null | undefined)[], fallback: string): string =>
  names.find((name): name is string => typeof name === 'string' && name.trim() !== '') ?? fallback

export const iso = (date: Date): string => date.toISOString()

export const toAcsSystem = (
  row: AcsSystemRow,
  provider: AccessSystemProvider,
  errors: AcsSystem['errors'] = [],
): AcsSystem => {
  const image = provider.traits.image ?? {
    url: 'https://connect.getseam.com/assets/images/acs_systems/default.png',
    alt: `${row.external_type_display_name} logo`,
  }
  return {
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    connected_account_ids: [row.connected_account_id],
    name: row.name,
    ...(provider.traits.ownExternalType
      ? {}
      : {
          external_type: row.external_type as AcsSystem['external_type'],
          system_type: row.external_type as AcsSystem['system_type'],
        }),
    external_type_display_name: row.external_type_display_name,
    system_type_display_name: row.external_type_display_name,
    is_credential_manager: false,
    location: { time_zone: row.time_zone },
    image_url: image.url,
    image_alt_text: image.alt,
    created_at: iso(row.created_at),
    errors,
    warnings: [],
    ...provider.presentSystem(row),
  }
}

export const toAcsEntrance = (
  row: AcsEntranceRow,
  spaceIds: string[],
  provider: AccessSystemProvider,
): AcsEntrance => ({
  acs_entrance_id: row.acs_entrance_id,
  acs_system_id: row.acs_system_id,
  connected_account_id: row.connected_account_id,
  display_name: row.display_name,
  created_at: iso(row.created_at),
  space_ids: spaceIds,
  can_unlock_with_card: row.can_unlock_with_card,
  can_unlock_with_code: row.can_unlock_with_code,
  can_unlock_with_mobile_key: row.can_unlock_with_mobile_key,
  ...(provider.traits.remoteUnlock === false ? { can_unlock_with_cloud_key: false } : {}),
  can_belong_to_reservation: provider.canBelongToReservation(row),
  errors: [],
  warnings: [],
  ...row.provider_metadata,
})

/** An access group; its brand type comes from its access system's provider. */
export const toAcsAccessGroup = (
  row: AcsAccessGroupRow,
  provider: AccessSystemProvider,
): AcsAccessGroup | undefined => {
  const external = provider.traits.accessGroups
  if (!external) return undefined
  return {
    acs_access_group_id: row.acs_access_group_id,
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    name: row.name,
    display_name: row.name,
    access_group_type: external.type,
    access_group_type_display_name: external.name,
    external_type: external.type,
    external_type_display_name: external.name,
    created_at: iso(row.created_at),
    errors: [],
    warnings: [],
    pending_mutations: [],
    is_managed: true,
  }
}

export const toAcsUser = (
  row: AcsUserRow,
  provider: AccessSystemProvider | undefined,
  identity?: UserIdentityRow,
): AcsUser => {
  const external = provider?.traits.user
  return {
    acs_user_id: row.acs_user_id,
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    created_at: iso(row.created_at),
    display_name: displayName([row.full_name, row.email_address, row.phone_number], 'Unnamed user'),
    ...(row.full_name !== null ? { full_name: row.full_name } : {}),
    ...(row.email_address !== null
      ? { email_address: row.email_address, email: row.email_address }
      : {}),
    ...(row.phone_number !== null ? { phone_number: row.phone_number } : {}),
    ...(row.access_starts_at !== null
      ? {
          access_schedule: {
            starts_at: iso(row.access_starts_at),
            ends_at: row.access_ends_at ? iso(row.access_ends_at) : null,
          },
        }
      : {}),
    ...(row.user_identity_id !== null ? { user_identity_id: row.user_identity_id } : {}),
    ...(identity?.full_name ? { user_identity_full_name: identity.full_name } : {}),
    ...(identity?.email_address ? { user_identity_email_address: identity.email_address } : {}),
    ...(identity?.phone_number ? { user_identity_phone_number: identity.phone_number } : {}),
    ...(external
      ? { external_type: external.type, external_type_display_name: external.name }
      : {}),
    is_suspended: row.is_suspended,
    is_managed: true,
    last_successful_sync_at: iso(row.updated_at),
    pending_mutations: [],
    warnings: [],
    errors: [],
  }
}

export const toAcsEncoder = (row: AcsEncoderRow): AcsEncoder => ({
  acs_encoder_id: row.acs_encoder_id,
  acs_system_id: row.acs_system_id,
  connected_account_id: row.connected_account_id,
  workspace_id: row.workspace_id,
  display_name: row.display_name,
  created_at: iso(row.created_at),
  // A reader that went away (unplugged, or its bridge reported it gone).
  errors: row.removed_at
    ? [
        {
          error_code: 'acs_encoder_removed',
          message: `The reader ${row.display_name} is no longer attached to its bridge.`,
          created_at: iso(row.removed_at),
        },
      ]
    : [],
})

export interface CredentialContext {
  provider: AccessSystemProvider
  entrances: readonly AcsEntranceRow[]
  /** Only its identity is shown. */
  user: Pick<AcsUserRow, 'user_identity_id'> | undefined
  now: Date
}

const credentialDisplayName = (row: AcsCredentialRow, entrances: readonly AcsEntranceRow[]) => {
  if (entrances.length > 0) return entrances.map((e) => e.display_name).join(', ')
  if (row.access_method === 'card') return row.card_number ? `Card ${row.card_number}` : 'Card'
  if (row.access_method === 'code') return row.code ? `Code ${row.code}` : 'Code'
  return 'Mobile Key'
}

export const toAcsCredential = (
  row: AcsCredentialRow,
  { provider, entrances, user, now }: CredentialContext,
): AcsCredential => {
  const warnings: AcsCredential['warnings'] = []
  if (row.access_method === 'card' && !row.is_issued) {
    warnings.push({
      warning_code: 'waiting_to_be_issued',
      message: 'The credential has not been encoded onto a card yet.',
      created_at: iso(row.created_at),
    })
  }
  if (row.reissue_required_at) {
    warnings.push({
      warning_code: 'needs_to_be_reissued',
      message:
        'The credential changed after it was encoded onto a card. Encode it again to update the card.',
      created_at: iso(row.reissue_required_at),
    })
  }
  const external = provider.traits.credentials[row.access_method as AcsCredential['access_method']]
  const presented = provider.presentCredential({ row, entrances, now })
  return {
    acs_credential_id: row.acs_credential_id,
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    ...(row.acs_user_id !== null ? { acs_user_id: row.acs_user_id } : {}),
    ...(user?.user_identity_id ? { user_identity_id: user.user_identity_id } : {}),
    access_method: row.access_method as AcsCredential['access_method'],
    display_name: credentialDisplayName(row, entrances),
    code: row.code,
    card_number: row.card_number,
    is_issued: row.is_issued,
    issued_at: row.issued_at ? iso(row.issued_at) : null,
    ...(row.starts_at ? { starts_at: iso(row.starts_at) } : {}),
    ...(row.ends_at ? { ends_at: iso(row.ends_at) } : {}),
    created_at: iso(row.created_at),
    ...(external
      ? { external_type: external.type, external_type_display_name: external.name }
      : {}),
    is_managed: true,
    is_multi_phone_sync_credential: row.is_multi_phone_sync_credential,
    is_one_time_use: false,
    is_latest_desired_state_synced_with_provider: true,
    latest_desired_state_synced_with_provider_at: iso(row.updated_at),
    ...presented,
    // A provider may report what is wrong with the credential in the system (say, an overridden card).
    errors: presented.errors ?? [],
    warnings,
  }
}
