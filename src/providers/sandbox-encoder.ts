import { setTimeout as wait } from 'node:timers/promises'
import type { CardContents } from '../db/schema.js'
import type {
  CardFormat,
  CardState,
  CredentialImage,
  DriverError,
  EncodeRequest,
  EncodeResult,
  EncoderDriver,
  ScanRequest,
  ScanResult,
} from './types.js'

/**
 * The sandbox's virtual card encoder, shared by every card system: it models the
 * physical card. A card lies on the encoder; encoding writes the credential onto it;
 * scanning reads back what was written (which may since have drifted from the
 * server's credential), or what a simulation put there.
 *
 * The sandbox plays the front desk too: to encode a credential it puts that
 * credential's own card on the encoder when the credential was encoded before (a
 * reissue rewrites the guest's card), else the blank card lying there, else a fresh
 * blank card. It writes nothing itself (the card it returns is saved when the result
 * is applied), so an operation cut off midway can always run again. Each operation
 * takes `delayMs`, as a person putting a card down would, in an abortable wait.
 *
 * What differs between systems (card formats, what a card holds, the encoder's
 * words) is the `SandboxCardModel` its provider folder gives.
 */
/** A credential as a sandbox card system writes it: with the end of its stay. */
type SandboxImage = CredentialImage & { ends_at: string | null }

export interface SandboxCardModel<Image extends SandboxImage, Contents extends CardContents> {
  /** Error messages by error type; `fallback` for any other. */
  messages: Record<string, string>
  fallback: string
  blankCard(): CardState<Contents>
  /** The format of the card a credential is written on. */
  formatOf(image: Image): CardFormat
  /**
   * What the card holds once `image` is written: `cardId` is the system's id of the
   * card, `issuedCards` how many cards the credential has had.
   */
  write(image: Image, card: { cardId: string; issuedCards: number }, now: Date): Contents
  /** What a card already written keeps when it is written again (a simulated scan). */
  keptOf(contents: Contents | null): { cardId: string; issuedCards: number }
  /** A credential of nobody the server knows, and its card id (`unknown_credential`). */
  stranger(card: CardState<Contents>, now: Date): { image: Image; cardId: string }
}

const dayMs = 24 * 60 * 60 * 1000

/** The same credential as it stood before its stay was extended by a day. */
const outdated = <Image extends SandboxImage>(image: Image, now: Date): Image => {
  const end = image.ends_at ? new Date(image.ends_at) : new Date(now.getTime() + dayMs)
  return { ...image, ends_at: new Date(end.getTime() - dayMs).toISOString() }
}

export const createSandboxCardEncoder = <Image extends SandboxImage, Contents extends CardContents>(
  model: SandboxCardModel<Image, Contents>,
  { delayMs }: { delayMs: number },
): EncoderDriver<Image, Contents> => {
  const failure = (type: string): { ok: false; error: DriverError } => ({
    ok: false,
    error: { type, message: model.messages[type] ?? model.fallback },
  })

  const encodeCard = (request: EncodeRequest<Image, Contents>): EncodeResult<Contents> => {
    const { simulation, cardOnEncoder, cardOfCredential, credential, now } = request
    if (simulation?.outcome === 'error') return failure(simulation.error_code)
    if (cardOnEncoder === null && cardOfCredential === null) {
      return failure('no_credential_on_encoder')
    }
    const contents = model.write(
      credential,
      { cardId: request.externalCardId, issuedCards: request.numberOfIssuedCards },
      now,
    )
    const card_format = model.formatOf(credential)
    if (cardOfCredential) return { ok: true, card: { ...cardOfCredential, contents } }
    if (cardOnEncoder && cardOnEncoder.contents === null) {
      return { ok: true, card: { ...cardOnEncoder, card_format, contents } }
    }
    return { ok: true, card: { ...model.blankCard(), card_format, contents } }
  }

  const scanCard = (request: ScanRequest<Image, Contents>): ScanResult<Contents> => {
    const { simulation, cardOnEncoder, simulatedCredential, simulatedCard, now } = request
    if (simulation?.outcome === 'error') return failure(simulation.error_code)
    const card = cardOnEncoder ?? model.blankCard()
    if (simulation?.outcome === 'empty_card') return { ok: true, card: { ...card, contents: null } }
    if (simulation?.outcome === 'unknown_credential') {
      const { image, cardId } = model.stranger(card, now)
      return {
        ok: true,
        card: { ...card, contents: model.write(image, { cardId, issuedCards: 1 }, now) },
      }
    }
    if (simulation?.outcome === 'credential' && simulatedCredential) {
      const written = simulation.in_sync ? simulatedCredential : outdated(simulatedCredential, now)
      const base = simulatedCard ?? card
      return {
        ok: true,
        card: {
          ...base,
          // The placed card is the credential's: its format is the credential's.
          card_format: model.formatOf(written),
          contents: model.write(written, model.keptOf(base.contents), now),
        },
      }
    }
    if (cardOnEncoder === null) return failure('no_credential_on_encoder')
    return { ok: true, card: cardOnEncoder }
  }

  return {
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
  }
}
