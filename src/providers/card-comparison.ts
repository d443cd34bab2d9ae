import type { AcsCredential } from '@seamapi/types/connect'
import type { AcsEntranceRow } from '../db/schema.js'
import type { CredentialOnEncoder } from './access-system.js'
import type { CardState } from './types.js'

/**
 * The part of "this card is out of date, re-encode it" every access system shares:
 * whether the card is issued, its number and its validity window, compared with the
 * credential the server holds. Each provider adds what its cards carry besides.
 */

export const sameTime = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? null) === null || (b ?? null) === null
    ? (a ?? null) === (b ?? null)
    : new Date(a as string).getTime() === new Date(b as string).getTime()

export const sameSet = (a: readonly string[] = [], b: readonly string[] = []): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join()

/** Names of the common properties on which the card and the server's credential differ. */
export const commonOutOfSyncProperties = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
): string[] => {
  const differences: string[] = []
  if (onEncoder.is_issued !== onSeam.is_issued) differences.push('is_issued')
  if (onSeam.card_number && onEncoder.card_number !== onSeam.card_number) {
    differences.push('card_number')
  }
  if (!sameTime(onEncoder.starts_at, onSeam.starts_at)) differences.push('starts_at')
  if (!sameTime(onEncoder.ends_at, onSeam.ends_at)) differences.push('ends_at')
  return differences
}

/** What a card written by a sandbox encoder holds besides its system's own fields. */
export interface WrittenCardContents {
  acs_credential_id: string
  starts_at: string | null
  ends_at: string | null
  acs_entrance_ids: string[]
  written_at: string
}

/**
 * A card as a scan reports it, for systems whose cards the document gives no fields
 * of their own on `acs_credential_on_encoder`: only what every card has.
 */
export const readWrittenCard = (card: CardState): CredentialOnEncoder => {
  const contents = card.contents as WrittenCardContents | null
  return {
    card_number: card.card_number,
    created_at: contents?.written_at ?? null,
    is_issued: contents !== null,
    starts_at: contents?.starts_at ?? null,
    ends_at: contents?.ends_at ?? null,
  }
}

/**
 * The common differences, plus `doorsProperty` when the card opens other doors than
 * the credential does now (the doors are not a property of the credential resource:
 * each system names the difference as its documents do).
 */
export const writtenCardOutOfSync = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
  scanned: { card: CardState; entrances: readonly AcsEntranceRow[] },
  doorsProperty: string,
): string[] => {
  const differences = commonOutOfSyncProperties(onEncoder, onSeam)
  const contents = scanned.card.contents as WrittenCardContents | null
  const opens = scanned.entrances.map((e) => e.acs_entrance_id)
  if (contents !== null && !sameSet(contents.acs_entrance_ids, opens)) {
    differences.push(doorsProperty)
  }
  return differences
}
