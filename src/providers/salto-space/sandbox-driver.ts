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
import type { SaltoSpaceCardContents, SaltoSpaceCredentialImage } from './card.js'

type Image = SaltoSpaceCredentialImage
type Contents = SaltoSpaceCardContents

/**
 * A virtual Salto NCoder. Like the other sandbox encoders it models the card: the
 * credential's own card is rewritten when it was encoded before (Salto Space keeps
 * one key per user, so updating a key rewrites that card), else the blank card lying
 * on the encoder is written, else a fresh blank card. It writes nothing itself (the
 * card it returns is saved when the result is applied), so it can always run again.
 */

const errorMessages: Record<string, string> = {
  no_credential_on_encoder: 'No card was placed on the NCoder.',
  encoding_interrupted: 'The card was removed from the NCoder before encoding finished.',
  incompatible_card_format: 'The card on the NCoder is not a MIFARE DESFire card.',
}

const failure = (type: string): { ok: false; error: DriverError } => ({
  ok: false,
  error: { type, message: errorMessages[type] ?? 'The NCoder reported an error.' },
})

/** A blank MIFARE DESFire card: its 7-byte UID is its number. */
export const blankCard = (): CardState<Contents> => ({
  card_number: randomBytes(7).toString('hex').toUpperCase(),
  card_format: 'mifare_desfire',
  contents: null,
})

const write = (image: Image, cardId: string, now: Date): Contents => ({
  acs_credential_id: image.acs_credential_id,
  card_holder: image.card_holder,
  salto_space_key_id: image.salto_space_key_id,
  salto_space_card_id: cardId,
  starts_at: image.starts_at,
  ends_at: image.ends_at,
  acs_entrance_ids: [...image.acs_entrance_ids],
  written_at: now.toISOString(),
})

const encodeCard = (request: EncodeRequest<Image, Contents>): EncodeResult<Contents> => {
  const { simulation, cardOnEncoder, cardOfCredential, credential, now } = request
  if (simulation?.outcome === 'error') return failure(simulation.error_code)
  if (cardOnEncoder === null && cardOfCredential === null) {
    return failure('no_credential_on_encoder')
  }
  const contents = write(credential, request.externalCardId, now)
  if (cardOfCredential) return { ok: true, card: { ...cardOfCredential, contents } }
  if (cardOnEncoder && cardOnEncoder.contents === null) {
    return { ok: true, card: { ...cardOnEncoder, card_format: 'mifare_desfire', contents } }
  }
  return { ok: true, card: { ...blankCard(), contents } }
}

const dayMs = 24 * 60 * 60 * 1000

const scanCard = (request: ScanRequest<Image, Contents>): ScanResult<Contents> => {
  const { simulation, cardOnEncoder, simulatedCredential, simulatedCard, now } = request
  if (simulation?.outcome === 'error') return failure(simulation.error_code)
  const card = cardOnEncoder ?? blankCard()
  if (simulation?.outcome === 'empty_card') return { ok: true, card: { ...card, contents: null } }
  if (simulation?.outcome === 'unknown_credential') {
    const stranger: Image = {
      acs_credential_id: randomUUID(),
      card_format: 'mifare_desfire',
      card_holder: 'Visitor',
      salto_space_key_id: String(90_000 + Math.floor(Math.random() * 10_000)),
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 2 * dayMs).toISOString(),
      acs_entrance_ids: [],
    }
    return { ok: true, card: { ...card, contents: write(stranger, '1', now) } }
  }
  if (simulation?.outcome === 'credential' && simulatedCredential) {
    const written = simulation.in_sync
      ? simulatedCredential
      : {
          ...simulatedCredential,
          ends_at: new Date(
            new Date(simulatedCredential.ends_at ?? now.getTime() + dayMs).getTime() - dayMs,
          ).toISOString(),
        }
    const base = simulatedCard ?? card
    return {
      ok: true,
      card: {
        ...base,
        card_format: 'mifare_desfire',
        contents: write(written, base.contents?.salto_space_card_id ?? '1', now),
      },
    }
  }
  if (cardOnEncoder === null) return failure('no_credential_on_encoder')
  return { ok: true, card: cardOnEncoder }
}

export const createSandboxSaltoSpaceDriver = ({
  delayMs,
}: {
  delayMs: number
}): EncoderDriver<Image, Contents> => ({
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
