import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runBridge } from '../../src/bridge/agent/command.js'
import { TagError, type Transmit } from '../../src/bridge/nfc/apdu.js'
import { storageCardAtr, tagTechnology } from '../../src/bridge/nfc/atr.js'
import {
  isSectorTrailer,
  MIFARE_CLASSIC_1K_USER_BYTES,
  madBlocks,
  parseMifareKey,
  readMifareUserMemory,
  sectorOf,
  userBlockOf,
  userBlocks,
  writeMifareUserMemory,
} from '../../src/bridge/nfc/mifare-classic.js'
import { TRANSPORT_KEY, VirtualMifareClassic } from '../support/virtual-mifare.js'

/** The virtual card answering in process, without PC/SC; no answer is a card gone. */
const transmitTo =
  (card: VirtualMifareClassic): Transmit =>
  async (apdu) => {
    const answer = card.respond(apdu)
    if (!answer) throw new Error('the card left the field')
    return answer
  }

const bytes = (length: number, seed = 1) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)

const tagError = (type: TagError['type'], message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof TagError, String(error))
  assert.equal(error.type, type, error.message)
  if (message) assert.match(error.message, message)
  return true
}

describe('MIFARE Classic 1K user memory', () => {
  test('is the 3 data blocks of sectors 1 to 15, in order: 720 bytes from block 4', () => {
    const blocks = userBlocks()
    assert.equal(MIFARE_CLASSIC_1K_USER_BYTES, 720)
    assert.equal(blocks.length, 45)
    assert.deepEqual(blocks.slice(0, 7), [4, 5, 6, 8, 9, 10, 12])
    assert.equal(blocks.at(-1), 62)
    assert.ok(blocks.every((block) => !isSectorTrailer(block) && sectorOf(block) >= 1))
    assert.deepEqual(
      [...new Set(blocks.map(sectorOf))],
      Array.from({ length: 15 }, (_, i) => i + 1),
    )
    assert.deepEqual(
      [...blocks].sort((a, b) => a - b),
      blocks,
    )
    assert.equal(userBlockOf(0), 4)
    assert.equal(userBlockOf(47), 6)
    assert.equal(userBlockOf(48), 8)
    assert.equal(userBlockOf(719), 62)
    assert.throws(() => userBlockOf(720), RangeError)
    assert.deepEqual(userBlocks(33), [4, 5, 6])
    assert.deepEqual(userBlocks(0), [])
  })

  test('the ATR tells a MIFARE Classic 1K from an NTAG; any other card is refused', () => {
    assert.equal(tagTechnology(storageCardAtr(0x0001)), 'mifare_classic_1k')
    assert.equal(tagTechnology(storageCardAtr(0x0003)), 'ntag')
    // MIFARE Classic 4K (00 02), and an ISO 14443-4 card's ATR.
    assert.throws(
      () => tagTechnology(storageCardAtr(0x0002)),
      tagError('incompatible_card_format', /not a card Keysmith writes/),
    )
    assert.throws(
      () => tagTechnology(Uint8Array.of(0x3b, 0x81, 0x80, 0x01, 0x80, 0x80)),
      tagError('incompatible_card_format', /not a card Keysmith writes/),
    )
  })

  test('a key is 12 hex digits', async () => {
    assert.deepEqual(
      parseMifareKey('a0a1a2a3a4a5'),
      Uint8Array.of(0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5),
    )
    assert.deepEqual(parseMifareKey('FF:FF:FF:FF:FF:FF'), TRANSPORT_KEY)
    assert.throws(() => parseMifareKey('FFFF'), /12 hex digits/)
    assert.throws(() => parseMifareKey('GGGGGGGGGGGG'), /12 hex digits/)
    // The bridge refuses a bad --mifare-key before pairing or opening a reader.
    await assert.rejects(
      runBridge({ driver: 'pcsc', mifareKey: 'FFFF', stateDir: '/nonexistent-keysmith-state' }),
      /--mifare-key: a MIFARE key is 12 hex digits/,
    )
  })

  test('the MAD1 gives sectors 1 to 15 to NDEF (AID E103), with its CRC', () => {
    const [block1, block2] = madBlocks()
    assert.equal(Buffer.from(block1).toString('hex'), `1401${'03e1'.repeat(7)}`)
    assert.equal(Buffer.from(block2).toString('hex'), '03e1'.repeat(8))
  })

  test('writes across sectors, reads back, writes the MAD, and never touches block 0 or a trailer', async () => {
    const card = new VirtualMifareClassic()
    const trailers = [3, 7, 63].map((block) => card.block(block))
    const block0 = card.block(0)
    const memory = bytes(MIFARE_CLASSIC_1K_USER_BYTES)
    await writeMifareUserMemory(transmitTo(card), memory, TRANSPORT_KEY)
    assert.deepEqual(card.userMemory, memory)
    assert.deepEqual(card.written, [...userBlocks(), 1, 2])
    assert.deepEqual(
      [3, 7, 63].map((block) => card.block(block)),
      trailers,
    )
    assert.deepEqual(card.block(0), block0)
    assert.deepEqual([card.block(1), card.block(2)], madBlocks())
    assert.deepEqual(await readMifareUserMemory(transmitTo(card), TRANSPORT_KEY), memory)
    // A shorter memory writes only the blocks it needs, and a MAD in place stays.
    card.written.length = 0
    await writeMifareUserMemory(transmitTo(card), bytes(50), TRANSPORT_KEY)
    assert.deepEqual(card.written, [4, 5, 6, 8])
  })

  test('sector 0 under another key (an NFC-formatted card) is left alone', async () => {
    const card = new VirtualMifareClassic({ madKeyA: parseMifareKey('A0A1A2A3A4A5') })
    const sector0 = card.memory.slice(0, 64)
    await writeMifareUserMemory(transmitTo(card), bytes(100), TRANSPORT_KEY)
    assert.deepEqual(card.written, userBlocks(100))
    assert.deepEqual(card.memory.slice(0, 64), sector0)
  })

  test('a configured key opens a card with that key A', async () => {
    const key = parseMifareKey('0123456789AB')
    const card = new VirtualMifareClassic({ keyA: key })
    await writeMifareUserMemory(transmitTo(card), bytes(100), key)
    assert.deepEqual(card.userMemory.subarray(0, 100), bytes(100))
  })

  test('a key the card refuses is incompatible_card_format, without showing a custom key', async () => {
    const card = new VirtualMifareClassic({ keyA: parseMifareKey('0123456789AB') })
    await assert.rejects(
      writeMifareUserMemory(transmitTo(card), bytes(10), TRANSPORT_KEY),
      tagError('incompatible_card_format', /refused the transport key FFFFFFFFFFFF .*sector 1/),
    )
    const other = parseMifareKey('A0A1A2A3A4A5')
    await assert.rejects(
      readMifareUserMemory(transmitTo(card), other),
      (error: unknown) =>
        tagError('incompatible_card_format', /refused the configured MIFARE key/)(error) &&
        !(error as Error).message.includes('A0A1A2A3A4A5'),
    )
    assert.deepEqual(card.written, [])
  })

  test('too much memory is incompatible_card_format before anything is written', async () => {
    const card = new VirtualMifareClassic()
    await assert.rejects(
      writeMifareUserMemory(transmitTo(card), bytes(721), TRANSPORT_KEY),
      tagError('incompatible_card_format', /holds 720 bytes; this credential needs 721/),
    )
    assert.deepEqual(card.written, [])
  })

  test('a card gone mid-write is encoding_interrupted', async () => {
    const card = new VirtualMifareClassic({ removeAfterWrites: 5 })
    await assert.rejects(
      writeMifareUserMemory(transmitTo(card), bytes(300), TRANSPORT_KEY),
      tagError('encoding_interrupted', /writing block 9/),
    )
  })
})
