/**
 * What the bridge needs from the readers next to it, whatever they are: a PC/SC
 * reader with NFC tags (pcsc.ts) or virtual readers whose cards are files
 * (virtual.ts). Each operation waits for a card to be put down, up to `cardWaitMs`.
 */

export type ReaderErrorType =
  | 'no_credential_on_encoder'
  | 'encoding_interrupted'
  | 'incompatible_card_format'
  | 'encoder_not_online'
  | 'uncategorized_error'

export type ReaderResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: { type: ReaderErrorType; message: string } }

export interface CardWait {
  /** How long to wait for a card to be put down (`--card-wait-ms`). */
  cardWaitMs: number
  signal: AbortSignal
}

export interface TagReaderDriver {
  /** The readers attached now, by name. */
  readers(): string[]
  /** Writes `memory` onto the card put on `reader`, reads it back, and reports the card's UID. */
  write(reader: string, memory: Uint8Array, wait: CardWait): Promise<ReaderResult<{ uid: string }>>
  /** Reads the user memory of the card put on `reader`. */
  read(reader: string, wait: CardWait): Promise<ReaderResult<{ uid: string; memory: Uint8Array }>>
  close(): Promise<void>
}

export const readerFailure = (
  type: ReaderErrorType,
  message: string,
): { ok: false; error: { type: ReaderErrorType; message: string } } => ({
  ok: false,
  error: { type, message },
})
