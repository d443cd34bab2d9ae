import { randomUUID } from 'node:crypto'
import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../../db/schema.js'
import type { AccessSystemProvider, CredentialOnEncoder } from '../access-system.js'
import type { ProviderSettings } from '../settings.js'
import { outOfSyncProperties, readCard, type VostioCredentialImage } from './card.js'
import {
  afterEncoding,
  credentialData,
  doorsAtStake,
  entranceProblem,
  fromReservation,
  isGuestDoor,
  isProblem,
  key,
  overriddenDoors,
  parameter,
  type RequestedKey,
  readRequest,
  settleAutoJoin,
  stopCard,
  type VostioCredentialData,
} from './rules.js'
import { createSandboxVostioDriver } from './sandbox-driver.js'
import { sandboxVostioHotel } from './seed.js'

/**
 * ASSA ABLOY Vostio: hotel key cards written at Vostio encoders. Its doors are guest
 * doors, common doors, entrance doors and elevators (`door_type`); only guest doors
 * can belong to a reservation, and only guest doors are ever overridden.
 *
 * The override/join rule (rules.ts; applied at encoding by `domain/card-override.ts`):
 * - a card created with `assa_abloy_vostio_metadata.override_all_guest_acs_entrances`
 *   overrides all of its guest doors, one with `override_guest_acs_entrance_ids` those
 *   doors (which must be guest doors among its `allowed_acs_entrance_ids`, else 400):
 *   once encoded, every other issued Vostio card for any of those doors stops working
 *   (`acs_credential.invalidated`, an `overridden` error on the credential), except
 *   cards that joined it;
 * - `join_all_guest_acs_entrances`, or neither flag, makes a joiner: earlier cards
 *   keep working;
 * - `auto_join` decides at each encoding from the other working issued cards on its
 *   guest doors: none, it overrides them (`override_guest_acs_entrance_ids` then shows
 *   its guest doors); some, it joins those cards;
 * - more than one of these options at once is refused (400 `invalid_input`).
 * Access Grants: the first grant of a reservation gets override cards, later grants
 * joiners of the reservation's earlier cards (which the override cards then never
 * stop, even when encoded again); grants without a reservation get joiners.
 */

const presentMetadata = (
  data: VostioCredentialData,
  entrances: readonly AcsEntranceRow[],
): NonNullable<AcsCredential['assa_abloy_vostio_metadata']> => ({
  key_id: data.key_id,
  ...(data.key_issuing_request_id !== undefined
    ? { key_issuing_request_id: data.key_issuing_request_id }
    : {}),
  door_names: entrances.map((e) => e.display_name),
  ...(data.auto_join !== undefined ? { auto_join: data.auto_join } : {}),
  override_guest_acs_entrance_ids: overriddenDoors(data, entrances),
})

export const assaAbloyVostio = (settings: ProviderSettings): AccessSystemProvider => {
  const sandboxDriver = createSandboxVostioDriver({ delayMs: settings.sandboxActionDelayMs })
  return {
    externalType: 'assa_abloy_vostio',
    key,
    traits: {
      accessMethods: ['card'],
      credentials: { card: { type: 'assa_abloy_vostio_key', name: 'Vostio Key' } },
      generatesCodes: false,
      encodesCards: true,
      image: {
        url: 'https://connect.getseam.com/assets/images/acs_systems/assa_abloy_vostio_logo.png',
        alt: 'ASSA ABLOY Vostio logo',
      },
    },

    readCredentialRequest(body) {
      const read = readRequest(body)
      const base = { linkedCredentialIds: [], linkedParameter: parameter }
      return isProblem(read)
        ? { ...base, options: undefined, problem: read }
        : { ...base, options: read }
    },

    credentialEntranceProblem: (options, entrances) =>
      options === undefined ? undefined : entranceProblem(options as RequestedKey, entrances),

    async newCredential(request, allocateNumber) {
      const requested = (request.options as RequestedKey | undefined) ?? { role: { kind: 'join' } }
      const data: VostioCredentialData = {
        ...requested,
        ...fromReservation(request.reservation),
        key_id: String(await allocateNumber()),
        issued_card_count: 0,
      }
      return { code: null, cardNumber: null, issuedAtOnce: false, data }
    },

    presentCredential({ row, entrances }) {
      const data = credentialData(row)
      if (!data) return {}
      return {
        assa_abloy_vostio_metadata: presentMetadata(data, entrances),
        ...(data.overridden_at !== undefined
          ? {
              errors: [
                {
                  error_code: 'overridden',
                  message: `The card was overridden: override card ${data.overridden_by_acs_credential_id ?? ''} was encoded for one of its guest doors, so this card no longer opens them. Encode this credential again to make a working card of it.`,
                  created_at: data.overridden_at,
                },
              ],
            }
          : {}),
      }
    },

    // The document gives acs_system no Vostio fields.
    presentSystem: () => ({}),

    // Guest doors belong to a reservation; common doors, entrance doors and elevators do not.
    canBelongToReservation: isGuestDoor,

    cardImage({ row, entrances, cardHolder }): VostioCredentialImage {
      const sorted = [...entrances].sort((a, b) =>
        a.acs_entrance_id.localeCompare(b.acs_entrance_id),
      )
      return {
        acs_credential_id: row.acs_credential_id,
        card_format: 'mifare_desfire',
        card_holder: cardHolder,
        vostio_key_id: credentialData(row)?.key_id ?? row.acs_credential_id,
        starts_at: row.starts_at?.toISOString() ?? null,
        ends_at: row.ends_at?.toISOString() ?? null,
        acs_entrance_ids: sorted.map((e) => e.acs_entrance_id),
        door_names: sorted.map((e) => e.display_name),
      }
    },

    issuedCardCount: (row) => credentialData(row)?.issued_card_count ?? 0,

    afterEncoding(row, { externalCardId, issuedCardCount }) {
      const data = credentialData(row)
      return data
        ? afterEncoding(data, {
            cardId: externalCardId,
            issuedCardCount,
            keyIssuingRequestId: randomUUID(),
          })
        : undefined
    },

    readCard: (card): CredentialOnEncoder => readCard(card),
    outOfSyncProperties,
    cardProblems: (card) =>
      card.contents !== null &&
      (card.contents as { vostio_key_id?: unknown }).vostio_key_id === undefined
        ? ['The card does not carry a Vostio key.']
        : [],

    doorsOverriddenBy({ row, entrances }) {
      const data = credentialData(row)
      return data ? doorsAtStake(data, entrances) : []
    },
    settleEncodedCard: (encoded, others) => settleAutoJoin(encoded, others),
    stopCard,

    encoderDriver: (isSandbox) => (isSandbox ? sandboxDriver : undefined),
    sandboxSite: sandboxVostioHotel,
  }
}
