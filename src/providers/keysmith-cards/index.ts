import type { AcsEntranceRow } from '../../db/schema.js'
import type { AccessSystemProvider, ReservationRole } from '../access-system.js'
import { dataOf } from '../access-system.js'
import type { ProviderSettings } from '../settings.js'
import { createBridgeDriver } from './bridge-driver.js'
import { cardProblems, type KeysmithCardImage, outOfSyncProperties, readCard } from './card.js'
import { newSystemKeys, type SystemKeyData } from './keys.js'

/**
 * Keysmith Cards: Keysmith's own access system. Its cards carry the open, signed
 * format of docs/card-format.md, so a lock decides offline; its encoders are NFC
 * readers at a front desk, reached through a bridge agent (`keysmith bridge`). An
 * operator creates the system (`keysmith systems create`), adds its doors with their
 * numbers (`keysmith entrances add`) and pairs bridges (`keysmith bridges create`).
 *
 * Its `external_type` (`keysmith_cards`) is not one of the document's, so resources
 * leave `external_type` out rather than borrow another brand's (see README).
 * Guest doors belong to reservations; the first card of a stay is an override card
 * (recorded on the card for locks that remember cards; the server stops no card).
 */

const key = 'keysmith_cards'

export interface KeysmithCardsCredentialData {
  staff: boolean
  override: boolean
  issued_card_count: number
  card_id?: string
}

interface DoorData {
  door_number: number
}

const credentialData = (row: { provider_data: Record<string, unknown> }) =>
  dataOf<KeysmithCardsCredentialData>(row.provider_data, key)

const doorNumber = (entrance: Pick<AcsEntranceRow, 'provider_data'>): number | undefined =>
  dataOf<DoorData>(entrance.provider_data, key)?.door_number

const doorNumbers = (entrances: readonly Pick<AcsEntranceRow, 'provider_data'>[]): number[] =>
  entrances
    .map(doorNumber)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b)

const isOverride = (role: ReservationRole | undefined) => role?.role === 'first_of_stay'

export const keysmithCards = (settings: ProviderSettings): AccessSystemProvider => {
  const driver = settings.bridges ? createBridgeDriver(settings.bridges) : undefined
  return {
    externalType: 'keysmith_cards',
    key,
    traits: {
      accessMethods: ['card'],
      credentials: {},
      generatesCodes: false,
      encodesCards: true,
      ownExternalType: true,
    },

    readCredentialRequest: () => ({
      options: undefined,
      linkedCredentialIds: [],
      linkedParameter: '',
    }),

    async newCredential(request) {
      if (request.accessMethod !== 'card') {
        return { code: request.code ?? null, cardNumber: null, issuedAtOnce: true, data: undefined }
      }
      const data: KeysmithCardsCredentialData = {
        staff: false,
        override: isOverride(request.reservation),
        issued_card_count: 0,
      }
      return { code: null, cardNumber: null, issuedAtOnce: false, data }
    },

    presentCredential: () => ({}),
    presentSystem: () => ({}),
    canBelongToReservation: (entrance) => entrance.door_category === 'guest',

    cardImage({ row, entrances }): KeysmithCardImage {
      const data = credentialData(row)
      return {
        acs_credential_id: row.acs_credential_id,
        card_format: 'nfc_type2',
        entrances: doorNumbers(entrances),
        starts_at: row.starts_at?.toISOString() ?? null,
        ends_at: row.ends_at?.toISOString() ?? null,
        staff: data?.staff ?? false,
        override: data?.override ?? false,
      }
    },

    issuedCardCount: (row) => credentialData(row)?.issued_card_count ?? 0,

    afterEncoding(row, { externalCardId, issuedCardCount }) {
      const data = credentialData(row)
      return data
        ? { ...data, card_id: externalCardId, issued_card_count: issuedCardCount }
        : undefined
    },

    readCard: (card) => readCard(card),
    outOfSyncProperties: (onEncoder, onSeam, { card, entrances }) =>
      outOfSyncProperties(onEncoder, onSeam, card, doorNumbers(entrances)),
    cardProblems,

    doorsOverriddenBy: () => [],
    stopCard: () => undefined,

    encoderDriver: () => driver,

    ownSystem: {
      account: { account_type: 'keysmith_cards', account_type_display_name: 'Keysmith Cards' },
      externalTypeDisplayName: 'Keysmith Cards',
      newSystem: newSystemKeys,
      publicKey: (system) => {
        const keys = dataOf<SystemKeyData>(system.provider_data, key)
        if (!keys) throw new Error(`access system ${system.acs_system_id} has no public key`)
        return keys.public_key
      },
      newDoor: ({ number, kind }) => ({ category: kind, data: { door_number: number } }),
      doorNumber,
    },
  }
}
