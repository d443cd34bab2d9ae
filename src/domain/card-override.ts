import { findIssuedCardsOpening, updateAcsCredential } from '../db/acs-credentials.js'
import { type AcsCredentialRow, type AcsEntranceRow, type Executor, json } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import { type AccessSystemProvider, withData } from '../providers/access-system.js'

/**
 * Override rules, for access systems that have them (a hotel's override card is the
 * first card of a new stay). Once a card is encoded, its provider names the doors
 * whose earlier issued cards it stops (`doorsOverriddenBy`) and decides, card by card,
 * which stop working (`stopCard`); each card stopped records
 * `acs_credential.invalidated`. A provider whose card decides by the cards already
 * there (`settleEncodedCard`) first sees them all. Returns the encoded card as it is
 * now.
 */
export const overrideEarlierCards = async (
  db: Executor,
  provider: AccessSystemProvider,
  encoded: AcsCredentialRow,
  now: Date,
  /** The doors it opens (the caller holds them). */
  entrances: AcsEntranceRow[],
): Promise<AcsCredentialRow> => {
  const doors = provider.doorsOverriddenBy({ row: encoded, entrances })
  if (doors.length === 0) return encoded
  const others = (await findIssuedCardsOpening(db, encoded.acs_system_id, doors)).filter(
    (card) => card.acs_credential_id !== encoded.acs_credential_id,
  )
  let row = encoded
  const settled = provider.settleEncodedCard?.(encoded, others)
  if (settled !== undefined) {
    row = await updateAcsCredential(db, encoded.acs_credential_id, {
      provider_data: json(withData(encoded.provider_data, provider.key, settled)),
      updated_at: now,
    })
  }
  for (const card of others) {
    const stopped = provider.stopCard(row, card, now)
    if (stopped === undefined) continue
    await updateAcsCredential(db, card.acs_credential_id, {
      provider_data: json(withData(card.provider_data, provider.key, stopped)),
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
  return row
}
