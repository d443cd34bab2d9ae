/**
 * Which tag lies on a PC/SC reader, from the ATR the reader makes up for a
 * contactless storage card (PC/SC part 3, section 3.1.3.2.3):
 *
 *     3B 8F 80 01 80 4F 0C A0 00 00 03 06 <SS> <NN NN> 00 00 00 00 <TCK>
 *
 * where A0 00 00 03 06 is the PC/SC registered application provider, SS the
 * standard (03: ISO 14443 A part 3) and NN NN the card name.
 */

import { hex, TagError } from './apdu.js'

export type TagTechnology = 'ntag' | 'mifare_classic_1k'

const PREFIX = [0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f, 0x0c, 0xa0, 0x00, 0x00, 0x03, 0x06]
const ATR_LENGTH = 20

/** PC/SC part 3 card names (NN NN) Keysmith writes. */
const CARD_NAMES: ReadonlyMap<number, TagTechnology> = new Map([
  [0x0001, 'mifare_classic_1k'],
  // Ultralight and its successors, NTAG213/215/216 among them.
  [0x0003, 'ntag'],
])

/** The ATR of a storage card named `cardName` (NN NN), TCK included. */
export const storageCardAtr = (cardName: number, standard = 0x03): Uint8Array => {
  const atr = Uint8Array.from([
    ...PREFIX,
    standard,
    cardName >> 8,
    cardName & 0xff,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
  ])
  // TCK: every byte from T0 on XORs to 0.
  atr[ATR_LENGTH - 1] = atr.subarray(1, ATR_LENGTH - 1).reduce((x, byte) => x ^ byte, 0)
  return atr
}

/**
 * The technology of the card whose ATR this is; any card but an NTAG / Ultralight
 * or a MIFARE Classic 1K is `incompatible_card_format`.
 */
export const tagTechnology = (atr: Uint8Array): TagTechnology => {
  const storage = atr.length === ATR_LENGTH && PREFIX.every((byte, i) => atr[i] === byte)
  const name = storage ? ((atr[13] ?? 0) << 8) | (atr[14] ?? 0) : undefined
  const technology = name === undefined ? undefined : CARD_NAMES.get(name)
  if (!technology) {
    throw new TagError(
      'incompatible_card_format',
      `not a card Keysmith writes (ATR ${hex(atr)}): Keysmith writes NTAG213/215/216 and MIFARE Classic 1K cards`,
    )
  }
  return technology
}
