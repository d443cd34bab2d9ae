import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { generateTagNumber } from '../../src/providers/salto-ks/index.js'
import { createSandboxTagReader } from '../../src/providers/salto-ks/sandbox-tag-reader.js'
import type { KnownCard, ScanRequest } from '../../src/providers/types.js'
import { plainTarget } from '../support/driver-contract.js'

/**
 * The Salto KS sandbox encoder reads tags and never writes them; it is not an encoder
 * of the driver contract (which writes cards), so its own rules are checked here.
 */

const now = new Date('2025-07-14T12:00:00.000Z')
const scanOf = (cardOnEncoder: KnownCard | null, simulation: ScanRequest['simulation'] = null) => ({
  cardOnEncoder,
  simulation,
  simulatedCredential: null,
  simulatedCard: null,
  target: plainTarget(),
  now,
})
const tag: KnownCard = {
  acs_card_id: randomUUID(),
  card_number: '04A1B2C3D4E500',
  card_format: 'mifare_desfire',
  contents: null,
}

test('reads the tag lying on it, or a fresh tag once the last one was taken', async () => {
  let issued = 0
  const reader = createSandboxTagReader({
    delayMs: 0,
    newTagNumber: () => `04FFFFFFFFFF0${++issued}`,
  })
  const signal = new AbortController().signal
  assert.deepEqual(await reader.scan(scanOf(tag), signal), {
    ok: true,
    card: { ...tag, contents: null },
  })
  const fresh = await reader.scan(scanOf(null), signal)
  assert.ok(fresh.ok)
  assert.equal(fresh.card.card_number, '04FFFFFFFFFF01')
  const next = await reader.scan(scanOf(null), signal)
  assert.ok(next.ok)
  assert.equal(next.card.card_number, '04FFFFFFFFFF02')
})

test('tag numbers look like Salto KS reports them: a 7-byte UID in hex', () => {
  const numbers = new Set(Array.from({ length: 50 }, generateTagNumber))
  assert.equal(numbers.size, 50)
  for (const number of numbers) assert.match(number, /^[0-9A-F]{14}$/)
})

test('a simulated failure is reported; writing is refused', async () => {
  const reader = createSandboxTagReader({ delayMs: 0, newTagNumber: generateTagNumber })
  const signal = new AbortController().signal
  const failed = await reader.scan(
    scanOf(tag, { outcome: 'error', error_code: 'encoder_not_online' }),
    signal,
  )
  assert.equal(failed.ok, false)
  assert.equal(!failed.ok && failed.error.type, 'encoder_not_online')
  const written = await reader.encode(
    {
      cardOnEncoder: tag,
      cardOfCredential: null,
      credential: { acs_credential_id: randomUUID(), card_format: 'mifare_desfire' },
      externalCardId: '1',
      numberOfIssuedCards: 1,
      simulation: null,
      target: plainTarget(),
      now,
    },
    signal,
  )
  assert.equal(written.ok, false)
})

test('stops promptly when its signal fires', async () => {
  const reader = createSandboxTagReader({ delayMs: 10_000, newTagNumber: generateTagNumber })
  const controller = new AbortController()
  const started = Date.now()
  const scan = reader.scan(scanOf(tag), controller.signal)
  controller.abort()
  await assert.rejects(scan)
  assert.ok(Date.now() - started < 1_000)
})
