import { type Kysely, sql } from 'kysely'

/**
 * Cards found by number within their access system: a registered tag assigned by its
 * number (`/access_methods/assign_card`) or read at an encoder
 * (`/acs/encoders/scan_to_assign_credential`).
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create index acs_cards_number on acs_cards (acs_system_id, card_number)`.execute(db)
}
