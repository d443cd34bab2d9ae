import { randomBytes, randomUUID } from 'node:crypto'
import { createSandboxCardEncoder, type SandboxCardModel } from '../sandbox-encoder.js'
import type { CardState, EncoderDriver } from '../types.js'
import type { VostioCardContents, VostioCredentialImage } from './card.js'

type Image = VostioCredentialImage
type Contents = VostioCardContents

/**
 * A virtual Vostio encoder: the sandbox card encoder (`../sandbox-encoder.ts`) with
 * Vostio's cards (MIFARE DESFire, carrying the key and its doors).
 */

/** A blank MIFARE DESFire card: its 7-byte UID is its number. */
export const blankCard = (): CardState<Contents> => ({
  card_number: randomBytes(7).toString('hex').toUpperCase(),
  card_format: 'mifare_desfire',
  contents: null,
})

const dayMs = 24 * 60 * 60 * 1000

const vostioCards: SandboxCardModel<Image, Contents> = {
  messages: {
    no_credential_on_encoder: 'No card was placed on the Vostio encoder.',
    encoding_interrupted: 'The card was removed from the Vostio encoder before encoding finished.',
    incompatible_card_format: 'The card on the Vostio encoder is not a MIFARE DESFire card.',
  },
  fallback: 'The Vostio encoder reported an error.',
  blankCard,
  formatOf: () => 'mifare_desfire',
  write: (image, { cardId }, now) => ({
    acs_credential_id: image.acs_credential_id,
    card_holder: image.card_holder,
    vostio_key_id: image.vostio_key_id,
    vostio_card_id: cardId,
    starts_at: image.starts_at,
    ends_at: image.ends_at,
    acs_entrance_ids: [...image.acs_entrance_ids],
    door_names: [...image.door_names],
    written_at: now.toISOString(),
  }),
  keptOf: (contents) => ({ cardId: contents?.vostio_card_id ?? '1', issuedCards: 1 }),
  stranger: (_card, now) => ({
    image: {
      acs_credential_id: randomUUID(),
      card_format: 'mifare_desfire',
      card_holder: 'Guest',
      vostio_key_id: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      acs_entrance_ids: [],
      door_names: [],
    },
    cardId: '1',
  }),
}

export const createSandboxVostioDriver = (options: {
  delayMs: number
}): EncoderDriver<Image, Contents> => createSandboxCardEncoder(vostioCards, options)
