import type { AccessSystemProvider } from './access-system.js'
import { commonOutOfSyncProperties } from './card-comparison.js'

/**
 * The hooks of a system that encodes no cards, keeps no metadata of its own and has
 * no override rules: what the unknown provider is made of, and what a provider of PINs
 * and tags the system assigns itself takes as is.
 */
export const withoutEncodedCards: Pick<
  AccessSystemProvider,
  | 'presentCredential'
  | 'presentSystem'
  | 'canBelongToReservation'
  | 'cardImage'
  | 'issuedCardCount'
  | 'afterEncoding'
  | 'readCard'
  | 'outOfSyncProperties'
  | 'doorsOverriddenBy'
  | 'stopCard'
  | 'encoderDriver'
> = {
  presentCredential: () => ({}),
  presentSystem: () => ({}),
  canBelongToReservation: () => false,
  cardImage: ({ row }) => ({ acs_credential_id: row.acs_credential_id, card_format: 'rfid48' }),
  issuedCardCount: () => 0,
  afterEncoding: () => undefined,
  readCard: (card) => ({
    card_number: card.card_number,
    created_at: null,
    is_issued: card.contents !== null,
    starts_at: null,
    ends_at: null,
  }),
  outOfSyncProperties: commonOutOfSyncProperties,
  doorsOverriddenBy: () => [],
  stopCard: () => undefined,
  encoderDriver: () => undefined,
}

/**
 * An access system no provider serves (a row of a system this build does not know):
 * it issues nothing and has no encoders, and its rows are shown with the common
 * fields only.
 */
export const unknownSystem = (externalType: string): AccessSystemProvider => ({
  externalType,
  key: externalType,
  traits: { accessMethods: [], credentials: {}, generatesCodes: false, encodesCards: false },
  readCredentialRequest: () => ({
    options: undefined,
    linkedCredentialIds: [],
    linkedParameter: '',
  }),
  newCredential: async (request) => ({
    code: request.code ?? null,
    cardNumber: null,
    issuedAtOnce: request.accessMethod === 'code',
    data: undefined,
  }),
  ...withoutEncodedCards,
})
