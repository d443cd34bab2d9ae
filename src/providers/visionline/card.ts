import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../../db/schema.js'
import { commonOutOfSyncProperties, sameSet } from '../card-comparison.js'
import type { CardState } from '../types.js'

/** The card technologies Visionline encoders write. */
export type VisionlineCardFormat = 'TLCode' | 'rfid48'

/** Everything about a credential that is written onto a Visionline card. */
export type VisionlineCredentialImage = {
  acs_credential_id: string
  card_holder: string
  card_format: VisionlineCardFormat
  card_function_type: 'guest' | 'staff'
  visionline_credential_id: string
  starts_at: string | null
  ends_at: string | null
  guest_acs_entrance_ids: string[]
  common_acs_entrance_ids: string[]
}

/** What a Visionline encoder writes onto a card. */
export type VisionlineCardContents = {
  acs_credential_id: string
  card_holder: string
  card_function_type: 'guest' | 'staff'
  visionline_card_id: string
  visionline_credential_id: string
  starts_at: string | null
  ends_at: string | null
  guest_acs_entrance_ids: string[]
  common_acs_entrance_ids: string[]
  number_of_issued_cards: number
  written_at: string
}

/** What `scan_credential` reports of a Visionline card as `acs_credential_on_encoder`. */
export type VisionlineCredentialOnEncoder = {
  card_number: string | null
  created_at: string | null
  is_issued: boolean | null
  starts_at: string | null
  ends_at: string | null
  visionline_metadata: {
    card_format: 'TLCode' | 'rfid48'
    card_holder?: string
    card_id?: string
    cancelled?: boolean
    discarded?: boolean
    expired?: boolean
    overridden?: boolean
    overwritten?: boolean
    pending_auto_update?: boolean
    number_of_issued_cards?: number
    guest_acs_entrance_ids?: string[]
    common_acs_entrance_ids?: string[]
  }
}

/** Visionline splits a card's doors into guest rooms and common areas. */
export const splitEntrances = (
  entrances: readonly Pick<AcsEntranceRow, 'acs_entrance_id' | 'door_category'>[],
): { guest: string[]; common: string[] } => ({
  guest: entrances.filter((e) => e.door_category === 'guest').map((e) => e.acs_entrance_id),
  common: entrances.filter((e) => e.door_category !== 'guest').map((e) => e.acs_entrance_id),
})

/** What a card carries; `overridden` is what the access system says of that card. */
export const readCard = (
  card: CardState,
  now: Date,
  status: { overridden: boolean } = { overridden: false },
): VisionlineCredentialOnEncoder => {
  const contents = card.contents as VisionlineCardContents | null
  // Cards on a Visionline encoder are Visionline cards.
  const cardFormat = card.card_format as VisionlineCardFormat
  if (contents === null) {
    return {
      card_number: card.card_number,
      created_at: null,
      is_issued: false,
      starts_at: null,
      ends_at: null,
      visionline_metadata: { card_format: cardFormat },
    }
  }
  return {
    card_number: card.card_number,
    created_at: contents.written_at,
    is_issued: true,
    starts_at: contents.starts_at,
    ends_at: contents.ends_at,
    visionline_metadata: {
      card_format: cardFormat,
      card_holder: contents.card_holder,
      card_id: contents.visionline_card_id,
      cancelled: false,
      discarded: false,
      expired: contents.ends_at !== null && new Date(contents.ends_at) <= now,
      overridden: status.overridden,
      overwritten: false,
      pending_auto_update: false,
      number_of_issued_cards: contents.number_of_issued_cards,
      guest_acs_entrance_ids: contents.guest_acs_entrance_ids,
      common_acs_entrance_ids: contents.common_acs_entrance_ids,
    },
  }
}

/** Names of the properties on which the card and the server's credential differ. */
export const outOfSyncProperties = (
  onEncoder: VisionlineCredentialOnEncoder,
  onSeam: AcsCredential,
): string[] => {
  const differences = commonOutOfSyncProperties(onEncoder, onSeam)
  const card = onEncoder.visionline_metadata
  const seam = onSeam.visionline_metadata
  if (seam && card.card_id !== undefined) {
    if (!sameSet(card.guest_acs_entrance_ids, seam.guest_acs_entrance_ids)) {
      differences.push('guest_acs_entrance_ids')
    }
    if (!sameSet(card.common_acs_entrance_ids, seam.common_acs_entrance_ids)) {
      differences.push('common_acs_entrance_ids')
    }
  }
  return differences
}
