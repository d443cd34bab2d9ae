import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { after, afterEach, before, describe, test } from 'node:test'
import { openPcscDriver } from '../../src/bridge/drivers/pcsc.js'
import type {
  CardWait,
  ReaderResult,
  TagReaderDriver,
} from '../../src/bridge/drivers/tag-reader.js'
import { storageCardAtr } from '../../src/bridge/nfc/atr.js'
import { madBlocks, parseMifareKey } from '../../src/bridge/nfc/mifare-classic.js'
import {
  cardSize,
  decide,
  encodeCard,
  keyIdOf,
  unwrapNdef,
  wrapNdef,
  wrappedSize,
} from '../../src/cards/format.js'
import { eventually } from '../support/poll.js'
import { type ReaderContractRig, runReaderContract } from '../support/reader-contract.js'
import { VirtualMifareClassic } from '../support/virtual-mifare.js'
import { VirtualNtag } from '../support/virtual-ntag.js'
import { status, VpcdCard } from '../support/vpcd-card.js'

/**
 * The PC/SC driver against real PC/SC: Debian's pcscd with vsmartcard's virtual
 * reader (vpcd), and a virtual NTAG or MIFARE Classic 1K in this process that vpcd
 * talks to over TCP.
 * `.ci/run` installs both and starts pcscd, and sets KEYSMITH_REQUIRE_PCSC=1 so a
 * missing daemon fails the run instead of skipping it.
 */

const socket = '/run/pcscd/pcscd.comm'
const reader = 'Virtual PCD 00 00'
const available = existsSync(socket)
const required = process.env.KEYSMITH_REQUIRE_PCSC === '1'
const keys = generateKeyPairSync('ed25519')

const wait = (cardWaitMs = 5_000): CardWait => ({
  cardWaitMs,
  signal: new AbortController().signal,
})

const keysmithCard = (entrances: number[]) =>
  wrapNdef(
    encodeCard(
      {
        keyId: keyIdOf(keys.publicKey),
        acsCredentialId: '0d6c6f3e-7a6b-4c59-9e0a-2f4b8d1c3a55',
        issueNumber: 1,
        validFrom: new Date('2031-07-01T15:00:00Z'),
        validUntil: new Date('2031-07-03T11:00:00Z'),
        entrances,
        staff: false,
        override: false,
      },
      keys.privateKey,
    ),
  )

/** A MIFARE Classic 4K (PC/SC card name 00 02): a storage card Keysmith does not write. */
class VirtualClassic4k extends VpcdCard {
  readonly atr = storageCardAtr(0x0002)
  readonly uid = Uint8Array.of(0x11, 0x22, 0x33, 0x44)
  respond(apdu: Uint8Array): Uint8Array {
    return apdu[1] === 0xca ? Uint8Array.of(...this.uid, 0x90, 0x00) : status(0x6d, 0x00)
  }
}

const waitForReader = (driver: TagReaderDriver) =>
  eventually(async () => (driver.readers().includes(reader) ? true : undefined), {
    what: `the reader "${reader}"`,
  })

/**
 * Until pcscd has seen a card go, the reader still looks occupied, and a card put
 * down before that would be taken for the one before (its ATR among others): on
 * vpcd a swap can be quicker than pcscd's polling, where a hand never is.
 */
const readerEmpty = (driver: TagReaderDriver) =>
  eventually(
    async () => {
      const result = await driver.read(reader, wait(0))
      return !result.ok && result.error.type === 'no_credential_on_encoder' ? true : undefined
    },
    { what: 'the reader to be empty' },
  )

/**
 * vpcd answers pcscd's presence polls on the same connection as APDUs, and now and
 * then a poll's answer is taken for an APDU's: the exchange slips by one and the
 * virtual card seems to answer 6E00 (a class it does not know: the driver only sends
 * class FF) or to refuse the transport key it accepts. No real reader does this. For
 * the tests of what a working card does, an operation that failed so is run again
 * (at most three times in all); any other failure is reported as it is.
 */
const vpcdSlip = /the card answered 6E00|refused the transport key FFFFFFFFFFFF/
const again = async <T>(operation: () => Promise<ReaderResult<T>>): Promise<ReaderResult<T>> => {
  let result = await operation()
  for (let tries = 1; tries < 3 && !result.ok && vpcdSlip.test(result.error.message); tries++) {
    result = await operation()
  }
  return result
}
const overVpcdSlips = (driver: TagReaderDriver): TagReaderDriver => ({
  readers: () => driver.readers(),
  write: (name, memory, cardWait) => again(() => driver.write(name, memory, cardWait)),
  read: (name, cardWait) => again(() => driver.read(name, cardWait)),
  close: () => driver.close(),
})

describe('PC/SC driver with a virtual NTAG or MIFARE Classic on vpcd', { timeout: 180_000 }, () => {
  if (!available) {
    test('pcscd is running', {
      skip: !required && `no pcscd at ${socket} (.ci/run starts one)`,
    }, () => {
      assert.fail(`pcscd is not running (${socket} is missing); .ci/run installs and starts it`)
    })
    return
  }
  let driver: TagReaderDriver
  const cards: VpcdCard[] = []
  before(async () => {
    driver = await openPcscDriver()
    await waitForReader(driver)
  })
  after(async () => {
    await driver.close()
  })
  afterEach(async () => {
    // Whatever a test did, the next one starts with an empty reader.
    for (const card of cards.splice(0)) await card.take()
    await readerEmpty(driver)
  })
  const put = async <Card extends VpcdCard>(card: Card): Promise<Card> => {
    cards.push(card)
    await card.place()
    return card
  }

  test('no card on the reader: no_credential_on_encoder once the wait is over', async () => {
    const result = await driver.read(reader, wait(300))
    assert.equal(result.ok, false)
    if (!result.ok) assert.equal(result.error.type, 'no_credential_on_encoder')
  })

  test('writes a signed card onto an NTAG215, reads it back, and a lock opens with it', async () => {
    const ntag = await put(new VirtualNtag())
    const memory = keysmithCard([101, 102, 7])
    const written = await overVpcdSlips(driver).write(reader, memory, wait())
    assert.ok(written.ok, JSON.stringify(written))
    assert.equal(written.value.uid, ntag.uidHex)
    assert.deepEqual(ntag.userMemory.subarray(0, memory.length), memory)

    const read = await overVpcdSlips(driver).read(reader, wait())
    assert.ok(read.ok, JSON.stringify(read))
    assert.equal(read.value.uid, ntag.uidHex)
    assert.equal(read.value.memory.length, 496)
    assert.ok(unwrapNdef(read.value.memory))
    assert.equal(
      decide(read.value.memory, keys.publicKey, 102, new Date('2031-07-02T09:00:00Z')).open,
      true,
    )
    await ntag.take()
  })

  test('a card too small for the credential is incompatible_card_format, and is left as it was', async () => {
    const ntag213 = await put(new VirtualNtag({ ccSize: 0x12 }))
    const before = ntag213.userMemory
    const result = await driver.write(
      reader,
      keysmithCard(Array.from({ length: 40 }, (_, i) => i)),
      wait(),
    )
    assert.equal(result.ok, false)
    if (!result.ok)
      assert.equal(result.error.type, 'incompatible_card_format', result.error.message)
    assert.deepEqual(ntag213.userMemory, before)
    // 16 entrances fit.
    const fits = await driver.write(
      reader,
      keysmithCard(Array.from({ length: 16 }, (_, i) => i)),
      wait(),
    )
    assert.ok(fits.ok, JSON.stringify(fits))
    await ntag213.take()
  })

  test('a card taken away mid-write is encoding_interrupted', async () => {
    await put(new VirtualNtag({ removeAfterWrites: 3 }))
    const result = await driver.write(reader, keysmithCard([1, 2, 3]), wait())
    assert.equal(result.ok, false)
    if (!result.ok) assert.equal(result.error.type, 'encoding_interrupted')
  })

  test('a reader that is not attached is encoder_not_online', async () => {
    const result = await driver.read('No Such Reader 00 00', wait(100))
    assert.equal(result.ok, false)
    if (!result.ok) assert.equal(result.error.type, 'encoder_not_online')
  })

  test('writes a signed card of 255 entrances onto a MIFARE Classic 1K, reads it back, and a lock opens with it', async () => {
    const classic = await put(new VirtualMifareClassic())
    const trailer = classic.block(7)
    const memory = keysmithCard(Array.from({ length: 255 }, (_, i) => 1000 + i))
    assert.ok(memory.length > 496, `${memory.length} bytes: more than an NTAG215 holds`)
    const written = await overVpcdSlips(driver).write(reader, memory, wait())
    assert.ok(written.ok, JSON.stringify(written))
    assert.equal(written.value.uid, classic.uidHex)
    assert.match(written.value.uid, /^[0-9A-F]{8}$/)
    assert.deepEqual(classic.userMemory.subarray(0, memory.length), memory)
    // Block 0 and the trailers are left alone; blocks 1 and 2 get the MAD.
    assert.ok(classic.written.every((block) => block !== 0 && block % 4 !== 3))
    assert.deepEqual(classic.block(7), trailer)
    assert.deepEqual([classic.block(1), classic.block(2)], madBlocks())

    const read = await overVpcdSlips(driver).read(reader, wait())
    assert.ok(read.ok, JSON.stringify(read))
    assert.equal(read.value.uid, classic.uidHex)
    assert.equal(read.value.memory.length, 720)
    assert.deepEqual(read.value.memory, classic.userMemory)
    const at = new Date('2031-07-02T09:00:00Z')
    assert.equal(decide(read.value.memory, keys.publicKey, 1200, at).open, true)
    assert.equal(decide(read.value.memory, keys.publicKey, 999, at).open, false)
  })

  test('a MIFARE Classic 1K holds 720 bytes: 301 entrances-worth fit, 302 are incompatible_card_format', async () => {
    // encodeCard stops at 255 entrances; these are the bytes such cards would take.
    assert.equal(wrappedSize(301), 719)
    assert.equal(wrappedSize(302), 721)
    const classic = await put(new VirtualMifareClassic())
    const tooBig = await driver.write(reader, wrapNdef(new Uint8Array(cardSize(302))), wait())
    assert.equal(tooBig.ok, false)
    if (!tooBig.ok) {
      assert.equal(tooBig.error.type, 'incompatible_card_format', tooBig.error.message)
      assert.match(tooBig.error.message, /holds 720 bytes/)
    }
    assert.deepEqual(classic.written, [])
    const fits = await driver.write(reader, wrapNdef(new Uint8Array(cardSize(301))), wait())
    assert.ok(fits.ok, JSON.stringify(fits))
  })

  test('a MIFARE key the card refuses is incompatible_card_format naming the key; the configured key opens it', async () => {
    const key = parseMifareKey('0123456789AB')
    const classic = await put(new VirtualMifareClassic({ keyA: key }))
    const refused = await driver.write(reader, keysmithCard([1, 2]), wait())
    assert.equal(refused.ok, false)
    if (!refused.ok) {
      assert.equal(refused.error.type, 'incompatible_card_format', refused.error.message)
      assert.match(
        refused.error.message,
        /refused the transport key FFFFFFFFFFFF as key A of sector 1/,
      )
    }
    assert.deepEqual(classic.written, [])

    const keyed = await openPcscDriver({ mifareKey: key })
    try {
      await waitForReader(keyed)
      const memory = keysmithCard([1, 2])
      const written = await keyed.write(reader, memory, wait())
      assert.ok(written.ok, JSON.stringify(written))
      assert.deepEqual(classic.userMemory.subarray(0, memory.length), memory)
      // A card with the transport key refuses the configured one, which is not shown.
      await classic.take()
      await readerEmpty(keyed)
      await put(new VirtualMifareClassic())
      const other = await eventually(
        async () => {
          const result = await keyed.read(reader, wait())
          return !result.ok && result.error.type === 'incompatible_card_format' ? result : undefined
        },
        { what: 'the card with the transport key to be refused' },
      )
      assert.match(other.error.message, /refused the configured MIFARE key \(--mifare-key\)/)
      assert.ok(!other.error.message.includes('0123456789AB'), other.error.message)
    } finally {
      await keyed.close()
    }
  })

  test('a MIFARE Classic taken away mid-write is encoding_interrupted', async () => {
    await put(new VirtualMifareClassic({ removeAfterWrites: 5 }))
    const result = await driver.write(reader, keysmithCard([1, 2, 3, 4, 5, 6, 7, 8]), wait())
    assert.equal(result.ok, false)
    if (!result.ok) assert.equal(result.error.type, 'encoding_interrupted', result.error.message)
  })

  test('a storage card of another kind is incompatible_card_format: not a card Keysmith writes', async () => {
    await put(new VirtualClassic4k())
    for (const result of [
      await driver.write(reader, keysmithCard([1]), wait()),
      await driver.read(reader, wait()),
    ]) {
      assert.equal(result.ok, false)
      if (!result.ok) {
        assert.equal(result.error.type, 'incompatible_card_format', result.error.message)
        assert.match(result.error.message, /not a card Keysmith writes/)
      }
    }
  })

  const contractRig = (roomy?: 'mifare_classic_1k') => async (): Promise<ReaderContractRig> => {
    let card: VpcdCard | undefined
    return {
      driver: overVpcdSlips(driver),
      reader,
      ...(roomy ? { roomy } : {}),
      placeBlank: async (type) => {
        card =
          type === 'mifare_classic_1k'
            ? new VirtualMifareClassic()
            : new VirtualNtag(type === 'ntag213' ? { ccSize: 0x12 } : {})
        await card.place()
        return card.uidHex
      },
      take: async () => {
        await card?.take()
        card = undefined
        await readerEmpty(driver)
      },
      // The driver is the one the tests above use; their after() closes it.
      close: async () => {},
    }
  }
  runReaderContract('PC/SC with a virtual NTAG on vpcd', contractRig())
  runReaderContract(
    'PC/SC with a virtual MIFARE Classic 1K on vpcd',
    contractRig('mifare_classic_1k'),
  )
})
