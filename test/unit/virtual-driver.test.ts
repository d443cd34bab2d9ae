import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { CardWait } from '../../src/bridge/drivers/tag-reader.js'
import {
  addVirtualReader,
  DEFAULT_VIRTUAL_READER,
  listVirtualReaders,
  openVirtualDriver,
  placeCard,
  removeVirtualReader,
  takeCard,
} from '../../src/bridge/drivers/virtual.js'
import { encodeCard, keyIdOf, readDump, wrapNdef } from '../../src/cards/format.js'
import { verifyCardDump } from '../../src/cards/verify-command.js'
import { runReaderContract } from '../support/reader-contract.js'

const wait = (cardWaitMs = 5_000): CardWait => ({
  cardWaitMs,
  signal: new AbortController().signal,
})

const tempDir = () => mkdtemp(path.join(tmpdir(), 'keysmith-virtual-'))

runReaderContract('virtual', async () => {
  const stateDir = await tempDir()
  const driver = await openVirtualDriver({ stateDir })
  const reader = DEFAULT_VIRTUAL_READER
  return {
    driver,
    reader,
    placeBlank: async (type) => (await placeCard(stateDir, reader, { blank: true, type })).uid,
    take: async () => {
      await takeCard(stateDir, reader).catch(() => {})
    },
    close: async () => {
      await driver.close()
      await rm(stateDir, { recursive: true, force: true })
    },
  }
})

runReaderContract('virtual, MIFARE Classic 1K', async () => {
  const stateDir = await tempDir()
  const driver = await openVirtualDriver({ stateDir })
  const reader = DEFAULT_VIRTUAL_READER
  return {
    driver,
    reader,
    roomy: 'mifare_classic_1k',
    placeBlank: async (type) => (await placeCard(stateDir, reader, { blank: true, type })).uid,
    take: async () => {
      await takeCard(stateDir, reader).catch(() => {})
    },
    close: async () => {
      await driver.close()
      await rm(stateDir, { recursive: true, force: true })
    },
  }
})

describe('virtual driver', () => {
  let stateDir: string
  before(async () => {
    stateDir = await tempDir()
  })
  after(async () => {
    await rm(stateDir, { recursive: true, force: true })
  })

  test('its readers are the folders present, whatever their names', async () => {
    const names = ['Front desk', '../etc/passwd', '.', 'ACS ACR122U 00 00 (PICC)']
    const driver = await openVirtualDriver({ stateDir, readers: names })
    assert.deepEqual(driver.readers(), [...names].sort())
    // Every reader is one folder right under virtual/.
    assert.equal((await readdir(path.join(stateDir, 'virtual'))).length, names.length)
    await addVirtualReader(stateDir, 'Back office')
    assert.ok(driver.readers().includes('Back office'))
    await removeVirtualReader(stateDir, 'Front desk')
    assert.ok(!driver.readers().includes('Front desk'))
    assert.deepEqual(listVirtualReaders(stateDir), driver.readers())
    await driver.close()
  })

  test('a card put down during the wait is written, and its memory taken to a dump file', async () => {
    const driver = await openVirtualDriver({ stateDir, readers: ['Late'] })
    const memory = Uint8Array.from({ length: 30 }, (_, i) => i + 1)
    const pending = driver.write('Late', memory, wait())
    const card = await placeCard(stateDir, 'Late', { blank: true })
    const written = await pending
    assert.ok(written.ok, JSON.stringify(written))
    assert.equal(written.value.uid, card.uid)
    assert.match(card.uid, /^04[0-9A-F]{12}$/)
    const dump = path.join(stateDir, 'late.bin')
    const taken = await takeCard(stateDir, 'Late', { file: dump })
    assert.equal(taken.type, 'ntag215')
    const bytes = new Uint8Array(await readFile(dump))
    assert.equal(bytes.length, 504)
    assert.deepEqual(bytes.subarray(0, memory.length), memory)
    await assert.rejects(takeCard(stateDir, 'Late'), /no card/)
    await driver.close()
  })

  test('a signed card written on a virtual reader and taken to a dump opens its door with cards verify', async () => {
    const driver = await openVirtualDriver({ stateDir, readers: ['Verify'] })
    const keys = generateKeyPairSync('ed25519')
    const memory = wrapNdef(
      encodeCard(
        {
          keyId: keyIdOf(keys.publicKey),
          acsCredentialId: '0d6c6f3e-7a6b-4c59-9e0a-2f4b8d1c3a55',
          issueNumber: 1,
          validFrom: new Date('2031-07-01T15:00:00Z'),
          validUntil: new Date('2031-07-03T11:00:00Z'),
          entrances: [101, 7],
          staff: false,
          override: false,
        },
        keys.privateKey,
      ),
    )
    await placeCard(stateDir, 'Verify', { blank: true, type: 'ntag213' })
    const written = await driver.write('Verify', memory, wait())
    assert.ok(written.ok, JSON.stringify(written))
    const dump = path.join(stateDir, 'verify.bin')
    await takeCard(stateDir, 'Verify', { file: dump })
    const publicKeyFile = path.join(stateDir, 'key.pem')
    await writeFile(publicKeyFile, keys.publicKey.export({ format: 'pem', type: 'spki' }))
    const verdict = verifyCardDump({
      publicKeyFile,
      entrance: '101',
      at: '2031-07-02T09:00:00Z',
      dumpFile: dump,
    })
    assert.equal(verdict.exitCode, 0, verdict.text)
    await driver.close()
  })

  test('a card placed from a hex dump reads back as that dump', async () => {
    const driver = await openVirtualDriver({ stateDir, readers: ['Dumps'] })
    const dump = path.join(stateDir, 'card.hex')
    await writeFile(dump, '03 0A D1 01 06 54 02 65 6E 68 69 FE\n')
    const card = await placeCard(stateDir, 'Dumps', { file: dump })
    const read = await driver.read('Dumps', wait())
    assert.ok(read.ok)
    assert.equal(read.value.uid, card.uid)
    const expected = readDump(await readFile(dump))
    assert.deepEqual(read.value.memory.subarray(0, expected.length), expected)
    await takeCard(stateDir, 'Dumps')
    // A dump too big for an NTAG216 goes on no card.
    await writeFile(dump, Buffer.alloc(900, 1))
    await assert.rejects(placeCard(stateDir, 'Dumps', { file: dump }), /900 bytes/)
    await assert.rejects(placeCard(stateDir, 'Nowhere', { blank: true }), /no virtual reader/)
    await driver.close()
  })

  test('an NTAG216 holds more than an NTAG215; a MIFARE Classic 1K holds 720 bytes; a DESFire is no card to write', async () => {
    const driver = await openVirtualDriver({ stateDir, readers: ['Types'] })
    const big = new Uint8Array(800).fill(7)
    await placeCard(stateDir, 'Types', { blank: true, type: 'ntag215' })
    const on215 = await driver.write('Types', big, wait())
    assert.equal(on215.ok ? 'ok' : on215.error.type, 'incompatible_card_format')
    await placeCard(stateDir, 'Types', { blank: true, type: 'ntag216' })
    const on216 = await driver.write('Types', big, wait())
    assert.ok(on216.ok, JSON.stringify(on216))

    const classic = await placeCard(stateDir, 'Types', { blank: true, type: 'mifare_classic_1k' })
    assert.match(classic.uid, /^[0-9A-F]{8}$/)
    const tooBig = await driver.write('Types', new Uint8Array(721).fill(1), wait())
    assert.equal(tooBig.ok ? 'ok' : tooBig.error.type, 'incompatible_card_format')
    const full = new Uint8Array(720).fill(9)
    const onClassic = await driver.write('Types', full, wait())
    assert.ok(onClassic.ok, JSON.stringify(onClassic))
    assert.equal(onClassic.value.uid, classic.uid)
    const read = await driver.read('Types', wait())
    assert.ok(read.ok, JSON.stringify(read))
    assert.deepEqual(read.value.memory, full)

    await placeCard(stateDir, 'Types', { blank: true, type: 'mifare_desfire' })
    const desfire = await driver.write('Types', Uint8Array.of(1, 2, 3), wait())
    assert.equal(desfire.ok ? 'ok' : desfire.error.type, 'incompatible_card_format')
    const readDesfire = await driver.read('Types', wait())
    assert.equal(readDesfire.ok ? 'ok' : readDesfire.error.type, 'incompatible_card_format')
    await driver.close()
  })

  test('a card taken away during the write is encoding_interrupted', async () => {
    const driver = await openVirtualDriver({
      stateDir,
      readers: ['Shaky'],
      beforeReadback: async (reader) => {
        await takeCard(stateDir, reader)
      },
    })
    await placeCard(stateDir, 'Shaky', { blank: true })
    const result = await driver.write('Shaky', Uint8Array.of(1, 2, 3, 4), wait())
    assert.equal(result.ok ? 'ok' : result.error.type, 'encoding_interrupted')
    await driver.close()
  })

  test('a card swapped for another during the write is encoding_interrupted', async () => {
    const driver = await openVirtualDriver({
      stateDir,
      readers: ['Swap'],
      beforeReadback: async (reader) => {
        await placeCard(stateDir, reader, { blank: true })
      },
    })
    await placeCard(stateDir, 'Swap', { blank: true })
    const result = await driver.write('Swap', Uint8Array.of(1, 2, 3, 4), wait())
    assert.equal(result.ok ? 'ok' : result.error.type, 'encoding_interrupted')
    await driver.close()
  })

  test('a reader removed while a write waits is encoder_not_online', async () => {
    const driver = await openVirtualDriver({ stateDir, readers: ['Unplugged'] })
    const pending = driver.write('Unplugged', Uint8Array.of(1), wait())
    await removeVirtualReader(stateDir, 'Unplugged')
    const result = await pending
    assert.equal(result.ok ? 'ok' : result.error.type, 'encoder_not_online')
    await driver.close()
  })
})
