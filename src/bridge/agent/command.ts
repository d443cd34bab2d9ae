import { homedir } from 'node:os'
import path from 'node:path'
import { openPcscDriver } from '../drivers/pcsc.js'
import type { TagReaderDriver } from '../drivers/tag-reader.js'
import {
  DEFAULT_VIRTUAL_READER,
  listVirtualReaders,
  openVirtualDriver,
  placeCard,
  takeCard,
  type VirtualTagType,
  virtualTagTypes,
} from '../drivers/virtual.js'
import { parseMifareKey } from '../nfc/mifare-classic.js'
import { type BridgeAgent, startBridgeAgent } from './agent.js'
import { pairBridge, serverUrls } from './pair.js'
import { loadCredentials, saveCredentials } from './state.js'

/**
 * What the CLI runs for `keysmith bridge` and for `keysmith bridge cards place` / `take`
 * (the virtual driver's cards). Errors are thrown as `Error`s whose message is
 * meant for the person at the front desk.
 */

export type BridgeDriverName = 'pcsc' | 'virtual'

/** `~/.keysmith-bridge`: where the pairing, held results and virtual readers live. */
export const defaultStateDir = (): string => path.join(homedir(), '.keysmith-bridge')

export interface RunBridgeOptions {
  /**
   * The server's base URL (`https://keysmith.example.com`; ws(s):// works too).
   * Needed to pair; otherwise the one in bridge.json is used, and another is refused.
   */
  server?: string
  /** Pairs first (storing bridge.json) when given: `--pairing-code`. */
  pairingCode?: string
  driver: BridgeDriverName
  /** `--state-dir`; `defaultStateDir()` when absent. */
  stateDir?: string
  /** `--card-wait-ms`: how long a job waits for a card unless it says; 30 s when absent. */
  cardWaitMs?: number
  /** Longest wait between reconnection tries (`--reconnect-max-ms`); 10 s when absent. */
  reconnectMaxMs?: number
  /** The virtual driver's readers (`--readers a,b`); `Virtual encoder 1` when absent. */
  readers?: string[]
  /**
   * The pcsc driver's key A for sectors 1 to 15 of MIFARE Classic cards
   * (`--mifare-key`): 12 hex digits; the transport key FFFFFFFFFFFF when absent.
   */
  mifareKey?: string
  /** Where the log lines go; stdout, each with its time, when absent. */
  log?: (line: string) => void
}

export interface RunningBridge {
  bridgeId: string
  /**
   * Settles when the bridge has stopped: resolves after `stop()`, rejects when the
   * server refused the bridge's token (the message says to pair again).
   */
  done: Promise<void>
  /** Stops the agent (what SIGINT / SIGTERM call) and closes the driver. */
  stop(): Promise<void>
}

const stdoutLog = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`)
}

const mifareKeyOption = (text: string): Uint8Array => {
  try {
    return parseMifareKey(text)
  } catch (error) {
    throw new Error(`--mifare-key: ${(error as Error).message}`)
  }
}

const openDriver = (options: RunBridgeOptions, stateDir: string): Promise<TagReaderDriver> => {
  switch (options.driver) {
    case 'pcsc':
      return openPcscDriver(
        options.mifareKey === undefined ? {} : { mifareKey: mifareKeyOption(options.mifareKey) },
      )
    case 'virtual':
      return openVirtualDriver(
        options.readers === undefined ? { stateDir } : { stateDir, readers: options.readers },
      )
    default:
      throw new Error(`--driver must be pcsc or virtual, got "${String(options.driver)}"`)
  }
}

/**
 * `keysmith bridge`: pairs when a pairing code is given, else uses the pairing in
 * the state dir; opens the readers' driver and runs the agent until `stop()`.
 */
export const runBridge = async (options: RunBridgeOptions): Promise<RunningBridge> => {
  const log = options.log ?? stdoutLog
  const stateDir = options.stateDir ?? defaultStateDir()
  const cardWaitMs = options.cardWaitMs ?? 30_000
  if (!Number.isInteger(cardWaitMs) || cardWaitMs <= 0) {
    throw new Error(`--card-wait-ms must be a positive number of milliseconds, got ${cardWaitMs}`)
  }
  if (options.driver !== 'pcsc' && options.driver !== 'virtual') {
    throw new Error(`--driver must be pcsc or virtual, got "${String(options.driver)}"`)
  }
  // A bad key is refused before pairing, not once the driver opens.
  if (options.mifareKey !== undefined) mifareKeyOption(options.mifareKey)

  let credentials = await loadCredentials(stateDir)
  if (options.pairingCode !== undefined) {
    if (!options.server) throw new Error('pairing needs --server <url>')
    serverUrls(options.server)
    const paired = await pairBridge({ server: options.server, pairingCode: options.pairingCode })
    credentials = {
      server: options.server,
      bridge_id: paired.bridge_id,
      bridge_token: paired.bridge_token,
    }
    await saveCredentials(stateDir, credentials)
    log(
      `paired with ${options.server} as bridge ${paired.bridge_id} (ACS system ${paired.acs_system_id}); kept in ${stateDir}`,
    )
  } else if (!credentials) {
    throw new Error('not paired: run with --pairing-code')
  } else if (options.server && options.server !== credentials.server) {
    // The token is for the server it was paired with; it is not sent elsewhere.
    throw new Error(
      `this bridge is paired with ${credentials.server}, not ${options.server}: pair again with --pairing-code`,
    )
  }

  const driver = await openDriver(options, stateDir)
  let closing: Promise<void> | undefined
  const closeDriver = () => {
    closing ??= driver.close().catch((error: Error) => {
      log(`could not close the readers' driver: ${error.message}`)
    })
    return closing
  }
  log(
    `driver ${options.driver}; readers: ${
      driver
        .readers()
        .map((name) => `"${name}"`)
        .join(', ') || 'none yet'
    }`,
  )

  let agent: BridgeAgent
  try {
    agent = await startBridgeAgent({
      server: credentials.server,
      token: credentials.bridge_token,
      driver,
      driverName: options.driver,
      stateDir,
      cardWaitMs,
      log,
      ...(options.reconnectMaxMs !== undefined
        ? {
            backoff: {
              initialMs: Math.min(250, options.reconnectMaxMs),
              maxMs: options.reconnectMaxMs,
            },
          }
        : {}),
    })
  } catch (error) {
    await closeDriver()
    throw error
  }
  const done = agent.done.finally(closeDriver)
  done.catch(() => {})
  return {
    bridgeId: credentials.bridge_id,
    done,
    stop: async () => {
      await agent.stop()
      await closeDriver()
    },
  }
}

const tagType = (type: string | undefined): VirtualTagType | undefined => {
  if (type === undefined) return undefined
  if (!(virtualTagTypes as readonly string[]).includes(type)) {
    throw new Error(`--type must be one of ${virtualTagTypes.join(', ')}, got "${type}"`)
  }
  return type as VirtualTagType
}

/** The reader named, else the only virtual reader there is, else `Virtual encoder 1`. */
const chooseReader = (stateDir: string, reader: string | undefined): string => {
  if (reader !== undefined) return reader
  const attached = listVirtualReaders(stateDir)
  if (attached.length > 1) {
    throw new Error(
      `there are ${attached.length} virtual readers (${attached.map((name) => `"${name}"`).join(', ')}): say which with --encoder`,
    )
  }
  return attached[0] ?? DEFAULT_VIRTUAL_READER
}

export interface CardsPlaceOptions {
  stateDir?: string
  /** `--encoder`: the virtual reader; the only one when absent. */
  reader?: string
  /** `--type`: ntag213, ntag215 (the default for a blank card), ntag216, mifare_classic_1k, mifare_desfire (a card Keysmith refuses). */
  type?: string
  /** `--file`: a card dump (raw bytes or hex) to put on the card; a blank card when absent. */
  file?: string
}

/** `keysmith bridge cards place`: puts a card on a virtual reader; returns the text to print. */
export const cardsPlace = async (options: CardsPlaceOptions): Promise<string> => {
  const stateDir = options.stateDir ?? defaultStateDir()
  const reader = chooseReader(stateDir, options.reader)
  const type = tagType(options.type)
  const card = await placeCard(
    stateDir,
    reader,
    options.file === undefined
      ? type === undefined
        ? { blank: true }
        : { blank: true, type }
      : type === undefined
        ? { file: options.file }
        : { file: options.file, type },
  )
  const what = options.file === undefined ? 'a blank' : `a card from ${options.file}:`
  return `placed ${what} ${card.type} with UID ${card.uid} on "${reader}"\n`
}

export interface CardsTakeOptions {
  stateDir?: string
  /** `--encoder`: the virtual reader; the only one when absent. */
  reader?: string
  /** `--file`: where to write the card's user memory (raw bytes) for `keysmith cards verify`. */
  file?: string
}

/** `keysmith bridge cards take`: takes the card off a virtual reader; returns the text to print. */
export const cardsTake = async (options: CardsTakeOptions): Promise<string> => {
  const stateDir = options.stateDir ?? defaultStateDir()
  const reader = chooseReader(stateDir, options.reader)
  const card = await takeCard(
    stateDir,
    reader,
    options.file === undefined ? {} : { file: options.file },
  )
  const kept = options.file === undefined ? '' : `; its memory is in ${options.file}`
  return `took the ${card.type} with UID ${card.uid} off "${reader}"${kept}\n`
}
