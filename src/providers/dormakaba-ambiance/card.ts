/**
 * A dormakaba Ambiance key card as an Ambiance encoder writes it (MIFARE DESFire):
 * the credential's id in Ambiance, its holder, its validity and the access points the
 * holder's access groups open (`../desfire-key-card.ts`). Each card credential is its
 * own card: encoding it again (after an access group change) rewrites that card.
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
