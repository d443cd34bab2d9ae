import WebSocket, { type RawData } from 'ws'
import type { ReaderErrorType, ReaderResult, TagReaderDriver } from '../drivers/tag-reader.js'
import {
  type AgentMessage,
  CLOSE_UNAUTHORIZED,
  type JobMessage,
  type JobResult,
  parseMessage,
  type ServerMessage,
  serverMessageSchema,
} from '../protocol.js'
import { serverUrls } from './pair.js'
import { holdResult, loadHeldResults, releaseResult } from './state.js'

/**
 * The bridge agent: connects out to the server over a WebSocket, tells it which
 * readers are attached, runs the jobs it is sent on them, and keeps every result
 * (in the state dir) until the server acknowledges it. See ../protocol.ts.
 */

/** Kept in step with package.json's version. */
export const AGENT_VERSION = '0.1.0'

/** The heartbeat assumed until the server's `welcome` tells its own. */
const DEFAULT_HEARTBEAT_MS = 10_000
/** Heartbeats of silence after which the connection is taken for dead. */
const SILENT_HEARTBEATS = 3
const HANDSHAKE_TIMEOUT_MS = 10_000
const MAX_READERS = 64
const MAX_RESULTS_PER_HELLO = 1000
const MAX_ERROR_MESSAGE = 1000
/** A scan's memory travels as at most 8192 characters of base64. */
const MAX_SCAN_BYTES = 6144

export interface BridgeAgentOptions {
  /** The server's base URL: http(s)://… (or ws(s)://…). */
  server: string
  /** The bridge's token, from pairing. */
  token: string
  driver: TagReaderDriver
  /** What the `hello` says drives the readers: `pcsc`, `virtual`. */
  driverName: string
  /** Where held results are kept (state.ts). */
  stateDir: string
  /** How long a job waits for a card when the job does not say; 30 s by default. */
  cardWaitMs?: number
  /** One readable line per thing that happened. */
  log?: (line: string) => void
  /** Reconnection delays: from `initialMs` (250) doubling to `maxMs` (10 s), with jitter. */
  backoff?: { initialMs: number; maxMs: number }
  /** How often the driver's readers are looked at for changes; 500 ms by default. */
  readersPollMs?: number
}

/** The server does not know the bridge's token (revoked, or never paired with it). */
export class BridgeUnauthorizedError extends Error {
  constructor() {
    super("this bridge's token was revoked or is unknown: pair again with --pairing-code")
  }
}

export interface BridgeAgent {
  /**
   * Settles when the agent has stopped: resolves after `stop()`, rejects with a
   * `BridgeUnauthorizedError` when the server refused the token.
   */
  readonly done: Promise<void>
  /** Whether the agent is connected and welcomed now. */
  readonly connected: boolean
  /** Stops waiting for cards (the results of the jobs cut short are kept), then disconnects. */
  stop(): Promise<void>
}

const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8')

const failure = (type: ReaderErrorType, message: string): JobResult => ({
  ok: false,
  error: { type, message: message.slice(0, MAX_ERROR_MESSAGE) },
})

const resultOf = <T extends { uid: string; memory?: Uint8Array }>(
  outcome: ReaderResult<T>,
): JobResult => {
  if (!outcome.ok) return failure(outcome.error.type, outcome.error.message)
  const { uid, memory } = outcome.value
  if (memory === undefined) return { ok: true, uid }
  if (memory.length > MAX_SCAN_BYTES) {
    return failure(
      'incompatible_card_format',
      `the card holds ${memory.length} bytes; a scan carries at most ${MAX_SCAN_BYTES}`,
    )
  }
  return { ok: true, uid, memory: Buffer.from(memory).toString('base64') }
}

const describeResult = (result: JobResult): string =>
  result.ok ? `done, card ${result.uid}` : `failed, ${result.error.type}: ${result.error.message}`

/** Connects and keeps connecting until `stop()` (or a refused token). */
export const startBridgeAgent = async (options: BridgeAgentOptions): Promise<BridgeAgent> => {
  const { connectUrl } = serverUrls(options.server)
  const { driver, stateDir } = options
  const log = options.log ?? (() => {})
  const cardWaitMs = options.cardWaitMs ?? 30_000
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 }

  /** Results not acknowledged yet, by job id (persisted before they go in here). */
  const held = new Map<string, JobResult>()
  for (const { job_id, result } of await loadHeldResults(stateDir)) held.set(job_id, result)
  if (held.size > 0) log(`${held.size} result(s) from an earlier run are waiting for the server`)
  /** Jobs running now, to cancel. */
  const running = new Map<string, AbortController>()
  const jobs = new Set<Promise<void>>()
  /** Every job run (or acknowledged) in this run: none runs twice. */
  const finished = new Set<string>()

  let socket: WebSocket | undefined
  let welcomed = false
  let heartbeatMs = DEFAULT_HEARTBEAT_MS
  let watchdog: NodeJS.Timeout | undefined
  let reconnectTimer: NodeJS.Timeout | undefined
  let attempt = 0
  let stopping = false
  let sentReaders: string[] = []
  let readersTimer: NodeJS.Timeout | undefined

  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // Whoever awaits `done` sees the rejection; nobody awaiting it is no crash.
  done.catch(() => {})

  const readersNow = (): string[] => {
    try {
      // What the protocol carries: up to 64 names of 1 to 200 characters.
      const names = driver.readers().filter((name) => name.length > 0 && name.length <= 200)
      return [...new Set(names)].sort().slice(0, MAX_READERS)
    } catch (error) {
      log(`could not list the readers: ${(error as Error).message}`)
      return sentReaders
    }
  }

  const send = (message: AgentMessage): boolean => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false
    socket.send(JSON.stringify(message))
    return true
  }

  const sendResult = (jobId: string, result: JobResult) => {
    send({ type: 'result', job_id: jobId, result })
  }

  const runJob = async (job: JobMessage): Promise<void> => {
    const controller = new AbortController()
    running.set(job.job_id, controller)
    finished.add(job.job_id)
    log(`job ${job.job_id}: ${job.operation} on "${job.reader}"`)
    const wait = { cardWaitMs: job.card_wait_ms ?? cardWaitMs, signal: controller.signal }
    let result: JobResult
    try {
      result = resultOf(
        job.operation === 'encode'
          ? await driver.write(job.reader, new Uint8Array(Buffer.from(job.memory, 'base64')), wait)
          : await driver.read(job.reader, wait),
      )
    } catch (error) {
      const reason: unknown = controller.signal.reason
      result = controller.signal.aborted
        ? failure('uncategorized_error', reason instanceof Error ? reason.message : 'cancelled')
        : failure('uncategorized_error', `the reader driver failed: ${(error as Error).message}`)
    }
    try {
      await holdResult(stateDir, { job_id: job.job_id, result })
    } catch (error) {
      log(`job ${job.job_id}: could not keep its result on disk: ${(error as Error).message}`)
    }
    held.set(job.job_id, result)
    running.delete(job.job_id)
    log(`job ${job.job_id}: ${describeResult(result)}`)
    sendResult(job.job_id, result)
  }

  const onJob = (job: JobMessage) => {
    const kept = held.get(job.job_id)
    if (kept) {
      log(`job ${job.job_id}: sent again; its result is sent again`)
      sendResult(job.job_id, kept)
      return
    }
    if (running.has(job.job_id)) return
    if (finished.has(job.job_id)) {
      log(`job ${job.job_id}: sent again after its result was acknowledged; not run again`)
      return
    }
    if (stopping) return
    const promise = runJob(job)
    jobs.add(promise)
    void promise.finally(() => jobs.delete(promise))
  }

  const onMessage = (message: ServerMessage) => {
    switch (message.type) {
      case 'welcome':
        welcomed = true
        attempt = 0
        if (message.heartbeat_ms > 0) heartbeatMs = message.heartbeat_ms
        log(`connected to ${connectUrl} as bridge ${message.bridge_id}`)
        return
      case 'job':
        onJob(message)
        return
      case 'ack':
        finished.add(message.job_id)
        if (held.delete(message.job_id)) {
          releaseResult(stateDir, message.job_id).catch((error: Error) =>
            log(`job ${message.job_id}: could not delete its result: ${error.message}`),
          )
        }
        return
      case 'cancel': {
        const controller = running.get(message.job_id)
        if (controller) {
          log(`job ${message.job_id}: cancelled by the server`)
          controller.abort(new Error('The server cancelled the job before a card was encoded.'))
        }
        return
      }
    }
  }

  const stopTimers = () => {
    clearTimeout(watchdog)
    clearTimeout(reconnectTimer)
    clearInterval(readersTimer)
  }

  const fail = (error: Error) => {
    if (stopping) return
    stopping = true
    stopTimers()
    log(error.message)
    for (const controller of running.values()) controller.abort(new Error('The bridge stopped.'))
    settle?.reject(error)
  }

  const scheduleReconnect = (why: string) => {
    const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30))
    attempt += 1
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
    log(`${why}; connecting again in ${delay} ms`)
    reconnectTimer = setTimeout(connect, delay)
  }

  const connect = () => {
    if (stopping) return
    const ws = new WebSocket(connectUrl, {
      headers: { authorization: `Bearer ${options.token}` },
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    })
    socket = ws
    let refused = false
    let lastError: string | undefined

    /** Anything from the server (a frame, a ping) proves the connection alive. */
    const heard = () => {
      clearTimeout(watchdog)
      watchdog = setTimeout(() => {
        if (socket !== ws) return
        lastError = `heard nothing from the server for ${SILENT_HEARTBEATS * heartbeatMs} ms`
        ws.terminate()
      }, SILENT_HEARTBEATS * heartbeatMs)
    }

    ws.on('unexpected-response', (_request, response) => {
      refused = response.statusCode === 401
      lastError = `the server answered ${response.statusCode} instead of a WebSocket`
      response.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      if (socket !== ws) return
      heard()
      sentReaders = readersNow()
      send({
        type: 'hello',
        agent_version: AGENT_VERSION,
        driver: options.driverName,
        readers: sentReaders,
        results: [...held]
          .slice(0, MAX_RESULTS_PER_HELLO)
          .map(([job_id, result]) => ({ job_id, result })),
      })
    })
    ws.on('ping', heard)
    ws.on('pong', heard)
    ws.on('message', (data, isBinary) => {
      if (socket !== ws) return
      if (!isBinary) {
        const message = parseMessage(serverMessageSchema, textOf(data))
        if (message) onMessage(message)
        else log('ignored a frame that is not a valid message')
      }
      // After the message: a welcome sets the heartbeat the silence is measured in.
      heard()
    })
    ws.on('error', (error) => {
      // The first cause, not the abort that follows it.
      lastError ??= error.message
    })
    ws.on('close', (code, reason) => {
      if (socket !== ws) return
      socket = undefined
      welcomed = false
      clearTimeout(watchdog)
      if (stopping) return
      if (code === CLOSE_UNAUTHORIZED || refused) return fail(new BridgeUnauthorizedError())
      const detail = lastError ?? `closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`
      scheduleReconnect(`disconnected from ${connectUrl}: ${detail}`)
    })
  }

  let loggedReaders = readersNow()
  const watchReaders = () => {
    const now = readersNow()
    if (now.join('\n') !== loggedReaders.join('\n')) {
      log(`readers: ${now.map((name) => `"${name}"`).join(', ') || 'none'}`)
      loggedReaders = now
    }
    if (now.join('\n') === sentReaders.join('\n')) return
    // Not connected: the next hello carries them.
    if (send({ type: 'readers', readers: now })) sentReaders = now
  }

  const stop = async (): Promise<void> => {
    if (!stopping) {
      stopping = true
      stopTimers()
      for (const controller of running.values()) controller.abort(new Error('The bridge stopped.'))
      await Promise.allSettled([...jobs])
      const ws = socket
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => ws.terminate(), 2_000)
          ws.once('close', () => {
            clearTimeout(force)
            resolve()
          })
          ws.close(1000, 'bridge stopped')
        })
      }
      socket = undefined
      settle?.resolve()
    }
    await done.catch(() => {})
  }

  readersTimer = setInterval(watchReaders, options.readersPollMs ?? 500)
  connect()
  return {
    done,
    get connected() {
      return welcomed
    },
    stop,
  }
}
