import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/**
 * A virtual NTAG215 for vsmartcard's vpcd: the test puts it "on the reader" by
 * connecting to vpcd (127.0.0.1:35963 for the first virtual reader), and takes it
 * away by closing the connection. vpcd frames every message with a 2-byte
 * big-endian length; a 1-byte message is a control (0 power off, 1 power on,
 * 2 reset, 4 send the ATR), anything longer an APDU to answer.
 *
 * It answers the PC/SC pseudo-APDUs a contactless reader offers for storage cards:
 * `FF CA` (UID), `FF B0` (read pages), `FF D6` (write pages), as an ACR122-style
 * reader does for a Type 2 tag.
 */

const PAGES = 135 // NTAG215: 540 bytes, user memory pages 4..129
const PAGE = 4
const USER_FIRST = 4
const USER_LAST = 129

/** ATR of a contactless storage card, PC/SC part 3: NN = 0x0003 (Ultralight / NTAG). */
const ATR = Uint8Array.from([
  0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f, 0x0c, 0xa0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x03, 0x00,
  0x00, 0x00, 0x00, 0x68,
])

const ok = (data: Uint8Array = new Uint8Array()): Uint8Array =>
  Uint8Array.from([...data, 0x90, 0x00])
const status = (sw1: number, sw2: number) => Uint8Array.from([sw1, sw2])

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

export class VirtualNtag {
  readonly uid: Uint8Array
  readonly memory = new Uint8Array(PAGES * PAGE)
  #socket: Socket | undefined
  #buffer = Buffer.alloc(0)
  #writes = 0

  constructor(readonly options: VirtualNtagOptions = {}) {
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

  get uidHex(): string {
    return Buffer.from(this.uid).toString('hex').toUpperCase()
  }

  /** Puts the card on the reader. */
  place(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.options.port ?? 35963 }, () =>
        resolve(),
      )
      socket.setNoDelay(true)
      socket.once('error', reject)
      socket.on('data', (chunk) => this.#receive(chunk))
      this.#socket = socket
    })
  }

  /** Takes the card away. */
  take(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    if (!socket || socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      socket.once('close', () => resolve())
      socket.destroy()
    })
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    while (this.#buffer.length >= 2) {
      const length = this.#buffer.readUInt16BE(0)
      if (this.#buffer.length < 2 + length) return
      const message = this.#buffer.subarray(2, 2 + length)
      this.#buffer = this.#buffer.subarray(2 + length)
      const answer = this.#answer(new Uint8Array(message))
      if (answer && this.#socket) {
        const frame = Buffer.alloc(2 + answer.length)
        frame.writeUInt16BE(answer.length, 0)
        frame.set(answer, 2)
        this.#socket.write(frame)
      }
    }
  }

  #answer(message: Uint8Array): Uint8Array | undefined {
    if (message.length === 1) return message[0] === 4 ? ATR : undefined
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
        void this.take()
        return undefined
      }
      return ok()
    }
    return status(0x6d, 0x00)
  }
}
