import { randomBytes, randomUUID } from 'node:crypto'
import type { AccessSystemProvider } from './access-system.js'
import { dataOf } from './access-system.js'
import { readWrittenCard, writtenCardOutOfSync } from './card-comparison.js'
import { createSandboxCardEncoder, type SandboxCardModel } from './sandbox-encoder.js'
import type { CardState, CredentialImage, EncoderDriver } from './types.js'

/**
 * The key card of access systems that write a key onto a MIFARE DESFire card at
 * their own encoders and give access by access groups (two of the sandbox's systems):
 * the system's id of the key, its holder, its validity and
 * the doors it opens. The scan reports only what every card has (the document gives
 * these systems no fields on `acs_credential_on_encoder`), and a card whose doors
 * changed is out of sync on `acs_entrance_ids`. What differs between the systems is
 * the names of their fields and their encoder's words: a `DesfireKeyCardScheme`.
 */
export interface DesfireKeyCardScheme {
  /** The provider's key in `provider_data`. */
  key: string
  /** Field of the provider's credential data holding the system's id of the key. */
  dataIdField: string
  /** Field of a card image and of a card's contents holding the system's id of the key. */
  keyIdField: string
  /** Field of a card's contents holding the system's id of the card. */
  cardIdField: string
  /** The encoder in error messages, e.g. "the NCoder". */
  encoderName: string
  /** Holder of a card nobody on the server knows (a simulated scan). */
  strangerHolder: string
  /** The system's name in the words of a card problem. */
  systemName: string
}

export type DesfireKeyImage = CredentialImage & {
  card_format: 'mifare_desfire'
  card_holder: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
}

export type DesfireKeyContents = {
  acs_credential_id: string
  card_holder: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  written_at: string
} & { [field: string]: unknown }

/** The provider's data of a credential: the key's id (under `dataIdField`) and its cards. */
type KeyData = { card_id?: string; issued_card_count: number } & { [field: string]: unknown }

/** A blank MIFARE DESFire card: its 7-byte UID is its number. */
export const blankDesfireCard = (): CardState<DesfireKeyContents> => ({
  card_number: randomBytes(7).toString('hex').toUpperCase(),
  card_format: 'mifare_desfire',
  contents: null,
})

const dayMs = 24 * 60 * 60 * 1000

const cardModel = (
  scheme: DesfireKeyCardScheme,
): SandboxCardModel<DesfireKeyImage, DesfireKeyContents> => ({
  messages: {
    no_credential_on_encoder: `No card was placed on ${scheme.encoderName}.`,
    encoding_interrupted: `The card was removed from ${scheme.encoderName} before encoding finished.`,
    incompatible_card_format: `The card on ${scheme.encoderName} is not a MIFARE DESFire card.`,
  },
  fallback: `${scheme.encoderName} reported an error.`,
  blankCard: blankDesfireCard,
  formatOf: () => 'mifare_desfire',
  write: (image, { cardId }, now) => ({
    acs_credential_id: image.acs_credential_id,
    card_holder: image.card_holder,
    [scheme.keyIdField]: image[scheme.keyIdField],
    [scheme.cardIdField]: cardId,
    starts_at: image.starts_at,
    ends_at: image.ends_at,
    acs_entrance_ids: [...image.acs_entrance_ids],
    written_at: now.toISOString(),
  }),
  keptOf: (contents) => ({
    cardId:
      typeof contents?.[scheme.cardIdField] === 'string'
        ? String(contents[scheme.cardIdField])
        : '1',
    issuedCards: 1,
  }),
  stranger: (_card, now) => ({
    image: {
      acs_credential_id: randomUUID(),
      card_format: 'mifare_desfire',
      card_holder: scheme.strangerHolder,
      [scheme.keyIdField]: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      acs_entrance_ids: [],
    },
    cardId: '1',
  }),
})

/** The sandbox's encoder of such cards (`./sandbox-encoder.ts`). */
export const createSandboxDesfireEncoder = (
  scheme: DesfireKeyCardScheme,
  options: { delayMs: number },
): EncoderDriver<DesfireKeyImage, DesfireKeyContents> =>
  createSandboxCardEncoder(cardModel(scheme), options)

/** The provider's part for such cards: issuing, writing, reading and comparing them. */
export const desfireKeyCards = (
  scheme: DesfireKeyCardScheme,
): Pick<
  AccessSystemProvider,
  | 'newCredential'
  | 'cardImage'
  | 'issuedCardCount'
  | 'afterEncoding'
  | 'readCard'
  | 'outOfSyncProperties'
  | 'cardProblems'
> => {
  const dataOfRow = (row: { provider_data: Record<string, unknown> }) =>
    dataOf<KeyData>(row.provider_data, scheme.key)
  return {
    async newCredential(_request, allocateNumber) {
      const data: KeyData = {
        [scheme.dataIdField]: String(await allocateNumber()),
        issued_card_count: 0,
      }
      return { code: null, cardNumber: null, issuedAtOnce: false, data }
    },

    cardImage({ row, entrances, cardHolder }): DesfireKeyImage {
      const keyId = dataOfRow(row)?.[scheme.dataIdField]
      return {
        acs_credential_id: row.acs_credential_id,
        card_format: 'mifare_desfire',
        card_holder: cardHolder,
        [scheme.keyIdField]: typeof keyId === 'string' ? keyId : row.acs_credential_id,
        starts_at: row.starts_at?.toISOString() ?? null,
        ends_at: row.ends_at?.toISOString() ?? null,
        acs_entrance_ids: entrances.map((e) => e.acs_entrance_id).sort(),
      }
    },

    issuedCardCount: (row) => dataOfRow(row)?.issued_card_count ?? 0,

    afterEncoding(row, { externalCardId, issuedCardCount }) {
      const data = dataOfRow(row)
      return data
        ? { ...data, card_id: externalCardId, issued_card_count: issuedCardCount }
        : undefined
    },

    readCard: readWrittenCard,
    outOfSyncProperties: (onEncoder, onSeam, scanned) =>
      writtenCardOutOfSync(onEncoder, onSeam, scanned, 'acs_entrance_ids'),
    cardProblems: (card) =>
      card.contents !== null && card.contents[scheme.keyIdField] === undefined
        ? [`The card does not carry a ${scheme.systemName} key.`]
        : [],
  }
}
