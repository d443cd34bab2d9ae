import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import type {
  CardState,
  DriverError,
  EncodeRequest,
  EncodeResult,
  EncoderDriver,
  ScanRequest,
  ScanResult,
} from '../types.js'
import type { VisionlineCardContents, VisionlineCredentialImage } from './card.js'

type CredentialImage = VisionlineCredentialImage
type CardContents = VisionlineCardContents
type Driver = EncoderDriver<CredentialImage, CardContents>

/**
 * A virtual ASSA ABLOY Visionline encoder. It models the physical card: a card lies
 * on the encoder, encoding writes the credential onto it, scanning reads back what
 * was written (which may since have drifted from the server's credential).
 *
 * The sandbox plays the front desk, too: to encode a credential it puts that
 * credential's own card on the encoder when the credential was encoded before (a
 * reissue rewrites the guest's card), the blank card already lying there otherwise,
 * and a fresh blank card when the card lying there belongs to another guest.
 */

const errorMessages: Record<string, string> = {
  no_credential_on_encoder: 'No card was placed on the encoder.',
  encoding_interrupted: 'The card was removed from the encoder before encoding finished.',
  uncategorized_error: 'The encoder reported an error.',
  action_attempt_expired: 'The encoder did not answer in time.',
  incompatible_card_format: 'The card on the encoder has a different format than the credential.',
}

const failure = (type: string): { ok: false; error: DriverError } => ({
  ok: false,
  error: { type, message: errorMessages[type] ?? 'The encoder reported an error.' },
})

/** A new blank card with a random 16-hex-digit number, as Visionline prints them. */
export const blankCard = (): CardState<CardContents> => ({
  card_number: randomBytes(8).toString('hex'),
  card_format: 'rfid48',
  contents: null,
})

const write = (
  credential: CredentialImage,
  externalCardId: string,
  numberOfIssuedCards: number,
  now: Date,
): CardContents => ({
  acs_credential_id: credential.acs_credential_id,
  card_holder: credential.card_holder,
  card_function_type: credential.card_function_type,
  visionline_card_id: externalCardId,
  visionline_credential_id: credential.visionline_credential_id,
  starts_at: credential.starts_at,
  ends_at: credential.ends_at,
  guest_acs_entrance_ids: [...credential.guest_acs_entrance_ids],
  common_acs_entrance_ids: [...credential.common_acs_entrance_ids],
  number_of_issued_cards: numberOfIssuedCards,
  written_at: now.toISOString(),
})

const dayMs = 24 * 60 * 60 * 1000

export interface SandboxEncoderOptions {
  /** How long the virtual encoder takes for each encode or scan (KEYSMITH_SANDBOX_ACTION_DELAY_MS). */
  delayMs: number
}

/**
 * The sandbox encoder. It takes `delayMs` per operation, as a person putting a card
 * down would, in an abortable wait. It writes nothing itself (the card it returns is
 * saved when the result is applied), so an operation cut off midway can run again.
 */
export const createSandboxVisionlineDriver = ({ delayMs }: SandboxEncoderOptions): Driver => ({
  timeoutMs: delayMs + 10_000,
  canRetry: () => true,
  async encode(request, signal) {
    await wait(delayMs, undefined, { signal })
    return encodeCard(request)
  },
  async scan(request, signal) {
    await wait(delayMs, undefined, { signal })
    return scanCard(request)
  },
})

const encodeCard = (
  request: EncodeRequest<CredentialImage, CardContents>,
): EncodeResult<CardContents> => {
  const { simulation, cardOnEncoder, cardOfCredential, credential } = request
  if (simulation?.outcome === 'error') return failure(simulation.error_code)
  if (cardOnEncoder === null && cardOfCredential === null) {
    return failure('no_credential_on_encoder')
  }
  const contents = write(
    credential,
    request.externalCardId,
    request.numberOfIssuedCards,
    request.now,
  )
  if (cardOfCredential) {
    return { ok: true, card: { ...cardOfCredential, contents } }
  }
  if (cardOnEncoder && cardOnEncoder.contents === null) {
    return {
      ok: true,
      card: { ...cardOnEncoder, card_format: credential.card_format, contents },
    }
  }
  const fresh = blankCard()
  return {
    ok: true,
    card: { card_number: fresh.card_number, card_format: credential.card_format, contents },
  }
}

const scanCard = (
  request: ScanRequest<CredentialImage, CardContents>,
): ScanResult<CardContents> => {
  const { simulation, cardOnEncoder, simulatedCredential, simulatedCard, now } = request
  if (simulation?.outcome === 'error') return failure(simulation.error_code)
  const card: CardState<CardContents> = cardOnEncoder ?? {
    card_number: blankCard().card_number,
    card_format: 'rfid48',
    contents: null,
  }
  if (simulation?.outcome === 'empty_card') return { ok: true, card: { ...card, contents: null } }
  if (simulation?.outcome === 'unknown_credential') {
    const stranger: CredentialImage = {
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
    return {
      ok: true,
      card: { ...card, contents: write(stranger, stranger.visionline_credential_id, 1, now) },
    }
  }
  if (simulation?.outcome === 'credential' && simulatedCredential) {
    const written = simulation.in_sync ? simulatedCredential : outdated(simulatedCredential, now)
    const base = simulatedCard ?? card
    const previous = base.contents
    return {
      ok: true,
      card: {
        ...base,
        // The placed card is the credential's: its format is the credential's.
        card_format: written.card_format,
        contents: write(
          written,
          previous?.visionline_card_id ?? '1',
          previous?.number_of_issued_cards ?? 1,
          now,
        ),
      },
    }
  }
  if (cardOnEncoder === null) return failure('no_credential_on_encoder')
  return { ok: true, card: cardOnEncoder }
}

/** The same credential as it stood before its stay was extended by a day. */
const outdated = (credential: CredentialImage, now: Date): CredentialImage => {
  const end = credential.ends_at ? new Date(credential.ends_at) : new Date(now.getTime() + dayMs)
  return { ...credential, ends_at: new Date(end.getTime() - dayMs).toISOString() }
}
