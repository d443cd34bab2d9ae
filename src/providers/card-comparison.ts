import type { AcsCredential } from '@seamapi/types/connect'
import type { CredentialOnEncoder } from './access-system.js'

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
