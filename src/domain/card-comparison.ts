import type { AcsCredential } from '@seamapi/types/connect'
import type { CardState } from '../providers/types.js'

/**
 * The rule behind "this card is out of date, re-encode it": what a scanned card
 * carries is compared, property by property, with the credential the server holds.
 */

/** What `scan_credential` reports as `acs_credential_on_encoder`. */
export interface CredentialOnEncoder {
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

/** What a card carries; `overridden` is what the access system says of that card. */
export const readCard = (
  card: CardState,
  now: Date,
  status: { overridden: boolean } = { overridden: false },
): CredentialOnEncoder => {
  const contents = card.contents
  if (contents === null) {
    return {
      card_number: card.card_number,
      created_at: null,
      is_issued: false,
      starts_at: null,
      ends_at: null,
      visionline_metadata: { card_format: card.card_format },
    }
  }
  return {
    card_number: card.card_number,
    created_at: contents.written_at,
    is_issued: true,
    starts_at: contents.starts_at,
    ends_at: contents.ends_at,
    visionline_metadata: {
      card_format: card.card_format,
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

const sameTime = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? null) === null || (b ?? null) === null
    ? (a ?? null) === (b ?? null)
    : new Date(a as string).getTime() === new Date(b as string).getTime()

const sameSet = (a: readonly string[] = [], b: readonly string[] = []): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join()

/** Names of the properties on which the card and the server's credential differ. */
export const outOfSyncProperties = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
): string[] => {
  const differences: string[] = []
  if (onEncoder.is_issued !== onSeam.is_issued) differences.push('is_issued')
  if (onSeam.card_number && onEncoder.card_number !== onSeam.card_number) {
    differences.push('card_number')
  }
  if (!sameTime(onEncoder.starts_at, onSeam.starts_at)) differences.push('starts_at')
  if (!sameTime(onEncoder.ends_at, onSeam.ends_at)) differences.push('ends_at')
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

export type ScanWarning = {
  warning_code: 'acs_credential_on_encoder_out_of_sync' | 'acs_credential_on_seam_not_found'
  warning_message: string
}

export const outOfSyncWarning = (properties: readonly string[]): ScanWarning => ({
  warning_code: 'acs_credential_on_encoder_out_of_sync',
  warning_message: `The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ${properties.join(', ')}`,
})

export const notOnSeamWarning = (): ScanWarning => ({
  warning_code: 'acs_credential_on_seam_not_found',
  warning_message:
    'The credential on the card does not exist on Seam: it was deleted or was never created through Seam.',
})
