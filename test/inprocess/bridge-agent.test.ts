import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, test } from 'node:test'
import { type WebSocket, WebSocketServer } from 'ws'
import {
  type BridgeAgent,
  type BridgeAgentOptions,
  BridgeUnauthorizedError,
  startBridgeAgent,
} from '../../src/bridge/agent/agent.js'
import type { TagReaderDriver } from '../../src/bridge/drivers/tag-reader.js'
import {
  addVirtualReader,
  DEFAULT_VIRTUAL_READER,
  openVirtualDriver,
  placeCard,
  removeVirtualReader,
  takeCard,
} from '../../src/bridge/drivers/virtual.js'
import {
  type AgentMessage,
  agentMessageSchema,
  BRIDGE_CONNECT_PATH,
  CLOSE_UNAUTHORIZED,
  type ServerMessage,
} from '../../src/bridge/protocol.js'
import { eventually } from '../support/poll.js'

/**
 * The bridge agent in the test process, with the virtual driver, against a fake
 * hub: a WebSocket server speaking the bridge protocol that the test steers (it
 * welcomes, sends jobs and acks, pings or stays silent, drops connections).
 */

const TOKEN = 'test-bridge-token'
const BRIDGE_ID = '5b0c8c55-3f4e-4a0c-9d8e-1c2b3a4d5e6f'

interface HubConnection {
  ws: WebSocket
  authorization: string | undefined
  messages: AgentMessage[]
  /** Frames the agent sent that are not valid agent messages. */
  invalid: string[]
  pings: number
  closed: boolean
}

interface HubOptions {
  port?: number
  heartbeatMs?: number
  /** Ping every this many ms; no pings when absent. */
  pingEveryMs?: number
  /** Welcome every hello (the default). */
  welcome?: boolean
}

class FakeHub {
  readonly connections: HubConnection[] = []
  #timers = new Set<NodeJS.Timeout>()

  private constructor(
    readonly wss: WebSocketServer,
    readonly options: HubOptions,
  ) {
    wss.on('connection', (ws, request) => this.#accept(ws, request.headers.authorization))
  }

  static start(options: HubOptions = {}): Promise<FakeHub> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host: '127.0.0.1',
        port: options.port ?? 0,
        path: BRIDGE_CONNECT_PATH,
      })
      wss.once('error', reject)
      wss.once('listening', () => resolve(new FakeHub(wss, options)))
    })
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get latest(): HubConnection {
    const connection = this.connections.at(-1)
    assert.ok(connection, 'no agent has connected')
    return connection
  }

  #accept(ws: WebSocket, authorization: string | undefined): void {
    const connection: HubConnection = {
      ws,
      authorization,
      messages: [],
      invalid: [],
      pings: 0,
      closed: false,
    }
    this.connections.push(connection)
    ws.on('close', () => {
      connection.closed = true
    })
    ws.on('message', (data) => {
      const text = data.toString()
      const parsed = agentMessageSchema.safeParse(JSON.parse(text))
      if (!parsed.success) {
        connection.invalid.push(text)
        return
      }
      connection.messages.push(parsed.data)
      if (parsed.data.type === 'hello' && this.options.welcome !== false) {
        this.send(connection, {
          type: 'welcome',
          bridge_id: BRIDGE_ID,
          heartbeat_ms: this.options.heartbeatMs ?? 10_000,
        })
      }
    })
    if (this.options.pingEveryMs !== undefined) {
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return
        ws.ping()
        connection.pings += 1
      }, this.options.pingEveryMs)
      this.#timers.add(timer)
      ws.on('close', () => {
        clearInterval(timer)
        this.#timers.delete(timer)
      })
    }
  }

  send(connection: HubConnection, message: ServerMessage | string): void {
    connection.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Waits for a message of `type` (matching `where`) from the agent on `connection`. */
  message<T extends AgentMessage['type']>(
    connection: HubConnection,
    type: T,
    where: (message: Extract<AgentMessage, { type: T }>) => boolean = () => true,
  ): Promise<Extract<AgentMessage, { type: T }>> {
    return eventually(
      async () =>
        connection.messages.find(
          (message): message is Extract<AgentMessage, { type: T }> =>
            message.type === type && where(message as Extract<AgentMessage, { type: T }>),
        ),
      { what: `a ${type} message` },
    )
  }

  /** The `index`th connection (from 0), once the agent has made it and said hello. */
  connection(index: number): Promise<HubConnection> {
    return eventually(
      async () => {
        const connection = this.connections[index]
        return connection?.messages.some((message) => message.type === 'hello')
          ? connection
          : undefined
      },
      { what: `connection ${index + 1} to say hello` },
    )
  }

  /** Goes away: every connection dropped, the port closed. */
  close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer)
    for (const client of this.wss.clients) client.terminate()
    return new Promise((resolve) => this.wss.close(() => resolve()))
  }
}

/** The virtual driver, counting the operations the agent asks of it. */
const countingDriver = (driver: TagReaderDriver) => {
  const calls = { write: 0, read: 0 }
  const counted: TagReaderDriver = {
    readers: () => driver.readers(),
    write: (reader, memory, wait) => {
      calls.write += 1
      return driver.write(reader, memory, wait)
    },
    read: (reader, wait) => {
      calls.read += 1
      return driver.read(reader, wait)
    },
    close: () => driver.close(),
  }
  return { driver: counted, calls }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const setup = async (hubOptions: HubOptions = {}) => {
  const hub = await FakeHub.start(hubOptions)
  cleanups.push(() => hub.close())
  const stateDir = await mkdtemp(path.join(tmpdir(), 'keysmith-bridge-agent-'))
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }))
  const virtual = await openVirtualDriver({ stateDir })
  cleanups.push(() => virtual.close())
  const { driver, calls } = countingDriver(virtual)
  const lines: string[] = []
  const start = async (overrides: Partial<BridgeAgentOptions> = {}): Promise<BridgeAgent> => {
    const agent = await startBridgeAgent({
      server: hub.url,
      token: TOKEN,
      driver,
      driverName: 'virtual',
      stateDir,
      cardWaitMs: 5_000,
      log: (line) => lines.push(line),
      backoff: { initialMs: 20, maxMs: 200 },
      readersPollMs: 50,
      ...overrides,
    })
    cleanups.push(() => agent.stop())
    return agent
  }
  return { hub, stateDir, driver, calls, lines, start }
}

const encodeJob = (memory: Uint8Array, overrides: { job_id?: string; reader?: string } = {}) =>
  ({
    type: 'job',
    job_id: overrides.job_id ?? randomUUID(),
    reader: overrides.reader ?? DEFAULT_VIRTUAL_READER,
    operation: 'encode',
    memory: Buffer.from(memory).toString('base64'),
  }) satisfies ServerMessage

const resultFile = (stateDir: string, jobId: string) =>
  path.join(stateDir, 'results', `${jobId}.json`)

describe('bridge agent', { timeout: 60_000 }, () => {
  test('connects with its token and says hello with the readers and no results', async () => {
    const { hub, start } = await setup()
    const agent = await start()
    const connection = await hub.connection(0)
    assert.equal(connection.authorization, `Bearer ${TOKEN}`)
    const hello = await hub.message(connection, 'hello')
    assert.deepEqual(hello.readers, [DEFAULT_VIRTUAL_READER])
    assert.equal(hello.driver, 'virtual')
    assert.deepEqual(hello.results, [])
    await eventually(async () => (agent.connected ? true : undefined), { what: 'the welcome' })
  })

  test('writes a job onto the card and holds the result until the server acks it', async () => {
    const { hub, stateDir, start } = await setup()
    await start()
    const connection = await hub.connection(0)
    const card = await placeCard(stateDir, DEFAULT_VIRTUAL_READER, { blank: true })
    // Frames that are not messages are ignored.
    hub.send(connection, 'not json')
    hub.send(connection, JSON.stringify({ type: 'job', job_id: 'nope' }))
    const memory = Uint8Array.from({ length: 48 }, (_, i) => 255 - i)
    const job = encodeJob(memory)
    hub.send(connection, job)
    const result = await hub.message(connection, 'result', (m) => m.job_id === job.job_id)
    assert.deepEqual(result.result, { ok: true, uid: card.uid })
    assert.deepEqual(connection.invalid, [])
    const taken = await takeCard(stateDir, DEFAULT_VIRTUAL_READER)
    assert.deepEqual(taken.memory.subarray(0, memory.length), memory)
    // Held on disk until the ack.
    const held = JSON.parse(await readFile(resultFile(stateDir, job.job_id), 'utf8'))
    assert.deepEqual(held, { job_id: job.job_id, result: result.result })
    hub.send(connection, { type: 'ack', job_id: job.job_id })
    await eventually(
      async () => (existsSync(resultFile(stateDir, job.job_id)) ? undefined : true),
      {
        what: 'the held result to be deleted',
      },
    )
  })

  test('scans a card: its UID and whole user memory', async () => {
    const { hub, stateDir, start } = await setup()
    await start()
    const connection = await hub.connection(0)
    const card = await placeCard(stateDir, DEFAULT_VIRTUAL_READER, {
      blank: true,
      type: 'ntag213',
    })
    const jobId = randomUUID()
    hub.send(connection, {
      type: 'job',
      job_id: jobId,
      reader: DEFAULT_VIRTUAL_READER,
      operation: 'scan',
    })
    const { result } = await hub.message(connection, 'result', (m) => m.job_id === jobId)
    assert.ok(result.ok)
    assert.equal(result.uid, card.uid)
    const memory = Buffer.from(result.memory ?? '', 'base64')
    assert.equal(memory.length, 144)
    assert.deepEqual([...memory.subarray(0, 3)], [0x03, 0x00, 0xfe])
  })

  test('a result not acked comes again in the next hello, and the job sent again is not run again', async () => {
    const { hub, stateDir, calls, start, lines } = await setup()
    await start()
    const first = await hub.connection(0)
    const card = await placeCard(stateDir, DEFAULT_VIRTUAL_READER, { blank: true })
    const job = encodeJob(Uint8Array.of(1, 2, 3, 4, 5))
    hub.send(first, job)
    const result = await hub.message(first, 'result', (m) => m.job_id === job.job_id)
    assert.deepEqual(result.result, { ok: true, uid: card.uid })
    // The connection drops before the server acks.
    first.ws.terminate()
    const second = await hub.connection(1)
    const hello = await hub.message(second, 'hello')
    assert.deepEqual(hello.results, [{ job_id: job.job_id, result: result.result }])
    // The card is gone: a job run again would fail; this one is answered from what is held.
    await takeCard(stateDir, DEFAULT_VIRTUAL_READER)
    hub.send(second, job)
    const again = await hub.message(second, 'result', (m) => m.job_id === job.job_id)
    assert.deepEqual(again.result, result.result)
    assert.equal(calls.write, 1)
    // Acked: gone from disk, and a job sent after its ack is not run either.
    hub.send(second, { type: 'ack', job_id: job.job_id })
    await eventually(
      async () => (existsSync(resultFile(stateDir, job.job_id)) ? undefined : true),
      {
        what: 'the held result to be deleted',
      },
    )
    hub.send(second, job)
    await eventually(async () =>
      lines.some((l) =>
        l.includes(`job ${job.job_id}: sent again after its result was acknowledged`),
      )
        ? true
        : undefined,
    )
    assert.equal(calls.write, 1)
  })

  test('a job sent again while it runs is not run twice', async () => {
    const { hub, stateDir, calls, start } = await setup()
    await start()
    const connection = await hub.connection(0)
    const job = encodeJob(Uint8Array.of(9, 9, 9))
    hub.send(connection, job)
    hub.send(connection, job)
    await eventually(async () => (calls.write === 1 ? true : undefined), { what: 'the write' })
    hub.send(connection, job)
    const card = await placeCard(stateDir, DEFAULT_VIRTUAL_READER, { blank: true })
    const result = await hub.message(connection, 'result', (m) => m.job_id === job.job_id)
    assert.deepEqual(result.result, { ok: true, uid: card.uid })
    assert.equal(connection.messages.filter((m) => m.type === 'result').length, 1)
    assert.equal(calls.write, 1)
  })

  test('held results survive a restart of the agent', async () => {
    const { hub, stateDir, start } = await setup()
    const agent = await start()
    const first = await hub.connection(0)
    await placeCard(stateDir, DEFAULT_VIRTUAL_READER, { blank: true })
    const job = encodeJob(Uint8Array.of(7))
    hub.send(first, job)
    const result = await hub.message(first, 'result', (m) => m.job_id === job.job_id)
    await agent.stop()
    await start()
    const second = await hub.connection(1)
    const hello = await hub.message(second, 'hello')
    assert.deepEqual(hello.results, [{ job_id: job.job_id, result: result.result }])
  })

  test('results of jobs run while disconnected go in the next hello', async () => {
    const { hub, stateDir, start, lines } = await setup()
    await start({ cardWaitMs: 10_000 })
    const first = await hub.connection(0)
    const job = encodeJob(Uint8Array.of(4, 4))
    hub.send(first, job)
    await eventually(async () => (lines.some((l) => l.includes(job.job_id)) ? true : undefined))
    const port = hub.port
    await hub.close()
    await eventually(async () => (lines.some((l) => l.includes('disconnected')) ? true : undefined))
    // The card comes while no server is there.
    const card = await placeCard(stateDir, DEFAULT_VIRTUAL_READER, { blank: true })
    await eventually(async () => (existsSync(resultFile(stateDir, job.job_id)) ? true : undefined))
    const back = await FakeHub.start({ port })
    cleanups.push(() => back.close())
    const connection = await back.connection(0)
    const hello = await back.message(connection, 'hello')
    assert.deepEqual(hello.results, [{ job_id: job.job_id, result: { ok: true, uid: card.uid } }])
  })

  test('reconnects when the server goes away and comes back on the same port', async () => {
    const { hub, start, lines } = await setup()
    const agent = await start()
    await hub.connection(0)
    const port = hub.port
    await hub.close()
    await eventually(async () => (agent.connected ? undefined : true), { what: 'the drop' })
    // Tries again (with backoff) while nobody listens.
    await eventually(async () =>
      lines.filter((l) => l.includes('connecting again')).length >= 3 ? true : undefined,
    )
    const back = await FakeHub.start({ port })
    cleanups.push(() => back.close())
    const connection = await back.connection(0)
    assert.equal(connection.authorization, `Bearer ${TOKEN}`)
    await eventually(async () => (agent.connected ? true : undefined), { what: 'the welcome' })
  })

  test('a reader added or removed is told in a readers message', async () => {
    const { hub, stateDir, start } = await setup()
    await start()
    const connection = await hub.connection(0)
    await addVirtualReader(stateDir, 'Back office')
    await hub.message(
      connection,
      'readers',
      (m) => m.readers.join() === ['Back office', DEFAULT_VIRTUAL_READER].join(),
    )
    await removeVirtualReader(stateDir, DEFAULT_VIRTUAL_READER)
    await hub.message(connection, 'readers', (m) => m.readers.join() === 'Back office')
  })

  test('a cancelled job stops waiting for a card, and its result (an error) is held and sent', async () => {
    const { hub, stateDir, calls, start } = await setup()
    await start({ cardWaitMs: 30_000 })
    const connection = await hub.connection(0)
    const job = encodeJob(Uint8Array.of(1))
    hub.send(connection, job)
    await eventually(async () => (calls.write === 1 ? true : undefined), { what: 'the write' })
    const cancelled = Date.now()
    hub.send(connection, { type: 'cancel', job_id: job.job_id })
    const result = await hub.message(connection, 'result', (m) => m.job_id === job.job_id)
    assert.equal(result.result.ok, false)
    if (!result.result.ok) assert.match(result.result.error.message, /cancelled/)
    assert.ok(Date.now() - cancelled < 1_000)
    assert.ok(existsSync(resultFile(stateDir, job.job_id)))
  })

  test('a job for a reader that is not attached fails encoder_not_online', async () => {
    const { hub, start } = await setup()
    await start()
    const connection = await hub.connection(0)
    const job = encodeJob(Uint8Array.of(1), { reader: 'Somewhere else' })
    hub.send(connection, job)
    const { result } = await hub.message(connection, 'result', (m) => m.job_id === job.job_id)
    assert.equal(result.ok ? 'ok' : result.error.type, 'encoder_not_online')
  })

  test('the unauthorized close code stops the agent: pair again', async () => {
    const { hub, start } = await setup()
    const agent = await start()
    const connection = await hub.connection(0)
    connection.ws.close(CLOSE_UNAUTHORIZED, 'unknown bridge token')
    await assert.rejects(agent.done, (error) => {
      assert.ok(error instanceof BridgeUnauthorizedError)
      assert.match(error.message, /revoked or is unknown: pair again with --pairing-code/)
      return true
    })
    assert.equal(agent.connected, false)
    assert.equal(hub.connections.length, 1)
  })

  test('an upgrade refused with 401 stops the agent too', async () => {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, callback) => callback(false, 401, 'Unauthorized'),
    })
    await new Promise((resolve) => wss.once('listening', resolve))
    cleanups.push(() => new Promise((resolve) => wss.close(() => resolve())))
    const { start } = await setup()
    const agent = await start({ server: `http://127.0.0.1:${(wss.address() as AddressInfo).port}` })
    await assert.rejects(agent.done, BridgeUnauthorizedError)
  })

  test('silence for three heartbeats drops the connection and reconnects', async () => {
    const { hub, start, lines } = await setup({ heartbeatMs: 100 })
    await start()
    const first = await hub.connection(0)
    // The hub sends no pings: the agent gives up on the connection after 300 ms.
    await eventually(async () => (first.closed ? true : undefined), { what: 'the drop' })
    assert.ok(lines.some((l) => l.includes('heard nothing from the server for 300 ms')))
    await hub.connection(1)
  })

  test('pings keep a quiet connection alive', async () => {
    const { hub, start } = await setup({ heartbeatMs: 200, pingEveryMs: 30 })
    await start()
    const connection = await hub.connection(0)
    // About twice three heartbeats (600 ms) of pings and nothing else.
    await eventually(async () => (connection.pings >= 40 ? true : undefined), { what: 'pings' })
    assert.equal(connection.closed, false)
    assert.equal(hub.connections.length, 1)
  })
})
