import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../../db/schema.js'
import type { CredentialOnEncoder } from '../access-system.js'
import { commonOutOfSyncProperties, sameSet } from '../card-comparison.js'
import type { CardState } from '../types.js'

/**
 * A Salto Space key as an NCoder writes it onto a MIFARE DESFire card: the key's id
 * in the Salto Space system, its holder, its validity and the doors (access points)
 * the holder's access groups open. Salto Space keeps one key per user: updating it
 * after an access group change rewrites the same card.
 */
export type SaltoSpaceCredentialImage = {
  acs_credential_id: string
  card_format: 'mifare_desfire'
  card_holder: string
  salto_space_key_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
}

export type SaltoSpaceCardContents = {
  acs_credential_id: string
  card_holder: string
  salto_space_key_id: string
  salto_space_card_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  written_at: string
}

/** A card as a scan reports it: the fields every card has (the document adds no Salto Space ones). */
export const readCard = (card: CardState): CredentialOnEncoder => {
  const contents = card.contents as SaltoSpaceCardContents | null
  if (contents === null) {
    return {
      card_number: card.card_number,
      created_at: null,
      is_issued: false,
      starts_at: null,
      ends_at: null,
    }
  }
  return {
    card_number: card.card_number,
    created_at: contents.written_at,
    is_issued: true,
    starts_at: contents.starts_at,
    ends_at: contents.ends_at,
  }
}

/**
 * The properties on which the card and the server differ. The doors a card opens are
 * not a property of the credential resource; when they changed (the user's access
 * groups did) the card is reported out of sync on `acs_entrance_ids`.
 */
export const outOfSyncProperties = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
  scanned: { card: CardState; entrances: readonly AcsEntranceRow[] },
): string[] => {
  const differences = commonOutOfSyncProperties(onEncoder, onSeam)
  const contents = scanned.card.contents as SaltoSpaceCardContents | null
  if (
    contents !== null &&
    !sameSet(
      contents.acs_entrance_ids,
      scanned.entrances.map((e) => e.acs_entrance_id),
    )
  ) {
    differences.push('acs_entrance_ids')
  }
  return differences
}
