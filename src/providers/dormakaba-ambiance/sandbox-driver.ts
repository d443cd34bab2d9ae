import { randomBytes, randomUUID } from 'node:crypto'
import { createSandboxCardEncoder, type SandboxCardModel } from '../sandbox-encoder.js'
import type { CardState, EncoderDriver } from '../types.js'
import type { AmbianceCardContents, AmbianceCredentialImage } from './card.js'

type Image = AmbianceCredentialImage
type Contents = AmbianceCardContents

/**
 * A virtual dormakaba Ambiance card encoder: the sandbox card encoder
 * (`../sandbox-encoder.ts`) with Ambiance's key cards (MIFARE DESFire), each
 * carrying the doors of its holder's access groups.
 */

/** A blank MIFARE DESFire card: its 7-byte UID is its number. */
export const blankCard = (): CardState<Contents> => ({
  card_number: randomBytes(7).toString('hex').toUpperCase(),
  card_format: 'mifare_desfire',
  contents: null,
})

const dayMs = 24 * 60 * 60 * 1000

const ambianceCards: SandboxCardModel<Image, Contents> = {
  messages: {
    no_credential_on_encoder: 'No card was placed on the Ambiance encoder.',
    encoding_interrupted:
      'The card was removed from the Ambiance encoder before encoding finished.',
    incompatible_card_format: 'The card on the Ambiance encoder is not a MIFARE DESFire card.',
  },
  fallback: 'The Ambiance encoder reported an error.',
  blankCard,
  formatOf: () => 'mifare_desfire',
  write: (image, { cardId }, now) => ({
    acs_credential_id: image.acs_credential_id,
    card_holder: image.card_holder,
    ambiance_credential_id: image.ambiance_credential_id,
    ambiance_card_id: cardId,
    starts_at: image.starts_at,
    ends_at: image.ends_at,
    acs_entrance_ids: [...image.acs_entrance_ids],
    written_at: now.toISOString(),
  }),
  keptOf: (contents) => ({ cardId: contents?.ambiance_card_id ?? '1', issuedCards: 1 }),
  stranger: (_card, now) => ({
    image: {
      acs_credential_id: randomUUID(),
      card_format: 'mifare_desfire',
      card_holder: 'Guest',
      ambiance_credential_id: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      acs_entrance_ids: [],
    },
    cardId: '1',
  }),
}

export const createSandboxAmbianceDriver = (options: {
  delayMs: number
}): EncoderDriver<Image, Contents> => createSandboxCardEncoder(ambianceCards, options)
