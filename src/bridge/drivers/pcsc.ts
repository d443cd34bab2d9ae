import type { Card, Reader } from 'pcsc-mini'
import { readUid, TagError, type Transmit } from '../nfc/apdu.js'
import { type TagTechnology, tagTechnology } from '../nfc/atr.js'
import {
  DEFAULT_MIFARE_KEY,
  readMifareUserMemory,
  writeMifareUserMemory,
} from '../nfc/mifare-classic.js'
import { readCapacity, readUserMemory, writeUserMemory } from '../nfc/ntag.js'
import {
  type CardWait,
  type ReaderResult,
  readerFailure,
  type TagReaderDriver,
} from './tag-reader.js'

interface Slot {
  reader: Reader
  present: boolean
  /** Called whenever a card comes or goes. */
  listeners: Set<() => void>
}

export interface PcscDriverOptions {
  /**
   * The key A of sectors 1 to 15 of MIFARE Classic cards (6 bytes); the transport
   * key FF FF FF FF FF FF when absent.
   */
  mifareKey?: Uint8Array
}

/** Reading and writing the user memory of one technology of tag. */
interface TagMemory {
  read(transmit: Transmit): Promise<Uint8Array>
  write(transmit: Transmit, memory: Uint8Array): Promise<void>
}

/**
 * PC/SC readers (any USB NFC reader pcscd knows, or vsmartcard's virtual reader in
 * tests) with NTAG213/215/216 or MIFARE Classic 1K cards, told apart by the ATR the
 * reader reports, through the `pcsc-mini` binding (prebuilt, no install script).
 * The binding is loaded only when this driver is opened, so a bridge running the
 * virtual driver needs no PC/SC library.
 */
export const openPcscDriver = async (options: PcscDriverOptions = {}): Promise<TagReaderDriver> => {
  const mifareKey = new Uint8Array(options.mifareKey ?? DEFAULT_MIFARE_KEY)
  if (mifareKey.length !== 6) {
    throw new Error(`a MIFARE key is 6 bytes, got ${mifareKey.length}`)
  }
  const technologies: Record<TagTechnology, TagMemory> = {
    ntag: {
      read: async (transmit) => readUserMemory(transmit, await readCapacity(transmit)),
      write: writeUserMemory,
    },
    mifare_classic_1k: {
      read: (transmit) => readMifareUserMemory(transmit, mifareKey),
      write: (transmit, memory) => writeMifareUserMemory(transmit, memory, mifareKey),
    },
  }
  const pcsc = await import('pcsc-mini')
  const slots = new Map<string, Slot>()
  const client = new pcsc.Client()
  client.on('reader', (reader) => {
    const slot: Slot = { reader, present: false, listeners: new Set() }
    slots.set(reader.name(), slot)
    reader.on('change', (status) => {
      slot.present = status.has(pcsc.ReaderStatus.PRESENT) && !status.has(pcsc.ReaderStatus.MUTE)
      for (const listener of slot.listeners) listener()
    })
    reader.on('disconnect', () => {
      slots.delete(reader.name())
      slot.present = false
      for (const listener of slot.listeners) listener()
    })
  })
  client.on('error', () => {
    // pcscd went away; readers disappear and come back with it.
  })
  client.start()

  /** Resolves once a card lies on the reader; false when none came in time. */
  const cardPresent = (slot: Slot, wait: CardWait): Promise<boolean> =>
    new Promise((resolve, reject) => {
      if (wait.signal.aborted) return reject(wait.signal.reason)
      if (slot.present) return resolve(true)
      const done = (value: boolean) => {
        clearTimeout(timer)
        slot.listeners.delete(onChange)
        wait.signal.removeEventListener('abort', onAbort)
        resolve(value)
      }
      const onChange = () => {
        if (slot.present) done(true)
        else if (!slots.has(slot.reader.name())) done(false)
      }
      const onAbort = () => {
        clearTimeout(timer)
        slot.listeners.delete(onChange)
        reject(wait.signal.reason)
      }
      const timer = setTimeout(() => done(false), wait.cardWaitMs)
      slot.listeners.add(onChange)
      wait.signal.addEventListener('abort', onAbort, { once: true })
    })

  /** Resolves at the reader's next change of state, or after `ms`. */
  const nextChange = (slot: Slot, ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        slot.listeners.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      slot.listeners.add(done)
    })

  /**
   * Waits for a card, connects and reads its ATR and UID. A card swapped for another just
   * before (the reader's state not yet caught up) fails its first exchange; that is
   * tried again until the card wait is over, since nothing was written yet.
   */
  const connectCard = async (
    slot: Slot,
    wait: CardWait,
  ): Promise<ReaderResult<{ card: Card; uid: string; atr: Uint8Array }>> => {
    const deadline = Date.now() + wait.cardWaitMs
    let lastError = ''
    for (;;) {
      const remaining = deadline - Date.now()
      if (!(await cardPresent(slot, { ...wait, cardWaitMs: Math.max(0, remaining) }))) {
        return lastError
          ? readerFailure('encoding_interrupted', `Could not reach the card: ${lastError}`)
          : readerFailure(
              'no_credential_on_encoder',
              `No card was put on ${slot.reader.name()} within ${wait.cardWaitMs} ms.`,
            )
      }
      let card: Card | undefined
      try {
        card = await slot.reader.connect(pcsc.CardMode.SHARED)
        const { atr } = await card.state()
        const uid = await readUid((apdu) => (card as Card).transmit(apdu))
        return { ok: true, value: { card, uid, atr } }
      } catch (error) {
        await card?.disconnect(pcsc.CardDisposition.LEAVE).catch(() => {})
        lastError = (error as Error).message
        if (wait.signal.aborted) throw wait.signal.reason
        if (Date.now() >= deadline) {
          return readerFailure('encoding_interrupted', `Could not reach the card: ${lastError}`)
        }
        await nextChange(slot, 100)
      }
    }
  }

  const withCard = async <T>(
    name: string,
    wait: CardWait,
    work: (tag: TagMemory, transmit: Transmit, uid: string) => Promise<T>,
  ): Promise<ReaderResult<T>> => {
    const slot = slots.get(name)
    if (!slot) return readerFailure('encoder_not_online', `No reader named "${name}" is attached.`)
    const connected = await connectCard(slot, wait)
    if (!connected.ok) return connected
    const { card, uid, atr } = connected.value
    try {
      const tag = technologies[tagTechnology(atr)]
      return { ok: true, value: await work(tag, (apdu) => card.transmit(apdu), uid) }
    } catch (error) {
      if (error instanceof TagError) return readerFailure(error.type, error.message)
      throw error
    } finally {
      await card.disconnect(pcsc.CardDisposition.LEAVE).catch(() => {})
    }
  }

  return {
    readers: () => [...slots.keys()],
    write: (name, memory, wait) =>
      withCard(name, wait, async (tag, transmit, uid) => {
        await tag.write(transmit, memory)
        return { uid }
      }),
    read: (name, wait) =>
      withCard(name, wait, async (tag, transmit, uid) => ({
        uid,
        memory: await tag.read(transmit),
      })),
    close: async () => client.stop(),
  }
}
