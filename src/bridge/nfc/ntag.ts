/**
 * NTAG213/215/216 (NFC Forum Type 2 tags) through a PC/SC reader's pseudo-APDUs
 * for storage cards (PC/SC part 3): Get Data `FF CA` for the UID, Read Binary
 * `FF B0` and Update Binary `FF D6` by 4-byte page. The reader or the virtual
 * card answers each with data and a status word (90 00 when it worked).
 */

import {
  checkCapacity,
  checkReadBack,
  padTo,
  readBinary,
  TagError,
  type Transmit,
  updateBinary,
} from './apdu.js'

const PAGE = 4
/** User memory starts at page 4; page 3 is the capability container. */
const FIRST_USER_PAGE = 4
const CC_PAGE = 3
/** Pages read per Read Binary (16 bytes, what readers answer for Type 2 tags). */
const READ_PAGES = 4

const readPages = (transmit: Transmit, page: number, pages: number): Promise<Uint8Array> =>
  readBinary(transmit, page, pages * PAGE, `reading page ${page}`)

/**
 * The size of the tag's NDEF data area, from its capability container (byte 2
 * times 8): 144 bytes on an NTAG213, 496 on an NTAG215, 872 on an NTAG216.
 * A tag without an NFC Forum capability container is not a card Keysmith writes.
 */
export const readCapacity = async (transmit: Transmit): Promise<number> => {
  const cc = await readPages(transmit, CC_PAGE, 1)
  if (cc.length < 4 || cc[0] !== 0xe1) {
    throw new TagError('incompatible_card_format', 'the card is not an NFC Forum Type 2 tag (NTAG)')
  }
  return (cc[2] ?? 0) * 8
}

/** Reads the first `length` bytes of user memory. */
export const readUserMemory = async (transmit: Transmit, length: number): Promise<Uint8Array> => {
  const pages = Math.ceil(length / PAGE)
  const chunks: Uint8Array[] = []
  for (let page = 0; page < pages; page += READ_PAGES) {
    const count = Math.min(READ_PAGES, pages - page)
    const data = await readPages(transmit, FIRST_USER_PAGE + page, count)
    chunks.push(data.subarray(0, count * PAGE))
  }
  return new Uint8Array(Buffer.concat(chunks).subarray(0, length))
}

/**
 * Writes `memory` from the first user page, one page at a time, then reads it back:
 * a card taken away midway, or that did not store what was sent, is
 * `encoding_interrupted`; one too small is `incompatible_card_format`.
 */
export const writeUserMemory = async (transmit: Transmit, memory: Uint8Array): Promise<void> => {
  checkCapacity(await readCapacity(transmit), memory)
  const padded = padTo(memory, PAGE)
  for (let offset = 0; offset < padded.length; offset += PAGE) {
    const page = FIRST_USER_PAGE + offset / PAGE
    await updateBinary(
      transmit,
      page,
      padded.subarray(offset, offset + PAGE),
      `writing page ${page}`,
    )
  }
  checkReadBack(padded, await readUserMemory(transmit, padded.length))
}
