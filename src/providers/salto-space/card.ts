/**
 * A Salto Space key as an NCoder writes it onto a MIFARE DESFire card: the key's id
 * in the Salto Space system, its holder, its validity and the doors (access points)
 * the holder's access groups open (`../desfire-key-card.ts`). Salto Space keeps one
 * key per user: updating it after an access group change rewrites the same card.
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
