import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../../db/schema.js'
import type { CredentialOnEncoder } from '../access-system.js'
import { commonOutOfSyncProperties, sameSet } from '../card-comparison.js'
import type { CardState } from '../types.js'

/**
 * A dormakaba Ambiance key card as an Ambiance encoder writes it (MIFARE DESFire):
 * the credential's id in Ambiance, its holder, its validity and the access points the
 * holder's access groups open. Each card credential is its own card: encoding it
 * again (after an access group change) rewrites that card.
 */
export type AmbianceCredentialImage = {
  acs_credential_id: string
  card_format: 'mifare_desfire'
  card_holder: string
  ambiance_credential_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
}

export type AmbianceCardContents = {
  acs_credential_id: string
  card_holder: string
  ambiance_credential_id: string
  ambiance_card_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  written_at: string
}

/** A card as a scan reports it: the fields every card has (the document adds no Ambiance ones). */
export const readCard = (card: CardState): CredentialOnEncoder => {
  const contents = card.contents as AmbianceCardContents | null
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
  const contents = scanned.card.contents as AmbianceCardContents | null
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

/** What is wrong with a scanned card itself: a written card that carries no Ambiance credential. */
export const cardProblems = (card: CardState): string[] =>
  card.contents !== null &&
  (card.contents as AmbianceCardContents).ambiance_credential_id === undefined
    ? ['The card does not carry a dormakaba Ambiance credential.']
    : []
