import { randomBytes } from 'node:crypto'
import { type Dirent, readdirSync } from 'node:fs'
import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { readDump } from '../../cards/format.js'
import { writeFileAtomic } from '../atomic-file.js'
import {
  type CardWait,
  type ReaderResult,
  readerFailure,
  type TagReaderDriver,
} from './tag-reader.js'

/**
 * Virtual encoders whose cards are files, for a bridge without hardware (a demo, a
 * test, a developer's laptop). Each reader is a folder of the state dir:
 *
 *     <stateDir>/virtual/<reader name, percent-encoded>/card.json   { uid, type }
 *     <stateDir>/virtual/<reader name, percent-encoded>/card.bin    the user memory
 *
 * A card lies on a reader while its `card.json` is there. `keysmith bridge cards place`
 * and `keysmith bridge cards take` (placeCard / takeCard below) put cards down and pick
 * them up; adding or removing a reader's folder attaches or detaches the reader.
 * Every file is written to a temporary name first and renamed into place.
 */

export const virtualTagTypes = [
  'ntag213',
  'ntag215',
  'ntag216',
  'mifare_classic_1k',
  'mifare_desfire',
] as const
export type VirtualTagType = (typeof virtualTagTypes)[number]

/**
 * User memory of each type, in bytes (NTAG: pages 4 to the last user page; MIFARE
 * Classic 1K: the data blocks of sectors 1 to 15). A MIFARE DESFire (an ISO
 * 14443-4 card with files, not a storage card) is not a tag Keysmith writes or
 * reads: either is `incompatible_card_format` on it.
 */
export const userMemorySize: Record<VirtualTagType, number> = {
  ntag213: 144,
  ntag215: 504,
  ntag216: 888,
  mifare_classic_1k: 720,
  mifare_desfire: 0,
}

const writable = (type: VirtualTagType): boolean => type !== 'mifare_desfire'

const refused = (reader: string, card: VirtualCard) =>
  readerFailure(
    'incompatible_card_format',
    `The card on ${reader} is a ${card.type}, not a card Keysmith writes: NTAG213/215/216 and MIFARE Classic 1K.`,
  )

export const DEFAULT_VIRTUAL_READER = 'Virtual encoder 1'

const CARD_JSON = 'card.json'
const CARD_BIN = 'card.bin'
/** How often a waiting operation looks for a card. */
const POLL_MS = 25

export interface VirtualCard {
  uid: string
  type: VirtualTagType
}

export interface VirtualDriverOptions {
  stateDir: string
  /** Readers to attach (their folders are created); `Virtual encoder 1` if none. */
  readers?: string[]
  /**
   * Test hook: called after the memory was written and before it is read back,
   * where a test takes the card away to see `encoding_interrupted`.
   */
  beforeReadback?: (reader: string) => Promise<void> | void
}

/** A reader name as a folder name: percent-encoded, dots too (no `.` or `..`). */
const folderName = (reader: string): string =>
  encodeURIComponent(reader).replace(
    /[.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )

const readerName = (folder: string): string | undefined => {
  try {
    const name = decodeURIComponent(folder)
    return name.length > 0 && folderName(name).toLowerCase() === folder.toLowerCase()
      ? name
      : undefined
  } catch {
    return undefined
  }
}

const readersDir = (stateDir: string): string => path.join(stateDir, 'virtual')
const readerDir = (stateDir: string, reader: string): string =>
  path.join(readersDir(stateDir), folderName(reader))

const isMissing = (error: unknown): boolean =>
  (error as NodeJS.ErrnoException).code === 'ENOENT' ||
  (error as NodeJS.ErrnoException).code === 'ENOTDIR'

/** The readers attached now: the folders under `<stateDir>/virtual`. */
export const listVirtualReaders = (stateDir: string): string[] => {
  let entries: Dirent[]
  try {
    entries = readdirSync(readersDir(stateDir), { withFileTypes: true })
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => readerName(entry.name))
    .filter((name): name is string => name !== undefined)
    .sort()
}

/** Attaches a virtual reader (creates its folder); nothing happens if it is attached. */
export const addVirtualReader = async (stateDir: string, reader: string): Promise<void> => {
  if (reader.length === 0) throw new Error('a reader needs a name')
  await mkdir(readerDir(stateDir, reader), { recursive: true })
}

/** Detaches a virtual reader, with the card on it if any. */
export const removeVirtualReader = async (stateDir: string, reader: string): Promise<void> => {
  await rm(readerDir(stateDir, reader), { recursive: true, force: true })
}

const readerAttached = async (stateDir: string, reader: string): Promise<boolean> => {
  try {
    return (await stat(readerDir(stateDir, reader))).isDirectory()
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

const isTagType = (value: unknown): value is VirtualTagType =>
  typeof value === 'string' && (virtualTagTypes as readonly string[]).includes(value)

/** The card on `reader`, or undefined when there is none (or its file is unreadable). */
const cardOn = async (stateDir: string, reader: string): Promise<VirtualCard | undefined> => {
  let text: string
  try {
    text = await readFile(path.join(readerDir(stateDir, reader), CARD_JSON), 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null) return undefined
    const { uid, type } = parsed as Record<string, unknown>
    if (typeof uid !== 'string' || uid.length === 0 || !isTagType(type)) return undefined
    return { uid, type }
  } catch {
    return undefined
  }
}

const memoryOf = async (
  stateDir: string,
  reader: string,
  card: VirtualCard,
): Promise<Uint8Array | undefined> => {
  try {
    const file = await readFile(path.join(readerDir(stateDir, reader), CARD_BIN))
    const memory = new Uint8Array(userMemorySize[card.type])
    memory.set(file.subarray(0, memory.length))
    return memory
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** A blank card's user memory: an empty NDEF message, then zeros. */
const blankMemory = (type: VirtualTagType): Uint8Array => {
  const memory = new Uint8Array(userMemorySize[type])
  if (writable(type)) memory.set([0x03, 0x00, 0xfe])
  return memory
}

/**
 * A random UID in upper-case hex: four bytes on a MIFARE Classic 1K, else seven,
 * the first 04 (NXP) as on an NTAG.
 */
const randomUid = (type: VirtualTagType): string =>
  Buffer.from(type === 'mifare_classic_1k' ? randomBytes(4) : [0x04, ...randomBytes(6)])
    .toString('hex')
    .toUpperCase()

export type PlaceCardOptions = (
  | { blank: true; type?: VirtualTagType }
  /** A card dump: the user memory as raw bytes or hex text (`readDump`). */
  | { file: string; type?: VirtualTagType }
) & {
  /** The card's UID (upper-case hex); a random one of the type's length when absent. */
  uid?: string
}

/**
 * Puts a card on a virtual reader (in place of the card there, if any): a blank
 * one of `type` (NTAG215 by default), or one holding a dump (on the type given,
 * else the smallest of NTAG215 / NTAG216 it fits in). Returns the card.
 */
export const placeCard = async (
  stateDir: string,
  reader: string,
  options: PlaceCardOptions,
): Promise<VirtualCard> => {
  if (!(await readerAttached(stateDir, reader))) {
    const attached = listVirtualReaders(stateDir)
    throw new Error(
      `no virtual reader named "${reader}" (attached: ${attached.map((name) => `"${name}"`).join(', ') || 'none'})`,
    )
  }
  let memory: Uint8Array
  let type: VirtualTagType
  if ('file' in options) {
    const dump = readDump(await readFile(options.file))
    const fitting =
      options.type ??
      (['ntag215', 'ntag216'] as const).find(
        (candidate) => dump.length <= userMemorySize[candidate],
      )
    if (!fitting || dump.length > userMemorySize[fitting]) {
      throw new Error(
        `the dump is ${dump.length} bytes; ${fitting ?? 'an NTAG216'} holds ${userMemorySize[fitting ?? 'ntag216']}`,
      )
    }
    type = fitting
    memory = new Uint8Array(userMemorySize[type])
    memory.set(dump)
  } else {
    type = options.type ?? 'ntag215'
    memory = blankMemory(type)
  }
  const card: VirtualCard = { uid: options.uid ?? randomUid(type), type }
  const dir = readerDir(stateDir, reader)
  // The memory first: the card is on the reader once card.json is.
  await rm(path.join(dir, CARD_JSON), { force: true })
  await writeFileAtomic(path.join(dir, CARD_BIN), memory)
  await writeFileAtomic(path.join(dir, CARD_JSON), `${JSON.stringify(card)}\n`)
  return card
}

/**
 * Takes the card off a virtual reader. With `file`, its user memory is written
 * there as raw bytes first (what `keysmith cards verify` reads).
 */
export const takeCard = async (
  stateDir: string,
  reader: string,
  options: { file?: string } = {},
): Promise<VirtualCard & { memory: Uint8Array }> => {
  const card = await cardOn(stateDir, reader)
  const memory = card && (await memoryOf(stateDir, reader, card))
  if (!card || !memory) throw new Error(`there is no card on "${reader}"`)
  if (options.file) await writeFileAtomic(options.file, memory)
  const dir = readerDir(stateDir, reader)
  await rm(path.join(dir, CARD_JSON), { force: true })
  await rm(path.join(dir, CARD_BIN), { force: true })
  return { ...card, memory }
}

const delay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** Opens the virtual readers in `stateDir` (creating the folders of `readers`). */
export const openVirtualDriver = async (
  options: VirtualDriverOptions,
): Promise<TagReaderDriver> => {
  const { stateDir } = options
  for (const reader of options.readers?.length ? options.readers : [DEFAULT_VIRTUAL_READER]) {
    await addVirtualReader(stateDir, reader)
  }
  let closed = false

  /**
   * Waits for a card on `reader`: the card, or a failure once the reader is gone
   * or `cardWaitMs` is over. Rejects with the signal's reason when it fires.
   */
  const waitForCard = async (
    reader: string,
    wait: CardWait,
  ): Promise<ReaderResult<VirtualCard>> => {
    if (wait.signal.aborted) throw wait.signal.reason
    const deadline = Date.now() + wait.cardWaitMs
    for (;;) {
      if (closed) return readerFailure('encoder_not_online', 'The virtual driver was closed.')
      if (!(await readerAttached(stateDir, reader))) {
        return readerFailure('encoder_not_online', `No reader named "${reader}" is attached.`)
      }
      const card = await cardOn(stateDir, reader)
      if (card) return { ok: true, value: card }
      const remaining = deadline - Date.now()
      if (remaining <= 0) {
        return readerFailure(
          'no_credential_on_encoder',
          `No card was put on ${reader} within ${wait.cardWaitMs} ms.`,
        )
      }
      await delay(Math.min(POLL_MS, remaining), wait.signal)
    }
  }

  const sameCard = async (reader: string, card: VirtualCard): Promise<boolean> =>
    (await cardOn(stateDir, reader))?.uid === card.uid

  const write = async (
    reader: string,
    memory: Uint8Array,
    wait: CardWait,
  ): Promise<ReaderResult<{ uid: string }>> => {
    const found = await waitForCard(reader, wait)
    if (!found.ok) return found
    const card = found.value
    if (!writable(card.type)) return refused(reader, card)
    const capacity = userMemorySize[card.type]
    if (memory.length > capacity) {
      return readerFailure(
        'incompatible_card_format',
        `The card holds ${capacity} bytes; this credential needs ${memory.length}.`,
      )
    }
    const current = await memoryOf(stateDir, reader, card)
    if (!current || !(await sameCard(reader, card))) {
      return readerFailure(
        'encoding_interrupted',
        `The card was taken off ${reader} before writing.`,
      )
    }
    const next = new Uint8Array(current)
    next.set(memory)
    try {
      await writeFileAtomic(path.join(readerDir(stateDir, reader), CARD_BIN), next)
    } catch (error) {
      if (isMissing(error)) {
        return readerFailure('encoding_interrupted', `${reader} went away during the write.`)
      }
      throw error
    }
    await options.beforeReadback?.(reader)
    const back = (await sameCard(reader, card)) && (await memoryOf(stateDir, reader, card))
    if (!back) {
      return readerFailure(
        'encoding_interrupted',
        `The card was taken off ${reader} during the write.`,
      )
    }
    if (!Buffer.from(back.subarray(0, memory.length)).equals(memory)) {
      return readerFailure('encoding_interrupted', 'The card did not keep what was written.')
    }
    return { ok: true, value: { uid: card.uid } }
  }

  const read = async (
    reader: string,
    wait: CardWait,
  ): Promise<ReaderResult<{ uid: string; memory: Uint8Array }>> => {
    const found = await waitForCard(reader, wait)
    if (!found.ok) return found
    const card = found.value
    if (!writable(card.type)) return refused(reader, card)
    const memory = await memoryOf(stateDir, reader, card)
    if (!memory || !(await sameCard(reader, card))) {
      return readerFailure(
        'encoding_interrupted',
        `The card was taken off ${reader} during the read.`,
      )
    }
    return { ok: true, value: { uid: card.uid, memory } }
  }

  return {
    readers: () => (closed ? [] : listVirtualReaders(stateDir)),
    write,
    read,
    close: async () => {
      closed = true
    },
  }
}
