/**
 * MIFARE Classic 1K through a PC/SC reader's pseudo-APDUs for storage cards (PC/SC
 * part 3): Load Keys `FF 82` puts the key in the reader's volatile slot 0, General
 * Authenticate `FF 86` opens one sector with it (as key A), then Read Binary `FF B0`
 * and Update Binary `FF D6` move 16-byte blocks of that sector.
 *
 * The card has 16 sectors of 4 blocks; the last block of each (3, 7, … 63) is the
 * sector trailer (keys and access bits) and sector 0 holds the manufacturer block
 * and, on an NFC-formatted card, the MAD. Keysmith's user memory is the three data
 * blocks of sectors 1 to 15, in order (blocks 4, 5, 6, 8, 9, 10, … 60, 61, 62): 720
 * bytes. It never writes a trailer or block 0. Once the memory is written and read
 * back, it writes a MAD1 (MIFARE Application Directory) into blocks 1 and 2 of
 * sector 0, marking sectors 1 to 15 as NDEF, when sector 0 opens with the same key
 * (on a blank card it does: the transport key); otherwise sector 0 is left alone.
 */

import {
  checkCapacity,
  checkReadBack,
  exchange,
  hex,
  padTo,
  readBinary,
  swText,
  TagError,
  type Transmit,
  updateBinary,
} from './apdu.js'

export const BLOCK_SIZE = 16
const BLOCKS_PER_SECTOR = 4
const SECTORS = 16
const FIRST_USER_SECTOR = 1
/** Data blocks per sector: all but the trailer. */
const DATA_BLOCKS = BLOCKS_PER_SECTOR - 1

/** Bytes of user memory: 15 sectors of 3 data blocks of 16 bytes. */
export const MIFARE_CLASSIC_1K_USER_BYTES = (SECTORS - FIRST_USER_SECTOR) * DATA_BLOCKS * BLOCK_SIZE

/** The transport key cards ship with (key A and key B): FF FF FF FF FF FF. */
export const DEFAULT_MIFARE_KEY: Uint8Array = new Uint8Array(6).fill(0xff)

export const sectorOf = (block: number): number => Math.floor(block / BLOCKS_PER_SECTOR)

/** Blocks 3, 7, … 63: a sector's keys and access bits. */
export const isSectorTrailer = (block: number): boolean =>
  block % BLOCKS_PER_SECTOR === BLOCKS_PER_SECTOR - 1

/** The block that holds user byte `offset` (0 ≤ offset < 720). */
export const userBlockOf = (offset: number): number => {
  if (!Number.isInteger(offset) || offset < 0 || offset >= MIFARE_CLASSIC_1K_USER_BYTES) {
    throw new RangeError(
      `user byte ${offset} is outside the card's ${MIFARE_CLASSIC_1K_USER_BYTES}`,
    )
  }
  const index = Math.floor(offset / BLOCK_SIZE)
  return (
    (FIRST_USER_SECTOR + Math.floor(index / DATA_BLOCKS)) * BLOCKS_PER_SECTOR +
    (index % DATA_BLOCKS)
  )
}

/** The blocks holding the first `length` bytes of user memory, in order. */
export const userBlocks = (length = MIFARE_CLASSIC_1K_USER_BYTES): number[] =>
  Array.from({ length: Math.ceil(length / BLOCK_SIZE) }, (_, i) => userBlockOf(i * BLOCK_SIZE))

/** Where the MAD1 lies: blocks 1 and 2 of sector 0 (block 0 is the manufacturer's). */
const MAD_BLOCKS = [1, 2]
/** The NFC Forum's application id for an NDEF sector, 0xE103 (stored little-endian). */
const NDEF_AID = [0x03, 0xe1]

/** CRC-8 of the MAD: polynomial x^8 + x^4 + x^3 + x^2 + 1, preset C7. */
const madCrc = (bytes: Uint8Array): number => {
  let crc = 0xc7
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = (crc & 0x80 ? (crc << 1) ^ 0x1d : crc << 1) & 0xff
  }
  return crc
}

/**
 * Blocks 1 and 2 of a MAD1 giving sectors 1 to 15 to NDEF: the CRC, the info byte
 * (01), then the application id E103 for each sector.
 */
export const madBlocks = (): [Uint8Array, Uint8Array] => {
  const mad = new Uint8Array(2 * BLOCK_SIZE)
  mad[1] = 0x01
  for (let sector = FIRST_USER_SECTOR; sector < SECTORS; sector++) mad.set(NDEF_AID, 2 * sector)
  mad[0] = madCrc(mad.subarray(1))
  return [mad.slice(0, BLOCK_SIZE), mad.slice(BLOCK_SIZE)]
}

/**
 * A MIFARE key from the command line: 12 hex digits (spaces or colons between the
 * bytes allowed). The message of a bad one does not repeat it.
 */
export const parseMifareKey = (text: string): Uint8Array => {
  const digits = text.replace(/[\s:]/g, '')
  if (!/^[0-9a-fA-F]{12}$/.test(digits)) {
    throw new Error(`a MIFARE key is 12 hex digits (6 bytes), got ${digits.length} characters`)
  }
  return new Uint8Array(Buffer.from(digits, 'hex'))
}

/** How a key is named in errors: the transport key by its value, any other not. */
const keyName = (key: Uint8Array): string =>
  Buffer.from(key).equals(Buffer.from(DEFAULT_MIFARE_KEY))
    ? `the transport key ${hex(key)}`
    : 'the configured MIFARE key (--mifare-key)'

/**
 * One card's exchanges: the key loaded once, each sector authenticated (key A)
 * before its blocks are read or written. The card stays authenticated for one
 * sector at a time.
 */
const session = (transmit: Transmit, key: Uint8Array) => {
  if (key.length !== 6) throw new RangeError(`a MIFARE key is 6 bytes, got ${key.length}`)
  let loaded = false
  let open: number | undefined
  /** Authenticates `sector` with key A: false when the card refuses the key. */
  const tryAuthenticate = async (sector: number): Promise<boolean> => {
    if (open === sector) return true
    if (!loaded) {
      const { sw } = await exchange(
        transmit,
        [0xff, 0x82, 0x00, 0x00, 0x06, ...key],
        'loading the MIFARE key',
      )
      if (sw !== 0x9000) {
        throw new TagError(
          'incompatible_card_format',
          `the reader did not take the MIFARE key (it answered ${swText(sw)})`,
        )
      }
      loaded = true
    }
    open = undefined
    const block = sector * BLOCKS_PER_SECTOR
    const { sw } = await exchange(
      transmit,
      [0xff, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, block, 0x60, 0x00],
      `authenticating sector ${sector}`,
    )
    if (sw !== 0x9000) return false
    open = sector
    return true
  }
  const authenticate = async (sector: number): Promise<void> => {
    if (!(await tryAuthenticate(sector))) {
      throw new TagError(
        'incompatible_card_format',
        `the card refused ${keyName(key)} as key A of sector ${sector}`,
      )
    }
  }
  const dataBlock = (block: number): void => {
    if (isSectorTrailer(block) || sectorOf(block) < FIRST_USER_SECTOR || block >= SECTORS * 4) {
      throw new RangeError(`block ${block} is not a data block of sectors 1 to 15`)
    }
  }
  return {
    read: async (block: number): Promise<Uint8Array> => {
      dataBlock(block)
      await authenticate(sectorOf(block))
      const data = await readBinary(transmit, block, BLOCK_SIZE, `reading block ${block}`)
      if (data.length < BLOCK_SIZE) {
        throw new TagError('encoding_interrupted', `reading block ${block}: a short answer`)
      }
      return data.subarray(0, BLOCK_SIZE)
    },
    write: async (block: number, data: Uint8Array): Promise<void> => {
      dataBlock(block)
      await authenticate(sectorOf(block))
      await updateBinary(transmit, block, data, `writing block ${block}`)
    },
    /**
     * Writes the MAD into blocks 1 and 2 unless they hold it already. Sector 0 not
     * opening with the key, or refusing a read or write (its access bits), leaves it
     * as it was; only a card gone midway fails (`encoding_interrupted`).
     */
    writeMad: async (): Promise<void> => {
      if (!(await tryAuthenticate(0))) return
      const mad = madBlocks()
      for (const [i, data] of mad.entries()) {
        const block = MAD_BLOCKS[i] ?? 1
        const current = await exchange(
          transmit,
          [0xff, 0xb0, 0x00, block, BLOCK_SIZE],
          `reading block ${block}`,
        )
        if (current.sw !== 0x9000) return
        if (Buffer.from(current.data).equals(Buffer.from(data))) continue
        const written = await exchange(
          transmit,
          [0xff, 0xd6, 0x00, block, BLOCK_SIZE, ...data],
          `writing block ${block}`,
        )
        if (written.sw !== 0x9000) return
      }
    },
  }
}

type Session = ReturnType<typeof session>

const readBlocks = async (card: Session, length: number): Promise<Uint8Array> => {
  const chunks: Uint8Array[] = []
  for (const block of userBlocks(length)) chunks.push(await card.read(block))
  return new Uint8Array(Buffer.concat(chunks).subarray(0, length))
}

/** Reads the first `length` bytes of user memory (all 720 by default). */
export const readMifareUserMemory = (
  transmit: Transmit,
  key: Uint8Array,
  length = MIFARE_CLASSIC_1K_USER_BYTES,
): Promise<Uint8Array> => readBlocks(session(transmit, key), length)

/**
 * Writes `memory` from block 4 on, block by block (sector trailers skipped), reads
 * it back, then writes the MAD if sector 0 opens with the key: a card taken away midway, or that did not keep what was sent, is
 * `encoding_interrupted`; too much memory, or a key the card refuses,
 * `incompatible_card_format`.
 */
export const writeMifareUserMemory = async (
  transmit: Transmit,
  memory: Uint8Array,
  key: Uint8Array,
): Promise<void> => {
  checkCapacity(MIFARE_CLASSIC_1K_USER_BYTES, memory)
  const card = session(transmit, key)
  const padded = padTo(memory, BLOCK_SIZE)
  const blocks = userBlocks(padded.length)
  for (const [i, block] of blocks.entries()) {
    await card.write(block, padded.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE))
  }
  checkReadBack(padded, await readBlocks(card, padded.length))
  await card.writeMad()
}
