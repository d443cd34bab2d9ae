import type { AcsCredential } from '@seamapi/types/connect'
import type { CredentialOnEncoder } from '../access-system.js'
import type { CardState } from '../types.js'

/**
 * A Keysmith card as the server keeps it: the credential as it is written (the image,
 * compared to spot changes), and what a card read back says (its contents).
 */

export type KeysmithCardImage = {
  acs_credential_id: string
  card_format: 'nfc_type2'
  /** Door numbers, ascending. */
  entrances: number[]
  starts_at: string | null
  ends_at: string | null
  staff: boolean
  override: boolean
}

export type KeysmithCardContents = {
  acs_credential_id: string
  issue_number: number
  starts_at: string | null
  ends_at: string | null
  entrances: number[]
  staff: boolean
  override: boolean
  /** Signed by this system's key, and unchanged since. */
  signature_valid: boolean
  /** Signed by another system's key (its key id differs). */
  other_system: boolean
}

/** Whole seconds: what a card stores of a time. */
const toSecond = (iso: string | null | undefined): number | null =>
  iso ? Math.floor(new Date(iso).getTime() / 1000) : null

export const readCard = (card: CardState): CredentialOnEncoder => {
  const contents = card.contents as KeysmithCardContents | null
  return {
    card_number: card.card_number,
    created_at: null,
    is_issued: contents !== null,
    starts_at: contents?.starts_at ?? null,
    ends_at: contents?.ends_at ?? null,
  }
}

/**
 * Where the card and the server's credential differ. Times count in whole seconds
 * (what the card holds); the doors are the credential's door numbers now.
 */
export const outOfSyncProperties = (
  onEncoder: CredentialOnEncoder,
  onSeam: AcsCredential,
  card: CardState,
  doorsNow: readonly number[],
): string[] => {
  const contents = card.contents as KeysmithCardContents | null
  const differences: string[] = []
  if (onEncoder.is_issued !== onSeam.is_issued) differences.push('is_issued')
  if (onSeam.card_number && onEncoder.card_number !== onSeam.card_number) {
    differences.push('card_number')
  }
  if (toSecond(onEncoder.starts_at) !== toSecond(onSeam.starts_at)) differences.push('starts_at')
  if (toSecond(onEncoder.ends_at) !== toSecond(onSeam.ends_at)) differences.push('ends_at')
  const written = [...(contents?.entrances ?? [])].sort((a, b) => a - b).join()
  if (contents && written !== [...doorsNow].sort((a, b) => a - b).join()) {
    differences.push('acs_entrance_ids')
  }
  return differences
}

export const cardProblems = (card: CardState): string[] => {
  const contents = card.contents as KeysmithCardContents | null
  if (!contents) return []
  if (contents.other_system) {
    return [
      "The card was signed by another access system's key: no lock of this system opens for it.",
    ]
  }
  if (!contents.signature_valid) {
    return [
      'The card was tampered with: its signature does not verify against the access system key, so no lock opens for it. Encode it again.',
    ]
  }
  return []
}
