import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../../db/schema.js'
import type { CredentialOnEncoder } from '../access-system.js'
import { readWrittenCard, writtenCardOutOfSync } from '../card-comparison.js'
import type { CardState } from '../types.js'

/**
 * A Vostio key as a Vostio encoder writes it onto a MIFARE DESFire card: the key's id
 * in the Vostio system, its holder, its validity and the doors it opens (by id and by
 * the names Vostio knows them by).
 */
export type VostioCredentialImage = {
  acs_credential_id: string
  card_format: 'mifare_desfire'
  card_holder: string
  vostio_key_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  door_names: string[]
}

export type VostioCardContents = {
  acs_credential_id: string
  card_holder: string
  vostio_key_id: string
  vostio_card_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  door_names: string[]
  written_at: string
}

/**
 * A card as a scan reports it: the fields every card has. The document gives
 * `acs_credential_on_encoder` no Vostio fields, so none are added; whether the key was
 * overridden shows on the credential (`acs_credential_on_seam.errors`).
 */
export const readCard = readWrittenCard

/**
 * The properties on which the card and the server differ: the common ones, and
 * `door_names` (of `assa_abloy_vostio_metadata`) when the card opens other doors than
 * the credential does now.
 */
export const outOfSyncProperties = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
  scanned: { card: CardState; entrances: readonly AcsEntranceRow[] },
): string[] => writtenCardOutOfSync(onEncoder, onSeam, scanned, 'door_names')
