import { findIssuedCardsOpening, updateAcsCredential } from '../db/acs-credentials.js'
import { entrancesByCredential } from '../db/acs-systems.js'
import { type AcsCredentialRow, type Executor, json } from '../db/schema.js'
import { recordEvent } from '../events/log.js'

/**
 * The Visionline override rule. A guest card encoded with `override` is the first
 * card of a new stay: every other issued card for any of its guest rooms stops
 * working (`visionline_metadata.is_valid` false, `overridden` when scanned) and
 * `acs_credential.invalidated` is recorded for it. Cards that join the override card,
 * or that it joins, share the room and keep working.
 */
export const overrideEarlierCards = async (
  db: Executor,
  override: AcsCredentialRow,
  now: Date,
): Promise<void> => {
  if (!override.visionline?.override) return
  const entrances = (await entrancesByCredential(db, [override.acs_credential_id])).get(
    override.acs_credential_id,
  )
  const guestRooms = (entrances ?? [])
    .filter((e) => e.door_category === 'guest')
    .map((e) => e.acs_entrance_id)
  const joined = new Set(override.visionline.joiner_acs_credential_ids ?? [])
  for (const card of await findIssuedCardsOpening(db, override.acs_system_id, guestRooms)) {
    if (
      card.acs_credential_id === override.acs_credential_id ||
      !card.visionline ||
      card.visionline.overridden_at !== undefined ||
      joined.has(card.acs_credential_id) ||
      card.visionline.joiner_acs_credential_ids?.includes(override.acs_credential_id)
    ) {
      continue
    }
    await updateAcsCredential(db, card.acs_credential_id, {
      visionline: json({ ...card.visionline, overridden_at: now.toISOString() }),
      updated_at: now,
    })
    await recordEvent(
      db,
      card.workspace_id,
      'acs_credential.invalidated',
      {
        acs_credential_id: card.acs_credential_id,
        acs_system_id: card.acs_system_id,
        connected_account_id: card.connected_account_id,
      },
      now,
    )
  }
}

/** Whether an override card has stopped the card of this credential. */
export const isOverridden = (credential: Pick<AcsCredentialRow, 'visionline'>): boolean =>
  credential.visionline?.overridden_at !== undefined
