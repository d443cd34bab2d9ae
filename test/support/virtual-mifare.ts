import { randomBytes } from 'node:crypto'
import { storageCardAtr } from '../../src/bridge/nfc/atr.js'
import { ok, status, VpcdCard } from './vpcd-card.js'

/**
 * A virtual MIFARE Classic 1K for vsmartcard's vpcd (see vpcd-card.ts), as an
 * ACR122-style reader presents one: 16 sectors of 4 blocks of 16 bytes, each
 * sector's last block its trailer (key A, access bits, key B). It answers
 * `FF CA` (UID), `FF 82` (load a key into a slot), `FF 86` (authenticate a sector
 * with a loaded key: 63 00 on a wrong key), and `FF B0` / `FF D6` on a block of the
 * sector last authenticated (69 82 otherwise). Block 0 (manufacturer) and the
 * sector trailers are never written (69 86); blocks 1 and 2 (the MAD) may be.
 */

const BLOCK = 16
const BLOCKS = 64

/** PC/SC part 3 storage-card ATR, NN NN = 00 01 (MIFARE Classic 1K). */
const ATR = storageCardAtr(0x0001)

/** Transport configuration access bits (key A or B reads and writes everything) and GPB 69. */
const ACCESS_BITS = [0xff, 0x07, 0x80, 0x69]

export const TRANSPORT_KEY = new Uint8Array(6).fill(0xff)

export interface VirtualMifareOptions {
  port?: number
  /** 4 bytes; random otherwise. */
  uid?: Uint8Array
  /** Key A of every sector; FF FF FF FF FF FF otherwise. */
  keyA?: Uint8Array
  /** Key A of sector 0 (the MAD's), A0 A1 A2 A3 A4 A5 on NFC-formatted cards; `keyA` otherwise. */
  madKeyA?: Uint8Array
  /** Take the card away (close the connection) once this many blocks have been written. */
  removeAfterWrites?: number
}

export class VirtualMifareClassic extends VpcdCard {
  readonly atr = ATR
  readonly uid: Uint8Array
  readonly keyA: Uint8Array
  readonly madKeyA: Uint8Array
  readonly keyB = new Uint8Array(TRANSPORT_KEY)
  /** All 64 blocks, trailers included (with their keys). */
  readonly memory = new Uint8Array(BLOCKS * BLOCK)
  /** The reader's key slots (FF 82 P2). */
  readonly #keys = new Map<number, Uint8Array>()
  #sector: number | undefined
  #writes = 0
  /** Blocks written, in order, for tests that check what was (not) touched. */
  readonly written: number[] = []

  constructor(readonly options: VirtualMifareOptions = {}) {
    super(options.port)
    this.uid = options.uid ?? new Uint8Array(randomBytes(4))
    this.keyA = new Uint8Array(options.keyA ?? TRANSPORT_KEY)
    this.madKeyA = new Uint8Array(options.madKeyA ?? this.keyA)
    // Block 0: UID, BCC, SAK 08, ATQA 04 00, then manufacturer data.
    const bcc = this.uid.reduce((x, byte) => x ^ byte, 0)
    this.memory.set([...this.uid, bcc, 0x08, 0x04, 0x00], 0)
    for (let sector = 0; sector < BLOCKS / 4; sector++) {
      const keyA = sector === 0 ? this.madKeyA : this.keyA
      this.memory.set([...keyA, ...ACCESS_BITS, ...this.keyB], (sector * 4 + 3) * BLOCK)
    }
  }

  block(block: number): Uint8Array {
    return this.memory.slice(block * BLOCK, (block + 1) * BLOCK)
  }

  /** The data blocks of sectors 1..15, in order: what Keysmith calls the user memory. */
  get userMemory(): Uint8Array {
    const blocks: Uint8Array[] = []
    for (let block = 4; block < BLOCKS; block++) if (block % 4 !== 3) blocks.push(this.block(block))
    return new Uint8Array(Buffer.concat(blocks))
  }

  respond(message: Uint8Array): Uint8Array | undefined {
    const [cla, ins, p1, p2, p3] = message
    if (cla !== 0xff) return status(0x6e, 0x00)
    if (ins === 0xca) return ok(this.uid)
    if (ins === 0x82) {
      const key = message.subarray(5, 5 + (p3 ?? 0))
      if (p1 !== 0x00 || key.length !== 6) return status(0x63, 0x00)
      this.#keys.set(p2 ?? 0, new Uint8Array(key))
      return ok()
    }
    if (ins === 0x86) {
      // Data: 01 (version) 00 <block> <60 key A | 61 key B> <key slot>
      const [version, , block, keyType, slot] = message.subarray(5, 10)
      this.#sector = undefined
      const key = this.#keys.get(slot ?? -1)
      if (version !== 0x01 || block === undefined || block >= BLOCKS || !key) {
        return status(0x63, 0x00)
      }
      const keyA = block < 4 ? this.madKeyA : this.keyA
      const expected = keyType === 0x60 ? keyA : keyType === 0x61 ? this.keyB : undefined
      if (!expected || !Buffer.from(key).equals(Buffer.from(expected))) return status(0x63, 0x00)
      this.#sector = Math.floor(block / 4)
      return ok()
    }
    const block = p2 ?? 0
    if (ins === 0xb0 || ins === 0xd6) {
      if (block >= BLOCKS) return status(0x6a, 0x82)
      if (this.#sector !== Math.floor(block / 4)) return status(0x69, 0x82)
    }
    if (ins === 0xb0) {
      if (p3 !== BLOCK) return status(0x67, 0x00)
      const data = this.block(block)
      // A trailer reads with key A hidden (zeros).
      if (block % 4 === 3) data.fill(0, 0, 6)
      return ok(data)
    }
    if (ins === 0xd6) {
      const data = message.subarray(5, 5 + (p3 ?? 0))
      if (data.length !== BLOCK) return status(0x67, 0x00)
      if (block === 0 || block % 4 === 3) return status(0x69, 0x86)
      this.memory.set(data, block * BLOCK)
      this.written.push(block)
      this.#writes += 1
      if (
        this.options.removeAfterWrites !== undefined &&
        this.#writes >= this.options.removeAfterWrites
      ) {
        // Taken off the reader before answering: the write is not confirmed.
        return this.takeNow()
      }
      return ok()
    }
    return status(0x6d, 0x00)
  }
}
