import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  type CardFields,
  CardFormatError,
  cardSize,
  decide,
  decodeCard,
  encodeCard,
  keyIdOf,
  MAX_ENTRANCES,
  readDump,
  readPublicKey,
  unwrapNdef,
  wrapNdef,
  wrappedSize,
} from '../../src/cards/format.js'

const keys = generateKeyPairSync('ed25519')
const otherKeys = generateKeyPairSync('ed25519')

const fields = (overrides: Partial<CardFields> = {}): CardFields => ({
  keyId: keyIdOf(keys.publicKey),
  acsCredentialId: '5f0a8c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b',
  issueNumber: 3,
  validFrom: new Date('2031-05-01T15:00:00.000Z'),
  validUntil: new Date('2031-05-04T11:00:00.000Z'),
  entrances: [101, 7, 65_535],
  staff: false,
  override: true,
  ...overrides,
})

const tag = (overrides: Partial<CardFields> = {}) =>
  wrapNdef(encodeCard(fields(overrides), keys.privateKey))
const during = new Date('2031-05-02T12:00:00.000Z')

/** User memory of common tags, in bytes. */
const capacity = { ntag213: 144, ntag215: 504, ntag216: 888, mifareClassic1k: 720 }

describe('card format: layout', () => {
  test('every field survives a round trip', () => {
    for (const variant of [
      fields(),
      fields({ staff: true, override: false, validUntil: null, entrances: [] }),
      fields({ issueNumber: 0, validFrom: new Date(0), entrances: [0] }),
      fields({
        issueNumber: 65_535,
        entrances: Array.from({ length: MAX_ENTRANCES }, (_, i) => i),
      }),
    ]) {
      const card = unwrapNdef(wrapNdef(encodeCard(variant, keys.privateKey)))
      assert.ok(card)
      assert.deepEqual(decodeCard(card).fields, variant)
    }
  })

  test('16 entrances fit an NTAG213; larger tags hold more', () => {
    assert.equal(cardSize(16), 96 + 32)
    assert.ok(wrappedSize(16) <= capacity.ntag213, `16 entrances take ${wrappedSize(16)} bytes`)
    assert.ok(wrappedSize(17) > capacity.ntag213)
    assert.ok(wrappedSize(150) <= capacity.ntag215)
    assert.ok(wrappedSize(MAX_ENTRANCES) <= capacity.ntag216)
    assert.ok(wrappedSize(MAX_ENTRANCES) <= capacity.mifareClassic1k)
    assert.equal(
      tag({ entrances: Array.from({ length: 16 }, (_, i) => 100 + i) }).length,
      wrappedSize(16),
    )
  })

  test('the NDEF wrapping is one external-type record a phone recognises', () => {
    const memory = tag()
    assert.equal(memory[0], 0x03) // NDEF message TLV
    assert.equal(memory[2], 0xd4) // MB | ME | SR | TNF external
    assert.equal(Buffer.from(memory.subarray(5, 15)).toString('ascii'), 'keysmith:c')
    assert.equal(memory.at(-1), 0xfe) // terminator TLV
    // Long cards use the three-byte TLV length and a four-byte payload length.
    const long = tag({ entrances: Array.from({ length: 200 }, (_, i) => i) })
    assert.equal(long[1], 0xff)
    assert.equal(long[4], 0xc4)
    assert.ok(unwrapNdef(long))
  })

  test('values that cannot be written are refused when encoding', () => {
    const refuse = (overrides: Partial<CardFields>) =>
      assert.throws(() => encodeCard(fields(overrides), keys.privateKey), CardFormatError)
    refuse({ entrances: Array.from({ length: MAX_ENTRANCES + 1 }, (_, i) => i) })
    refuse({ entrances: [70_000] })
    refuse({ issueNumber: 70_000 })
    refuse({ validUntil: new Date('2200-01-01T00:00:00.000Z') })
    refuse({ acsCredentialId: 'not-a-uuid' })
  })

  test('a dump reads as raw bytes or as hex text', () => {
    const memory = tag()
    assert.deepEqual(readDump(memory), memory)
    const hex = Buffer.from(Buffer.from(memory).toString('hex').replace(/(..)/g, '$1 ')).valueOf()
    assert.deepEqual(readDump(new Uint8Array(hex)), memory)
  })

  test('public keys are read as PEM, hex or base64 of the raw key', () => {
    const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString()
    const raw = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
    for (const text of [pem, raw.toString('hex'), raw.toString('base64')]) {
      assert.deepEqual(keyIdOf(readPublicKey(text)), keyIdOf(keys.publicKey))
    }
    assert.throws(() => readPublicKey('c2hvcnQ='), CardFormatError)
  })
})

describe('card format: what a lock decides', () => {
  const at101 = (memory: Uint8Array, when = during) => decide(memory, keys.publicKey, 101, when)

  test('a valid card opens its doors during its stay', () => {
    const decision = at101(tag())
    assert.equal(decision.open, true)
    assert.equal(decide(tag(), keys.publicKey, 65_535, during).open, true)
  })

  const refusal = (decision: ReturnType<typeof decide>) =>
    decision.open ? 'open' : decision.reason

  test('not yet valid, expired, not this door', () => {
    assert.equal(refusal(at101(tag(), new Date('2031-05-01T14:59:59.000Z'))), 'not_yet_valid')
    assert.equal(refusal(at101(tag(), new Date('2031-05-04T11:00:00.000Z'))), 'expired')
    assert.equal(refusal(decide(tag(), keys.publicKey, 102, during)), 'not_this_door')
    // No end: open any time after the start.
    assert.equal(
      refusal(at101(tag({ validUntil: null }), new Date('2099-01-01T00:00:00Z'))),
      'open',
    )
  })

  test('any changed byte of a signed card is refused: bad signature', () => {
    const memory = tag()
    const payloadStart = 15 // TLV (2) + record header (3) + type (10)
    for (let offset = payloadStart; offset < memory.length - 1; offset++) {
      const tampered = new Uint8Array(memory)
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01
      const reason = refusal(at101(tampered))
      assert.ok(
        reason === 'bad_signature' || reason === 'malformed' || reason === 'other_system',
        `byte ${offset}: ${reason}`,
      )
    }
    // Extending the stay by hand: well-formed, but the signature no longer matches.
    const card = unwrapNdef(memory)
    assert.ok(card)
    const extended = Buffer.from(card)
    extended.writeUInt32BE(extended.readUInt32BE(27) + 86_400, 27)
    assert.equal(refusal(at101(wrapNdef(extended))), 'bad_signature')
  })

  test('a card of another system is refused as other_system', () => {
    const foreign = wrapNdef(
      encodeCard(fields({ keyId: keyIdOf(otherKeys.publicKey) }), otherKeys.privateKey),
    )
    assert.equal(refusal(at101(foreign)), 'other_system')
    // Signed by another key but claiming this system's id: the signature fails.
    const forged = wrapNdef(encodeCard(fields(), otherKeys.privateKey))
    assert.equal(refusal(at101(forged)), 'bad_signature')
  })

  test('blank, truncated and foreign cards are malformed', () => {
    const memory = tag()
    const cases: Uint8Array[] = [
      new Uint8Array(144), // blank (all zero)
      new Uint8Array([0xfe]), // only a terminator
      memory.subarray(0, 40), // truncated
      new Uint8Array([0x03, 0x08, 0xd1, 0x01, 0x04, 0x54, 0x02, 0x65, 0x6e, 0x68, 0xfe]), // a text record
    ]
    const card = unwrapNdef(memory)
    assert.ok(card)
    const future = Buffer.from(card)
    future[0] = 0x20 // version 2
    cases.push(wrapNdef(future))
    const short = Buffer.from(card).subarray(0, card.length - 2)
    cases.push(wrapNdef(short))
    for (const bad of cases) assert.equal(refusal(at101(bad)), 'malformed')
  })
})

describe('keysmith cards verify', () => {
  const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))
  const folder = mkdtempSync(join(tmpdir(), 'keysmith-cards-'))
  after(() => rmSync(folder, { recursive: true, force: true }))
  const keyFile = join(folder, 'system.pem')
  writeFileSync(keyFile, keys.publicKey.export({ format: 'pem', type: 'spki' }))
  const dumpFile = join(folder, 'card.bin')
  writeFileSync(dumpFile, tag())
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, 'cards', 'verify', ...args], { encoding: 'utf8' })

  test('prints open and exits 0 for a door the card opens', () => {
    const result = run([
      '--public-key',
      keyFile,
      '--entrance',
      '101',
      '--at',
      during.toISOString(),
      dumpFile,
    ])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^open: door 101/)
    assert.match(
      result.stdout,
      /credential: 5f0a8c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b \(card 3, guest, override\)/,
    )
  })

  test('prints the refusal and exits 1, for each reason', () => {
    const hexDump = join(folder, 'card.hex')
    writeFileSync(hexDump, Buffer.from(tag()).toString('hex'))
    const tampered = new Uint8Array(tag())
    tampered[40] = (tampered[40] ?? 0) ^ 0xff
    const tamperedFile = join(folder, 'tampered.bin')
    writeFileSync(tamperedFile, tampered)
    const blankFile = join(folder, 'blank.bin')
    writeFileSync(blankFile, new Uint8Array(144))
    for (const [file, entrance, at, reason] of [
      [dumpFile, '102', during.toISOString(), 'not_this_door'],
      [hexDump, '101', '2031-06-01T00:00:00Z', 'expired'],
      [dumpFile, '101', '2031-04-01T00:00:00Z', 'not_yet_valid'],
      [tamperedFile, '101', during.toISOString(), 'bad_signature'],
      [blankFile, '101', during.toISOString(), 'malformed'],
    ] as const) {
      const result = run(['--public-key', keyFile, '--entrance', entrance, '--at', at, file])
      assert.equal(result.status, 1, `${reason}: ${result.stdout}${result.stderr}`)
      assert.match(result.stdout, new RegExp(`^refused: ${reason}`))
    }
  })

  test('bad options or files exit 2 with a clear line, no stack trace', () => {
    for (const args of [
      ['--public-key', keyFile, dumpFile],
      ['--public-key', keyFile, '--entrance', 'lobby', dumpFile],
      ['--public-key', join(folder, 'missing.pem'), '--entrance', '1', dumpFile],
    ]) {
      const result = run(args)
      assert.equal(result.status, 2)
      assert.match(result.stderr, /cards verify/)
      assert.doesNotMatch(result.stderr, /\n\s+at /)
    }
  })
})
