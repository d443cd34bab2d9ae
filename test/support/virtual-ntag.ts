import { randomBytes } from 'node:crypto'
import { storageCardAtr } from '../../src/bridge/nfc/atr.js'
import { ok, status, VpcdCard } from './vpcd-card.js'

/**
 * A virtual NTAG215 for vsmartcard's vpcd (see vpcd-card.ts). It answers the PC/SC
 * pseudo-APDUs a contactless reader offers for storage cards: `FF CA` (UID),
 * `FF B0` (read pages), `FF D6` (write pages), as an ACR122-style reader does for
 * a Type 2 tag.
 */

const PAGES = 135 // NTAG215: 540 bytes, user memory pages 4..129
const PAGE = 4
const USER_FIRST = 4
const USER_LAST = 129

/** ATR of a contactless storage card, PC/SC part 3: NN = 0x0003 (Ultralight / NTAG). */
const ATR = storageCardAtr(0x0003)

export interface VirtualNtagOptions {
  port?: number
  uid?: Uint8Array
  /** Memory to start with (e.g. a card dump taken earlier); blank otherwise. */
  memory?: Uint8Array
  /** Take the card away (close the connection) once this many pages have been written. */
  removeAfterWrites?: number
  /** Capability container size byte: 0x3E for NTAG215 (496 bytes), 0x12 for NTAG213. */
  ccSize?: number
}

export class VirtualNtag extends VpcdCard {
  readonly atr = ATR
  readonly uid: Uint8Array
  readonly memory = new Uint8Array(PAGES * PAGE)
  #writes = 0

  constructor(readonly options: VirtualNtagOptions = {}) {
    super(options.port)
    this.uid = options.uid ?? Uint8Array.from([0x04, ...randomBytes(6)])
    this.memory.set(this.uid.subarray(0, 3), 0)
    this.memory.set(this.uid.subarray(3, 7), 4)
    // Capability container: NDEF, version 1.0, data area size, read/write.
    this.memory.set([0xe1, 0x10, options.ccSize ?? 0x3e, 0x00], 3 * PAGE)
    // An empty NDEF message, as blank NTAGs ship.
    this.memory.set([0x03, 0x00, 0xfe], USER_FIRST * PAGE)
    if (options.memory)
      this.memory.set(options.memory.subarray(0, (USER_LAST - 3) * PAGE), USER_FIRST * PAGE)
  }

  /** The card's user memory, as a dump file holds it. */
  get userMemory(): Uint8Array {
    return this.memory.slice(USER_FIRST * PAGE, (USER_LAST + 1) * PAGE)
  }

  respond(message: Uint8Array): Uint8Array | undefined {
    const [cla, ins, , p2, p3] = message
    if (cla !== 0xff) return status(0x6e, 0x00)
    if (ins === 0xca) return ok(this.uid)
    const page = p2 ?? 0
    if (ins === 0xb0) {
      const length = p3 === 0 ? 16 : (p3 ?? 16)
      if (page >= PAGES) return status(0x6a, 0x82)
      const data = new Uint8Array(length)
      data.set(this.memory.subarray(page * PAGE, Math.min(PAGES * PAGE, page * PAGE + length)))
      return ok(data)
    }
    if (ins === 0xd6) {
      const data = message.subarray(5, 5 + (p3 ?? 0))
      if (data.length % PAGE !== 0) return status(0x67, 0x00)
      const pages = data.length / PAGE
      if (page < USER_FIRST || page + pages - 1 > USER_LAST) return status(0x6a, 0x82)
      this.memory.set(data, page * PAGE)
      this.#writes += pages
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
