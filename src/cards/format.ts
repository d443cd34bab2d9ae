/**
 * The Keysmith card format, version 1: what is written on a key card, signed with
 * the access system's Ed25519 key, and what a lock decides when one is presented.
 * This module depends on nothing but node:crypto, so a lock, a reader app or
 * `keysmith cards verify` can embed it. The layout is documented in
 * docs/card-format.md; keep the two in step.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'

export const CARD_FORMAT_VERSION = 1

/** The NFC Forum external type of the NDEF record that carries a card. */
export const NDEF_RECORD_TYPE = 'keysmith:c'

/** What a card says. Times are whole seconds; `validUntil` null: no end. */
export interface CardFields {
  /** First 4 bytes of SHA-256 of the system's raw public key: which system signed it. */
  keyId: Uint8Array
  acsCredentialId: string
  /** Counts the cards made for this credential; a lock may refuse lower numbers. */
  issueNumber: number
  validFrom: Date
  validUntil: Date | null
  /** Door numbers of the entrances the card opens. */
  entrances: number[]
  staff: boolean
  override: boolean
}

const HEADER_BYTES = 32
const SIGNATURE_BYTES = 64
export const MAX_ENTRANCES = 255

/** Bytes of a signed card with `entrances` door numbers, before NDEF wrapping. */
export const cardSize = (entrances: number): number =>
  HEADER_BYTES + 2 * entrances + SIGNATURE_BYTES

/** The key id of a system's public key (PEM, DER SPKI, or a KeyObject). */
export const keyIdOf = (publicKey: KeyObject): Uint8Array => {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  return new Uint8Array(createHash('sha256').update(raw).digest().subarray(0, 4))
}

const uuidToBytes = (uuid: string): Uint8Array => {
  const hex = uuid.replaceAll('-', '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CardFormatError(`not a UUID: ${uuid}`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

const bytesToUuid = (bytes: Uint8Array): string => {
  const hex = Buffer.from(bytes).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export class CardFormatError extends Error {}

const seconds = (date: Date, what: string): number => {
  const value = Math.floor(date.getTime() / 1000)
  if (!Number.isFinite(value) || value < 0 || value > 0xffff_fffe) {
    throw new CardFormatError(`${what} cannot be written on a card: ${date.toISOString()}`)
  }
  return value
}

/** Lays the fields out and signs them with the system's private key. */
export const encodeCard = (fields: CardFields, privateKey: KeyObject): Uint8Array => {
  if (fields.keyId.length !== 4) throw new CardFormatError('keyId must be 4 bytes')
  if (fields.entrances.length > MAX_ENTRANCES) {
    throw new CardFormatError(`a card holds at most ${MAX_ENTRANCES} entrances`)
  }
  if (
    !Number.isInteger(fields.issueNumber) ||
    fields.issueNumber < 0 ||
    fields.issueNumber > 0xffff
  ) {
    throw new CardFormatError('issueNumber must be 0..65535')
  }
  const body = Buffer.alloc(HEADER_BYTES + 2 * fields.entrances.length)
  body[0] = (CARD_FORMAT_VERSION << 4) | (fields.staff ? 1 : 0) | (fields.override ? 2 : 0)
  body.set(fields.keyId, 1)
  body.set(uuidToBytes(fields.acsCredentialId), 5)
  body.writeUInt16BE(fields.issueNumber, 21)
  body.writeUInt32BE(seconds(fields.validFrom, 'validFrom'), 23)
  body.writeUInt32BE(fields.validUntil ? seconds(fields.validUntil, 'validUntil') : 0, 27)
  body[31] = fields.entrances.length
  fields.entrances.forEach((door, i) => {
    if (!Number.isInteger(door) || door < 0 || door > 0xffff) {
      throw new CardFormatError(`door number ${door} is not 0..65535`)
    }
    body.writeUInt16BE(door, HEADER_BYTES + 2 * i)
  })
  const signature = sign(null, body, privateKey)
  return new Uint8Array(Buffer.concat([body, signature]))
}

export interface DecodedCard {
  fields: CardFields
  /** The bytes the signature covers, and the signature. */
  signed: Uint8Array
  signature: Uint8Array
}

/** Reads a card's fields without checking its signature; throws CardFormatError. */
export const decodeCard = (card: Uint8Array): DecodedCard => {
  const bytes = Buffer.from(card)
  if (bytes.length < cardSize(0)) throw new CardFormatError('too short to be a card')
  const version = (bytes[0] ?? 0) >> 4
  if (version !== CARD_FORMAT_VERSION) throw new CardFormatError(`unknown version ${version}`)
  if (((bytes[0] ?? 0) & 0b1100) !== 0) throw new CardFormatError('reserved flags are set')
  const count = bytes[31] ?? 0
  if (bytes.length !== cardSize(count)) {
    throw new CardFormatError(
      `a card with ${count} entrances is ${cardSize(count)} bytes, not ${bytes.length}`,
    )
  }
  const until = bytes.readUInt32BE(27)
  const end = HEADER_BYTES + 2 * count
  return {
    fields: {
      keyId: new Uint8Array(bytes.subarray(1, 5)),
      acsCredentialId: bytesToUuid(bytes.subarray(5, 21)),
      issueNumber: bytes.readUInt16BE(21),
      validFrom: new Date(bytes.readUInt32BE(23) * 1000),
      validUntil: until === 0 ? null : new Date(until * 1000),
      entrances: Array.from({ length: count }, (_, i) => bytes.readUInt16BE(HEADER_BYTES + 2 * i)),
      staff: ((bytes[0] ?? 0) & 1) !== 0,
      override: ((bytes[0] ?? 0) & 2) !== 0,
    },
    signed: new Uint8Array(bytes.subarray(0, end)),
    signature: new Uint8Array(bytes.subarray(end)),
  }
}

/**
 * The card as NDEF on a tag's user memory: one NDEF message TLV holding one record
 * of external type `keysmith:c`, then the terminator TLV. A phone shows the tag as
 * a Keysmith card; a lock reads the payload.
 */
export const wrapNdef = (card: Uint8Array): Uint8Array => {
  const type = Buffer.from(NDEF_RECORD_TYPE, 'ascii')
  const short = card.length < 256
  // MB | ME | (SR) | TNF 4 (NFC Forum external type)
  const header = Buffer.from([0xc0 | (short ? 0x10 : 0) | 0x04, type.length])
  const length = short ? Buffer.from([card.length]) : Buffer.alloc(4)
  if (!short) length.writeUInt32BE(card.length)
  const record = Buffer.concat([header, length, type, card])
  const tlvLength =
    record.length < 0xff
      ? Buffer.from([record.length])
      : Buffer.from([0xff, record.length >> 8, record.length & 0xff])
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x03]), tlvLength, record, Buffer.from([0xfe])]),
  )
}

/** Bytes of a card with `entrances` door numbers once wrapped for a tag. */
export const wrappedSize = (entrances: number): number =>
  wrapNdef(new Uint8Array(cardSize(entrances))).length

/**
 * Finds the Keysmith card in a tag's user memory (a dump). Null when the memory
 * holds no NDEF message (a blank card); throws CardFormatError when it holds
 * something that is not a well-formed Keysmith card.
 */
export const unwrapNdef = (memory: Uint8Array): Uint8Array | null => {
  const bytes = Buffer.from(memory)
  let offset = 0
  while (offset < bytes.length) {
    const tag = bytes[offset] ?? 0
    if (tag === 0x00) {
      offset += 1 // NULL TLV
      continue
    }
    if (tag === 0xfe) return null // terminator before any NDEF message
    let length = bytes[offset + 1]
    let start = offset + 2
    if (length === undefined) throw new CardFormatError('truncated TLV')
    if (length === 0xff) {
      if (offset + 4 > bytes.length) throw new CardFormatError('truncated TLV')
      length = bytes.readUInt16BE(offset + 2)
      start = offset + 4
    }
    if (start + length > bytes.length) throw new CardFormatError('truncated TLV')
    if (tag === 0x03) return recordPayload(bytes.subarray(start, start + length))
    offset = start + length
  }
  return null
}

const recordPayload = (message: Buffer): Uint8Array => {
  if (message.length === 0) throw new CardFormatError('empty NDEF message')
  const header = message[0] ?? 0
  const tnf = header & 0x07
  const short = (header & 0x10) !== 0
  const hasId = (header & 0x08) !== 0
  const typeLength = message[1] ?? 0
  let offset = 2
  let payloadLength: number
  if (short) {
    payloadLength = message[offset] ?? 0
    offset += 1
  } else {
    if (message.length < offset + 4) throw new CardFormatError('truncated NDEF record')
    payloadLength = message.readUInt32BE(offset)
    offset += 4
  }
  const idLength = hasId ? (message[offset++] ?? 0) : 0
  const type = message.subarray(offset, offset + typeLength).toString('ascii')
  offset += typeLength + idLength
  if (tnf !== 0x04 || type !== NDEF_RECORD_TYPE) {
    throw new CardFormatError(
      `the card holds an NDEF record of another kind (${type || `TNF ${tnf}`})`,
    )
  }
  if (offset + payloadLength > message.length) throw new CardFormatError('truncated NDEF record')
  return new Uint8Array(message.subarray(offset, offset + payloadLength))
}

export type Refusal =
  | 'malformed'
  | 'other_system'
  | 'bad_signature'
  | 'not_yet_valid'
  | 'expired'
  | 'not_this_door'

export type LockDecision =
  | { open: true; card: CardFields }
  | { open: false; reason: Refusal; detail: string; card?: CardFields }

/** Checks a card's signature against the system's public key. */
export const hasValidSignature = (decoded: DecodedCard, publicKey: KeyObject): boolean =>
  verify(null, decoded.signed, publicKey, decoded.signature)

/**
 * What a lock of door `entrance` decides at `at` for a tag whose user memory is
 * `memory`, knowing its system's public key. Offline: no server is asked.
 */
export const decide = (
  memory: Uint8Array,
  publicKey: KeyObject,
  entrance: number,
  at: Date,
): LockDecision => {
  let decoded: DecodedCard
  try {
    const card = unwrapNdef(memory)
    if (!card) return { open: false, reason: 'malformed', detail: 'the card is blank' }
    decoded = decodeCard(card)
  } catch (error) {
    return { open: false, reason: 'malformed', detail: (error as Error).message }
  }
  const card = decoded.fields
  if (!Buffer.from(card.keyId).equals(Buffer.from(keyIdOf(publicKey)))) {
    return {
      open: false,
      reason: 'other_system',
      detail: 'the card was signed by another system',
      card,
    }
  }
  if (!hasValidSignature(decoded, publicKey)) {
    return {
      open: false,
      reason: 'bad_signature',
      detail: 'the signature does not match the card',
      card,
    }
  }
  if (at < card.validFrom) {
    return {
      open: false,
      reason: 'not_yet_valid',
      detail: `valid from ${card.validFrom.toISOString()}`,
      card,
    }
  }
  if (card.validUntil && at >= card.validUntil) {
    return {
      open: false,
      reason: 'expired',
      detail: `expired at ${card.validUntil.toISOString()}`,
      card,
    }
  }
  if (!card.entrances.includes(entrance)) {
    return {
      open: false,
      reason: 'not_this_door',
      detail: `opens doors ${card.entrances.join(', ') || 'none'}`,
      card,
    }
  }
  return { open: true, card }
}

/** A public key as `keysmith systems public-key` prints it (PEM), or raw base64 / hex of its 32 bytes. */
export const readPublicKey = (text: string): KeyObject => {
  const trimmed = text.trim()
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed)
  const raw = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64')
  if (raw.length !== 32) throw new CardFormatError('an Ed25519 public key is 32 bytes')
  // SPKI prefix of an Ed25519 key, then the raw key.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw])
  return createPublicKey({ key: spki, format: 'der', type: 'spki' })
}

/** A card dump: the tag's user memory as raw bytes, or as hex text. */
export const readDump = (file: Uint8Array): Uint8Array => {
  const text = Buffer.from(file).toString('latin1')
  if (/^[\s0-9a-fA-F:]*$/.test(text) && /[0-9a-fA-F]/.test(text)) {
    return new Uint8Array(Buffer.from(text.replace(/[\s:]/g, ''), 'hex'))
  }
  return new Uint8Array(file)
}
