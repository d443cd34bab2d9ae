import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type {
  CardState,
  CredentialImage,
  EncodeRequest,
  EncoderDriver,
  EncoderTarget,
  KnownCard,
  ScanRequest,
} from '../../src/providers/types.js'

/**
 * What every encoder driver must do, whatever its access system: write a credential
 * onto a blank card, rewrite a credential's own card (a reissue), read back what it
 * wrote, report a missing card as `no_credential_on_encoder`, and stop promptly when
 * its signal fires (the worker's timeout, a shutdown, a lost lease).
 *
 * `runDriverContract` takes a driver factory and a way to place cards on the encoder
 * and take them off: the sandbox's are virtual (the card is what the server passes as
 * `cardOnEncoder`); a hardware driver's rig moves real or emulated cards.
 */
export interface DriverContractSubject {
  /** A driver; a `slow` one takes long enough per operation (seconds) to be cut off. */
  createDriver(options: { slow: boolean }): EncoderDriver
  /** A new blank card, as the server would store it. */
  blankCard(): KnownCard
  /** Lays `card` on the encoder. */
  placeCard(card: KnownCard): Promise<void> | void
  /** Takes the card on the encoder off it, if any. */
  takeCard(): Promise<void> | void
  /** A credential of the driver's access system, as the provider's `cardImage` makes it. */
  credential(): CredentialImage
  /** The same credential changed, as a reissue after new times would write it. */
  changed(credential: CredentialImage): CredentialImage
  /** The encoder the driver works on; by default one with no bridge and no secret. */
  target?(): EncoderTarget
}

/** An encoder of no bridge whose system has no secret: what sandbox drivers get. */
export const plainTarget = (): EncoderTarget => ({
  attemptId: '00000000-0000-4000-8000-00000000000a',
  acsEncoderId: '00000000-0000-4000-8000-00000000000b',
  bridge: null,
  systemData: {},
  secret: null,
})

/** Longest a call may go on once its signal has fired. */
const promptlyMs = 1_000

export const runDriverContract = (name: string, subject: DriverContractSubject): void => {
  describe(`encoder driver contract: ${name}`, () => {
    const now = new Date('2025-07-14T12:00:00.000Z')
    let onEncoder: KnownCard | null = null
    const place = async (card: KnownCard) => {
      await subject.placeCard(card)
      onEncoder = card
    }
    const take = async () => {
      await subject.takeCard()
      onEncoder = null
    }
    const encodeRequest = (overrides: Partial<EncodeRequest> = {}): EncodeRequest => ({
      cardOnEncoder: onEncoder,
      cardOfCredential: null,
      credential: subject.credential(),
      externalCardId: '7',
      numberOfIssuedCards: 1,
      simulation: null,
      target: subject.target?.() ?? plainTarget(),
      now,
      ...overrides,
    })
    const scanRequest = (overrides: Partial<ScanRequest> = {}): ScanRequest => ({
      cardOnEncoder: onEncoder,
      simulation: null,
      simulatedCredential: null,
      simulatedCard: null,
      target: subject.target?.() ?? plainTarget(),
      now,
      ...overrides,
    })
    const signal = () => new AbortController().signal
    /** What was written, as a card the server stores once the result is applied. */
    const stored = (card: CardState & { acs_card_id?: string }, id: string): KnownCard => ({
      ...card,
      acs_card_id: card.acs_card_id ?? id,
    })

    test('declares a finite timeout and whether each operation may run again', () => {
      const driver = subject.createDriver({ slow: false })
      assert.ok(Number.isFinite(driver.timeoutMs) && driver.timeoutMs > 0)
      assert.equal(typeof driver.canRetry('encode'), 'boolean')
      assert.equal(typeof driver.canRetry('scan'), 'boolean')
    })

    test('encodes a credential onto the blank card on the encoder', async () => {
      const driver = subject.createDriver({ slow: false })
      const blank = subject.blankCard()
      await place(blank)
      const credential = subject.credential()
      const result = await driver.encode(encodeRequest({ credential }), signal())
      assert.ok(result.ok, 'the encoding succeeds')
      assert.equal(result.card.card_number, blank.card_number, 'onto the card lying there')
      assert.equal(result.card.contents?.acs_credential_id, credential.acs_credential_id)
    })

    test('reissues a credential onto its own card', async () => {
      const driver = subject.createDriver({ slow: false })
      await place(subject.blankCard())
      const credential = subject.credential()
      const first = await driver.encode(encodeRequest({ credential }), signal())
      assert.ok(first.ok)
      const own = stored(first.card, 'own-card')
      await place(own)
      const changed = subject.changed(credential)
      const again = await driver.encode(
        encodeRequest({ credential: changed, cardOfCredential: own, numberOfIssuedCards: 2 }),
        signal(),
      )
      assert.ok(again.ok, 'the reissue succeeds')
      assert.equal(again.card.card_number, own.card_number, 'the same card is rewritten')
      assert.equal(again.card.acs_card_id, own.acs_card_id)
      assert.equal(again.card.contents?.acs_credential_id, credential.acs_credential_id)
      assert.notDeepEqual(again.card.contents, first.card.contents, 'with the new version')
    })

    test('scans back what it wrote', async () => {
      const driver = subject.createDriver({ slow: false })
      await place(subject.blankCard())
      const written = await driver.encode(encodeRequest(), signal())
      assert.ok(written.ok)
      await place(stored(written.card, 'written-card'))
      const scanned = await driver.scan(scanRequest(), signal())
      assert.ok(scanned.ok, 'the scan succeeds')
      assert.equal(scanned.card.card_number, written.card.card_number)
      assert.deepEqual(scanned.card.contents, written.card.contents)
    })

    test('scans a blank card as blank', async () => {
      const driver = subject.createDriver({ slow: false })
      const blank = subject.blankCard()
      await place(blank)
      const scanned = await driver.scan(scanRequest(), signal())
      assert.ok(scanned.ok)
      assert.equal(scanned.card.card_number, blank.card_number)
      assert.equal(scanned.card.contents, null)
    })

    test('with no card on the encoder, encoding and scanning fail as no_credential_on_encoder', async () => {
      const driver = subject.createDriver({ slow: false })
      await take()
      const encoded = await driver.encode(encodeRequest(), signal())
      assert.ok(!encoded.ok)
      assert.equal(encoded.error.type, 'no_credential_on_encoder')
      assert.ok(encoded.error.message.length > 0)
      const scanned = await driver.scan(scanRequest(), signal())
      assert.ok(!scanned.ok)
      assert.equal(scanned.error.type, 'no_credential_on_encoder')
    })

    /** The call rejects, soon after its signal fires. */
    const endsPromptly = async (call: Promise<unknown>, firedAt: () => number) => {
      await assert.rejects(call)
      assert.ok(
        performance.now() - firedAt() < promptlyMs,
        `ended ${Math.round(performance.now() - firedAt())} ms after its signal fired`,
      )
    }

    test('a call whose signal times out ends promptly', async () => {
      const driver = subject.createDriver({ slow: true })
      await place(subject.blankCard())
      const timeoutMs = 50
      const started = performance.now()
      await endsPromptly(
        driver.encode(encodeRequest(), AbortSignal.timeout(timeoutMs)),
        () => started + timeoutMs,
      )
      const scanStarted = performance.now()
      await endsPromptly(
        driver.scan(scanRequest(), AbortSignal.timeout(timeoutMs)),
        () => scanStarted + timeoutMs,
      )
    })

    test('an aborted call ends promptly, and one aborted before it starts does not run', async () => {
      const driver = subject.createDriver({ slow: true })
      await place(subject.blankCard())
      const controller = new AbortController()
      const call = driver.encode(encodeRequest(), controller.signal)
      await new Promise((resolve) => setTimeout(resolve, 20))
      const abortedAt = performance.now()
      controller.abort()
      await endsPromptly(call, () => abortedAt)

      const before = performance.now()
      await endsPromptly(driver.scan(scanRequest(), AbortSignal.abort()), () => before)
    })
  })
}
