import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { after, afterEach, before, describe, test } from 'node:test'
import { openPcscDriver } from '../../src/bridge/drivers/pcsc.js'
import type { CardWait, TagReaderDriver } from '../../src/bridge/drivers/tag-reader.js'
import { decide, encodeCard, keyIdOf, unwrapNdef, wrapNdef } from '../../src/cards/format.js'
import { eventually } from '../support/poll.js'
import { runReaderContract } from '../support/reader-contract.js'
import { VirtualNtag } from '../support/virtual-ntag.js'

/**
 * The PC/SC driver against real PC/SC: Debian's pcscd with vsmartcard's virtual
 * reader (vpcd), and a virtual NTAG in this process that vpcd talks to over TCP.
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

describe('PC/SC driver with a virtual NTAG on vpcd', { timeout: 120_000 }, () => {
  if (!available) {
    test('pcscd is running', {
      skip: !required && `no pcscd at ${socket} (.ci/run starts one)`,
    }, () => {
      assert.fail(`pcscd is not running (${socket} is missing); .ci/run installs and starts it`)
    })
    return
  }
  let driver: TagReaderDriver
  const cards: VirtualNtag[] = []
  before(async () => {
    driver = await openPcscDriver()
    await eventually(async () => (driver.readers().includes(reader) ? true : undefined), {
      what: `the reader "${reader}"`,
    })
  })
  after(async () => {
    await driver.close()
  })
  afterEach(async () => {
    // Whatever a test did, the next one starts with an empty reader.
    for (const card of cards.splice(0)) await card.take()
  })
  const put = async (card: VirtualNtag) => {
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
    const written = await driver.write(reader, memory, wait())
    assert.ok(written.ok, JSON.stringify(written))
    assert.equal(written.value.uid, ntag.uidHex)
    assert.deepEqual(ntag.userMemory.subarray(0, memory.length), memory)

    const read = await driver.read(reader, wait())
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

  runReaderContract('PC/SC with a virtual NTAG on vpcd', async () => {
    let card: VirtualNtag | undefined
    return {
      driver,
      reader,
      placeBlank: async (type) => {
        card = new VirtualNtag(type === 'ntag213' ? { ccSize: 0x12 } : {})
        await card.place()
        return card.uidHex
      },
      take: async () => {
        await card?.take()
        card = undefined
        // Until pcscd has seen the card go, the reader still looks occupied.
        await eventually(
          async () => {
            const result = await driver.read(reader, wait(0))
            return !result.ok && result.error.type === 'no_credential_on_encoder' ? true : undefined
          },
          { what: 'the reader to be empty' },
        )
      },
      // The driver is the one the tests above use; their after() closes it.
      close: async () => {},
    }
  })
})
