import { connect, type Socket } from 'node:net'

/**
 * A virtual card for vsmartcard's vpcd: the test puts it "on the reader" by
 * connecting to vpcd (127.0.0.1:35963 for the first virtual reader), and takes it
 * away by closing the connection. vpcd frames every message with a 2-byte
 * big-endian length; a 1-byte message is a control (0 power off, 1 power on,
 * 2 reset, 4 send the ATR), anything longer an APDU to answer.
 *
 * A subclass gives the ATR and answers APDUs (`respond`); a test can also call
 * `respond` directly, as a `Transmit` without PC/SC.
 */

export const ok = (data: Uint8Array = new Uint8Array()): Uint8Array =>
  Uint8Array.from([...data, 0x90, 0x00])
export const status = (sw1: number, sw2: number): Uint8Array => Uint8Array.from([sw1, sw2])

export abstract class VpcdCard {
  #socket: Socket | undefined
  #buffer = Buffer.alloc(0)

  constructor(readonly port = 35963) {}

  abstract readonly atr: Uint8Array
  abstract readonly uid: Uint8Array

  /**
   * The answer to one APDU (data, then SW1 SW2), or undefined to give none: the
   * card was taken away (`takeNow`) before answering.
   */
  abstract respond(apdu: Uint8Array): Uint8Array | undefined

  get uidHex(): string {
    return Buffer.from(this.uid).toString('hex').toUpperCase()
  }

  /** Puts the card on the reader. */
  place(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.port }, () => resolve())
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

  /** For `respond`: takes the card off the reader before it answers. */
  protected takeNow(): undefined {
    void this.take()
    return undefined
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    while (this.#buffer.length >= 2) {
      const length = this.#buffer.readUInt16BE(0)
      if (this.#buffer.length < 2 + length) return
      const message = new Uint8Array(this.#buffer.subarray(2, 2 + length))
      this.#buffer = this.#buffer.subarray(2 + length)
      const answer =
        message.length === 1 ? (message[0] === 4 ? this.atr : undefined) : this.respond(message)
      if (answer && this.#socket) {
        const frame = Buffer.alloc(2 + answer.length)
        frame.writeUInt16BE(answer.length, 0)
        frame.set(answer, 2)
        this.#socket.write(frame)
      }
    }
  }
}
