import type {
  AcsCredential,
  AcsEncoder,
  AcsEntrance,
  AcsSystem,
  AcsUser,
} from '@seamapi/types/connect'
import type {
  AcsCredentialRow,
  AcsEncoderRow,
  AcsEntranceRow,
  AcsSystemRow,
  AcsUserRow,
  UserIdentityRow,
} from '../db/schema.js'
import { canBelongToReservation, systemTraits } from '../providers/systems.js'

/**
 * Stored rows as the Seam API returns them. Each function is typed against the
 * resource type of `@seamapi/types`, so a field the contract requires cannot be
 * forgotten; the end-to-end tests check the JSON against the OpenAPI schemas too.
 */

export const iso = (date: Date): string => date.toISOString()

const systemImage = {
  visionline_system: {
    url: 'https://connect.getseam.com/assets/images/acs_systems/assa_abloy_visionline_logo.png',
    alt: 'ASSA ABLOY Visionline logo',
  },
} as Record<string, { url: string; alt: string }>

export const toAcsSystem = (row: AcsSystemRow): AcsSystem => {
  const image = systemImage[row.external_type] ?? {
    url: 'https://connect.getseam.com/assets/images/acs_systems/default.png',
    alt: `${row.external_type_display_name} logo`,
  }
  return {
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    connected_account_ids: [row.connected_account_id],
    name: row.name,
    external_type: row.external_type as AcsSystem['external_type'],
    external_type_display_name: row.external_type_display_name,
    system_type: row.external_type as AcsSystem['system_type'],
    system_type_display_name: row.external_type_display_name,
    is_credential_manager: false,
    location: { time_zone: row.time_zone },
    image_url: image.url,
    image_alt_text: image.alt,
    created_at: iso(row.created_at),
    errors: [],
    warnings: [],
    ...(row.visionline_metadata ? { visionline_metadata: row.visionline_metadata } : {}),
  }
}

export const toAcsEntrance = (row: AcsEntranceRow, spaceIds: string[] = []): AcsEntrance => ({
  acs_entrance_id: row.acs_entrance_id,
  acs_system_id: row.acs_system_id,
  connected_account_id: row.connected_account_id,
  display_name: row.display_name,
  created_at: iso(row.created_at),
  space_ids: spaceIds,
  can_unlock_with_card: row.can_unlock_with_card,
  can_unlock_with_code: row.can_unlock_with_code,
  can_unlock_with_mobile_key: row.can_unlock_with_mobile_key,
  can_belong_to_reservation: canBelongToReservation(row),
  errors: [],
  warnings: [],
  ...row.provider_metadata,
})

export const toAcsUser = (
  row: AcsUserRow,
  systemExternalType?: string,
  identity?: UserIdentityRow,
): AcsUser => {
  const external = systemExternalType ? systemTraits(systemExternalType).user : undefined
  return {
    acs_user_id: row.acs_user_id,
    acs_system_id: row.acs_system_id,
    workspace_id: row.workspace_id,
    connected_account_id: row.connected_account_id,
    created_at: iso(row.created_at),
    display_name: row.full_name ?? row.email_address ?? row.phone_number ?? 'Unnamed user',
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
  errors: [],
})

/** Visionline splits a card's doors into guest rooms and common areas. */
export const splitEntrances = (
  entrances: readonly AcsEntranceRow[],
): { guest: string[]; common: string[] } => ({
  guest: entrances.filter((e) => e.door_category === 'guest').map((e) => e.acs_entrance_id),
  common: entrances.filter((e) => e.door_category !== 'guest').map((e) => e.acs_entrance_id),
})

export interface CredentialContext {
  system: AcsSystemRow
  entrances: readonly AcsEntranceRow[]
  user: AcsUserRow | undefined
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
  { system, entrances, user, now }: CredentialContext,
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
  const external = systemTraits(system.external_type).credentials[
    row.access_method as AcsCredential['access_method']
  ]
  const { guest, common } = splitEntrances(entrances)
  const visionline = row.visionline
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
    ...(visionline
      ? {
          visionline_metadata: {
            card_function_type: visionline.card_function_type,
            credential_id: visionline.credential_id,
            ...(visionline.card_id !== undefined ? { card_id: visionline.card_id } : {}),
            ...(visionline.auto_join !== undefined ? { auto_join: visionline.auto_join } : {}),
            ...(visionline.joiner_acs_credential_ids
              ? { joiner_acs_credential_ids: visionline.joiner_acs_credential_ids }
              : {}),
            guest_acs_entrance_ids: guest,
            common_acs_entrance_ids: common,
            is_valid:
              (row.ends_at === null || row.ends_at > now) && visionline.overridden_at === undefined,
          },
        }
      : {}),
    errors: [],
    warnings,
  }
}
