import { randomBytes, randomUUID } from 'node:crypto'
import { createSandboxCardEncoder, type SandboxCardModel } from '../sandbox-encoder.js'
import type { CardState, EncoderDriver } from '../types.js'
import type { VisionlineCardContents, VisionlineCredentialImage } from './card.js'

type CredentialImage = VisionlineCredentialImage
type CardContents = VisionlineCardContents

/**
 * A virtual ASSA ABLOY Visionline encoder: the sandbox card encoder
 * (`../sandbox-encoder.ts`) with Visionline's cards (RFID48 or TLCode, guest and
 * common doors, the number of cards issued).
 */

/** A new blank card with a random 16-hex-digit number, as Visionline prints them. */
export const blankCard = (): CardState<CardContents> => ({
  card_number: randomBytes(8).toString('hex'),
  card_format: 'rfid48',
  contents: null,
})

const dayMs = 24 * 60 * 60 * 1000

const visionlineCards: SandboxCardModel<CredentialImage, CardContents> = {
  messages: {
    no_credential_on_encoder: 'No card was placed on the encoder.',
    encoding_interrupted: 'The card was removed from the encoder before encoding finished.',
    uncategorized_error: 'The encoder reported an error.',
    action_attempt_expired: 'The encoder did not answer in time.',
    incompatible_card_format: 'The card on the encoder has a different format than the credential.',
  },
  fallback: 'The encoder reported an error.',
  blankCard,
  formatOf: (credential) => credential.card_format,
  write: (credential, { cardId, issuedCards }, now) => ({
    acs_credential_id: credential.acs_credential_id,
    card_holder: credential.card_holder,
    card_function_type: credential.card_function_type,
    visionline_card_id: cardId,
    visionline_credential_id: credential.visionline_credential_id,
    starts_at: credential.starts_at,
    ends_at: credential.ends_at,
    guest_acs_entrance_ids: [...credential.guest_acs_entrance_ids],
    common_acs_entrance_ids: [...credential.common_acs_entrance_ids],
    number_of_issued_cards: issuedCards,
    written_at: now.toISOString(),
  }),
  keptOf: (contents) => ({
    cardId: contents?.visionline_card_id ?? '1',
    issuedCards: contents?.number_of_issued_cards ?? 1,
  }),
  stranger: (card, now) => {
    const image: CredentialImage = {
      acs_credential_id: randomUUID(),
      card_holder: 'Guest',
      card_format: card.card_format === 'TLCode' ? 'TLCode' : 'rfid48',
      card_function_type: 'guest',
      visionline_credential_id: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      guest_acs_entrance_ids: [],
      common_acs_entrance_ids: [],
    }
    return { image, cardId: image.visionline_credential_id }
  },
}

export interface SandboxEncoderOptions {
  /** How long the virtual encoder takes for each encode or scan (KEYSMITH_SANDBOX_ACTION_DELAY_MS). */
  delayMs: number
}

export const createSandboxVisionlineDriver = (
  options: SandboxEncoderOptions,
): EncoderDriver<CredentialImage, CardContents> =>
  createSandboxCardEncoder(visionlineCards, options)
