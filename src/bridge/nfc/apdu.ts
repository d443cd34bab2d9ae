/**
 * What every tag technology shares on a PC/SC reader: sending one pseudo-APDU
 * (PC/SC part 3, class FF) and telling its status word, the errors a tag
 * operation ends with, and the UID (`FF CA`), which every contactless reader
 * answers whatever the card.
 */

/** Sends one APDU to the card and resolves with its response (data, then SW1 SW2). */
export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>

export type TagErrorType = 'incompatible_card_format' | 'encoding_interrupted'

export class TagError extends Error {
  constructor(
    readonly type: TagErrorType,
    message: string,
  ) {
    super(message)
  }
}

/** Bytes in upper-case hex, no spaces (UIDs as Keysmith reports them). */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase()

/** A status word as the card sent it: `6A82`. */
export const swText = (sw: number): string => sw.toString(16).toUpperCase().padStart(4, '0')

/**
 * Sends `apdu` and splits the answer into data and status word. A card that left
 * the field (or a reader that went away) during the exchange, or an answer too
 * short to hold a status word, is `encoding_interrupted`.
 */
export const exchange = async (
  transmit: Transmit,
  apdu: number[],
  what: string,
): Promise<{ data: Uint8Array; sw: number }> => {
  let response: Uint8Array
  try {
    response = await transmit(Uint8Array.from(apdu))
  } catch (error) {
    throw new TagError('encoding_interrupted', `${what}: ${(error as Error).message}`)
  }
  if (response.length < 2)
    throw new TagError('encoding_interrupted', `${what}: the reader gave no status`)
  const sw = ((response.at(-2) ?? 0) << 8) | (response.at(-1) ?? 0)
  return { data: response.subarray(0, -2), sw }
}

/**
 * `exchange`, for commands that must answer 90 00: an address the card does not
 * have (6A 82, 6B 00) or a function it lacks (6A 81) is `incompatible_card_format`,
 * any other status `encoding_interrupted`.
 */
export const command = async (
  transmit: Transmit,
  apdu: number[],
  what: string,
): Promise<Uint8Array> => {
  const { data, sw } = await exchange(transmit, apdu, what)
  if (sw !== 0x9000) {
    throw new TagError(
      sw === 0x6a82 || sw === 0x6b00 || sw === 0x6a81
        ? 'incompatible_card_format'
        : 'encoding_interrupted',
      `${what}: the card answered ${swText(sw)}`,
    )
  }
  return data
}

/** The tag's UID, as printed in hex (the card number Keysmith reports). */
export const readUid = async (transmit: Transmit): Promise<string> =>
  hex(await command(transmit, [0xff, 0xca, 0x00, 0x00, 0x00], 'reading the UID'))

/** Read Binary `FF B0 00 <address> <length>`: a page (Type 2) or block (MIFARE) address. */
export const readBinary = (
  transmit: Transmit,
  address: number,
  length: number,
  what: string,
): Promise<Uint8Array> => command(transmit, [0xff, 0xb0, 0x00, address, length], what)

/** Update Binary `FF D6 00 <address> <length> <data>`. */
export const updateBinary = async (
  transmit: Transmit,
  address: number,
  data: Uint8Array,
  what: string,
): Promise<void> => {
  await command(transmit, [0xff, 0xd6, 0x00, address, data.length, ...data], what)
}

/** The memory padded with zeros to a whole number of `unit`-byte pages or blocks. */
export const padTo = (memory: Uint8Array, unit: number): Uint8Array => {
  const padded = new Uint8Array(Math.ceil(memory.length / unit) * unit)
  padded.set(memory)
  return padded
}

/** Too large a credential for the card: `incompatible_card_format`, saying both sizes. */
export const checkCapacity = (capacity: number, memory: Uint8Array): void => {
  if (memory.length > capacity) {
    throw new TagError(
      'incompatible_card_format',
      `the card holds ${capacity} bytes; this credential needs ${memory.length}`,
    )
  }
}

/** After a write: the bytes read back must be those written. */
export const checkReadBack = (written: Uint8Array, back: Uint8Array): void => {
  if (!Buffer.from(back).equals(Buffer.from(written))) {
    throw new TagError('encoding_interrupted', 'the card did not keep what was written')
  }
}
