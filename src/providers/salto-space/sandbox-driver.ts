import { randomBytes, randomUUID } from 'node:crypto'
import { createSandboxCardEncoder, type SandboxCardModel } from '../sandbox-encoder.js'
import type { CardState, EncoderDriver } from '../types.js'
import type { SaltoSpaceCardContents, SaltoSpaceCredentialImage } from './card.js'

type Image = SaltoSpaceCredentialImage
type Contents = SaltoSpaceCardContents

/**
 * A virtual Salto NCoder: the sandbox card encoder (`../sandbox-encoder.ts`) with
 * Salto Space's cards (MIFARE DESFire). Salto Space keeps one key per user, so
 * updating a key rewrites that user's card.
 */

/** A blank MIFARE DESFire card: its 7-byte UID is its number. */
export const blankCard = (): CardState<Contents> => ({
  card_number: randomBytes(7).toString('hex').toUpperCase(),
  card_format: 'mifare_desfire',
  contents: null,
})

const dayMs = 24 * 60 * 60 * 1000

const saltoSpaceCards: SandboxCardModel<Image, Contents> = {
  messages: {
    no_credential_on_encoder: 'No card was placed on the NCoder.',
    encoding_interrupted: 'The card was removed from the NCoder before encoding finished.',
    incompatible_card_format: 'The card on the NCoder is not a MIFARE DESFire card.',
  },
  fallback: 'The NCoder reported an error.',
  blankCard,
  formatOf: () => 'mifare_desfire',
  write: (image, { cardId }, now) => ({
    acs_credential_id: image.acs_credential_id,
    card_holder: image.card_holder,
    salto_space_key_id: image.salto_space_key_id,
    salto_space_card_id: cardId,
    starts_at: image.starts_at,
    ends_at: image.ends_at,
    acs_entrance_ids: [...image.acs_entrance_ids],
    written_at: now.toISOString(),
  }),
  keptOf: (contents) => ({ cardId: contents?.salto_space_card_id ?? '1', issuedCards: 1 }),
  stranger: (_card, now) => ({
    image: {
      acs_credential_id: randomUUID(),
      card_format: 'mifare_desfire',
      card_holder: 'Visitor',
      salto_space_key_id: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      acs_entrance_ids: [],
    },
    cardId: '1',
  }),
}

export const createSandboxSaltoSpaceDriver = (options: {
  delayMs: number
}): EncoderDriver<Image, Contents> => createSandboxCardEncoder(saltoSpaceCards, options)
