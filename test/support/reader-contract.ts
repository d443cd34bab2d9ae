import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import type { CardWait, TagReaderDriver } from '../../src/bridge/drivers/tag-reader.js'

/**
 * What every `TagReaderDriver` must do, whatever its readers are: list them, write
 * memory onto a card and read the same bytes back under a stable UID, report a
 * missing card, a too-small card and an unknown reader with the right error type,
 * and stop waiting for a card promptly when its signal fires.
 *
 * `runReaderContract` takes a rig: the driver under test with one reader attached,
 * and a way to put a blank card of a type on that reader and take it off (virtual
 * files, an emulated NTAG or MIFARE Classic on vpcd, or a person with a stack of
 * cards). The card written and read back is an NTAG215 unless the rig names
 * another roomy type; the too-small card is always an NTAG213.
 */
export type ContractTagType = 'ntag213' | 'ntag215' | 'mifare_classic_1k'

export interface ReaderContractRig {
  driver: TagReaderDriver
  /** A reader the driver has attached, with no card on it. */
  reader: string
  /** Puts a blank card of `type` on `reader`; resolves with its UID (upper-case hex). */
  placeBlank(type: ContractTagType): Promise<string>
  /** The card that holds what the contract writes (more than 144 bytes); ntag215 when absent. */
  roomy?: 'ntag215' | 'mifare_classic_1k'
  /** Takes the card off `reader`, if there is one. */
  take(): Promise<void>
  close(): Promise<void>
}

/** Longest a wait may go on once its signal has fired. */
const promptlyMs = 1_000

const wait = (cardWaitMs = 5_000, signal = new AbortController().signal): CardWait => ({
  cardWaitMs,
  signal,
})

/** 200 bytes: more than an NTAG213 holds (144), less than an NTAG215 (496) or a MIFARE Classic 1K (720). */
const tooBigForNtag213 = (): Uint8Array =>
  Uint8Array.from({ length: 200 }, (_, i) => (i * 7 + 3) & 0xff)

export const runReaderContract = (name: string, open: () => Promise<ReaderContractRig>): void => {
  describe(`tag reader contract: ${name}`, () => {
    let rig: ReaderContractRig
    before(async () => {
      rig = await open()
    })
    after(async () => {
      await rig.close()
    })
    afterEach(async () => {
      await rig.take()
    })

    test('lists the attached reader', () => {
      assert.ok(rig.driver.readers().includes(rig.reader), JSON.stringify(rig.driver.readers()))
    })

    test('no card: no_credential_on_encoder once cardWaitMs is over', async () => {
      const started = Date.now()
      const result = await rig.driver.write(rig.reader, Uint8Array.of(1, 2, 3, 4), wait(300))
      const elapsed = Date.now() - started
      assert.equal(result.ok, false)
      if (!result.ok) assert.equal(result.error.type, 'no_credential_on_encoder')
      assert.ok(elapsed >= 250, `gave up after ${elapsed} ms`)
      assert.ok(elapsed < 300 + promptlyMs, `gave up after ${elapsed} ms`)
    })

    test('a reader that is not attached is encoder_not_online', async () => {
      const written = await rig.driver.write('No Such Reader 00 00', Uint8Array.of(1), wait(100))
      assert.equal(written.ok, false)
      if (!written.ok) assert.equal(written.error.type, 'encoder_not_online')
      const read = await rig.driver.read('No Such Reader 00 00', wait(100))
      assert.equal(read.ok, false)
      if (!read.ok) assert.equal(read.error.type, 'encoder_not_online')
    })

    test('a fired signal stops a wait for a card promptly', async () => {
      const controller = new AbortController()
      const reason = new Error('cancelled by the test')
      const started = Date.now()
      const pending = rig.driver.read(rig.reader, wait(30_000, controller.signal))
      setTimeout(() => controller.abort(reason), 50)
      await assert.rejects(pending, (error) => error === reason)
      const elapsed = Date.now() - started
      assert.ok(elapsed < 50 + promptlyMs, `stopped after ${elapsed} ms`)
      // A signal that fired already stops the operation before it waits.
      await assert.rejects(
        rig.driver.write(rig.reader, Uint8Array.of(1), wait(30_000, AbortSignal.abort(reason))),
        (error) => error === reason,
      )
    })

    test('writes memory, then reads it back under the same UID', async () => {
      const uid = await rig.placeBlank(rig.roomy ?? 'ntag215')
      const memory = Uint8Array.from({ length: 60 }, (_, i) => (i * 13 + 1) & 0xff)
      const written = await rig.driver.write(rig.reader, memory, wait())
      assert.ok(written.ok, JSON.stringify(written))
      assert.equal(written.value.uid, uid)
      // 4 bytes on a MIFARE Classic, 7 on an NTAG.
      assert.match(
        written.value.uid,
        rig.roomy === 'mifare_classic_1k' ? /^[0-9A-F]{8}$/ : /^[0-9A-F]{14}$/,
      )
      const read = await rig.driver.read(rig.reader, wait())
      assert.ok(read.ok, JSON.stringify(read))
      assert.equal(read.value.uid, uid)
      assert.ok(read.value.memory.length >= memory.length)
      assert.deepEqual(read.value.memory.subarray(0, memory.length), memory)
    })

    test('a card too small for the memory is incompatible_card_format', async () => {
      await rig.placeBlank('ntag213')
      const result = await rig.driver.write(rig.reader, tooBigForNtag213(), wait())
      assert.equal(result.ok, false)
      if (!result.ok) assert.equal(result.error.type, 'incompatible_card_format')
      await rig.take()
      // The same memory fits the roomy card.
      await rig.placeBlank(rig.roomy ?? 'ntag215')
      const fits = await rig.driver.write(rig.reader, tooBigForNtag213(), wait())
      assert.ok(fits.ok, JSON.stringify(fits))
    })
  })
}
