import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { type WebSocket, WebSocketServer } from 'ws'
import {
  announce,
  bridgeResultsChannel,
  findBridge,
  listOpenBridgeJobs,
  markBridgeDisconnected,
  storeBridgeJobResult,
  touchBridge,
  updateBridge,
} from '../../db/bridges.js'
import { type BridgeJobRow, type BridgeRow, type Executor, json } from '../../db/schema.js'
import { bridgeOfToken, pairBridge, syncBridgeReaders } from '../../domain/bridges.js'
import { invalidInput } from '../../domain/errors.js'
import {
  type AgentMessage,
  agentMessageSchema,
  BRIDGE_CONNECT_PATH,
  BRIDGE_PAIR_PATH,
  CLOSE_UNAUTHORIZED,
  type JobResult,
  type PairResponse,
  pairRequestSchema,
  parseMessage,
  type ServerMessage,
} from '../protocol.js'

/**
 * The server's end of the bridges: the pairing endpoint, and the WebSocket every
 * agent keeps open to one of the server's processes. The process holding an agent's
 * connection writes its state on the bridge row (every heartbeat), keeps its readers
 * and the system's encoders in step, sends it the jobs any process queued for it
 * (bridge_jobs, announced with NOTIFY), and stores its results before acknowledging
 * them, so a result is never lost and never applied twice (see protocol.ts).
 */

export interface BridgeHubOptions {
  db: Executor
  log: Logger
  now: () => Date
  /** Ping interval; an agent silent for 2 intervals is dropped. */
  heartbeatMs: number
  /** Jobs older than this are not sent any more (their attempt has long ended). */
  jobMaxAgeMs: number
}

interface Connection {
  ws: WebSocket
  bridge: BridgeRow
  /** Jobs sent on this connection, and the cancels. */
  sent: Set<string>
  cancelled: Set<string>
  alive: boolean
  ready: boolean
}

const bearer = (request: IncomingMessage): string | undefined =>
  /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? '')?.[1]

const toResult = (result: JobResult): Record<string, unknown> => ({ ...result })

export class BridgeHub {
  readonly #options: BridgeHubOptions
  /** Identifies this process on bridge rows. */
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`
  readonly #connections = new Map<string, Connection>()
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 })
  #timer: NodeJS.Timeout | undefined
  #closing = false
  #delivering: Promise<void> | undefined
  #deliverAgain = false

  constructor(options: BridgeHubOptions) {
    this.#options = options
  }

  /** `POST /_keysmith/bridge/pair`: a pairing code for the bridge's token. */
  registerRoutes(app: FastifyInstance): void {
    app.post(BRIDGE_PAIR_PATH, async (request, reply) => {
      const parsed = pairRequestSchema.safeParse(request.body)
      if (!parsed.success) throw invalidInput('Send { "pairing_code": "<code>" }', 'pairing_code')
      const paired: PairResponse = await this.#options.db
        .transaction()
        .execute((tx) =>
          pairBridge(tx, { pairingCode: parsed.data.pairing_code, now: this.#options.now() }),
        )
      this.#options.log.info({ bridge_id: paired.bridge_id }, 'bridge paired')
      return reply.send(paired)
    })
  }

  /** Takes WebSocket upgrades on the connect path of `server`. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      if (path !== BRIDGE_CONNECT_PATH || this.#closing) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
        return
      }
      socket.on('error', () => socket.destroy())
      // The token is checked before the upgrade completes: the agent speaks first once
      // the connection opens, and its hello must find the connection set up.
      const token = bearer(request)
      const lookup = token ? bridgeOfToken(this.#options.db, token) : Promise.resolve(undefined)
      lookup.then(
        (bridge) =>
          this.#wss.handleUpgrade(request, socket, head, (ws) => {
            if (!bridge) ws.close(CLOSE_UNAUTHORIZED, 'unknown bridge token')
            else this.#accept(ws, bridge)
          }),
        (error: unknown) => {
          this.#options.log.error({ err: error }, 'bridge connection failed')
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n')
        },
      )
    })
    this.#timer = setInterval(() => this.#heartbeat(), this.#options.heartbeatMs)
    this.#timer.unref()
  }

  #accept(ws: WebSocket, bridge: BridgeRow): void {
    const previous = this.#connections.get(bridge.bridge_id)
    if (previous) previous.ws.terminate()
    const connection: Connection = {
      ws,
      bridge,
      sent: new Set(),
      cancelled: new Set(),
      alive: true,
      ready: false,
    }
    this.#connections.set(bridge.bridge_id, connection)
    ws.on('pong', () => {
      connection.alive = true
    })
    // Messages are handled one after another, in order.
    let queue = Promise.resolve()
    ws.on('message', (data, isBinary) => {
      connection.alive = true
      const message = isBinary ? undefined : parseMessage(agentMessageSchema, data.toString())
      if (!message) return
      queue = queue
        .then(() => this.#handle(connection, message))
        .catch((error: unknown) => {
          this.#options.log.error(
            { err: error, bridge_id: bridge.bridge_id },
            'bridge message failed',
          )
        })
    })
    ws.on('close', () => {
      if (this.#connections.get(bridge.bridge_id) === connection) {
        this.#connections.delete(bridge.bridge_id)
      }
      queue = queue.then(() => this.#disconnected(connection))
    })
  }

  async #handle(connection: Connection, message: AgentMessage): Promise<void> {
    const { db, now } = this.#options
    const bridgeId = connection.bridge.bridge_id
    if (message.type === 'hello') {
      await db.transaction().execute(async (tx) => {
        const at = now()
        await updateBridge(tx, bridgeId, {
          connection_owner: this.owner,
          connected_at: at,
          disconnected_at: null,
          last_seen_at: at,
          agent_version: message.agent_version,
          driver: message.driver,
        })
        const bridge = await findBridge(tx, bridgeId)
        if (bridge) await syncBridgeReaders(tx, bridge, message.readers, at)
      })
      this.#options.log.info(
        { bridge_id: bridgeId, readers: message.readers, driver: message.driver },
        'bridge connected',
      )
      this.#send(connection, {
        type: 'welcome',
        bridge_id: bridgeId,
        heartbeat_ms: this.#options.heartbeatMs,
      })
      for (const held of message.results) await this.#result(connection, held.job_id, held.result)
      connection.ready = true
      await this.deliverJobs()
      return
    }
    if (!connection.ready) return
    if (message.type === 'readers') {
      await db.transaction().execute(async (tx) => {
        const bridge = await findBridge(tx, bridgeId)
        if (bridge) await syncBridgeReaders(tx, bridge, message.readers, now())
      })
      return
    }
    await this.#result(connection, message.job_id, message.result)
  }

  /** Stores a result (once), tells every process, then acknowledges it to the agent. */
  async #result(connection: Connection, jobId: string, result: JobResult): Promise<void> {
    const { db, now } = this.#options
    await db.transaction().execute(async (tx) => {
      const stored = await storeBridgeJobResult(
        tx,
        connection.bridge.bridge_id,
        jobId,
        json(toResult(result)),
        now(),
      )
      if (stored) await announce(tx, bridgeResultsChannel)
    })
    this.#send(connection, { type: 'ack', job_id: jobId })
  }

  async #disconnected(connection: Connection): Promise<void> {
    const bridgeId = connection.bridge.bridge_id
    await markBridgeDisconnected(this.#options.db, bridgeId, this.owner, this.#options.now())
    this.#options.log.info({ bridge_id: bridgeId }, 'bridge disconnected')
  }

  #send(connection: Connection, message: ServerMessage): void {
    if (connection.ws.readyState === connection.ws.OPEN) connection.ws.send(JSON.stringify(message))
  }

  /** Sends every connected agent the jobs queued for it and the cancels. Coalesced. */
  deliverJobs(): Promise<void> {
    if (this.#delivering) {
      this.#deliverAgain = true
      return this.#delivering
    }
    this.#delivering = (async () => {
      do {
        this.#deliverAgain = false
        await this.#deliverOnce()
      } while (this.#deliverAgain)
    })()
      .catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'delivering bridge jobs failed')
      })
      .finally(() => {
        this.#delivering = undefined
      })
    return this.#delivering
  }

  async #deliverOnce(): Promise<void> {
    const ready = [...this.#connections.values()].filter((c) => c.ready)
    if (ready.length === 0) return
    const jobs = await listOpenBridgeJobs(
      this.#options.db,
      ready.map((c) => c.bridge.bridge_id),
      new Date(this.#options.now().getTime() - this.#options.jobMaxAgeMs),
    )
    for (const job of jobs) {
      const connection = this.#connections.get(job.bridge_id)
      if (!connection?.ready) continue
      if (job.cancelled_at) {
        if (connection.sent.has(job.job_id) && !connection.cancelled.has(job.job_id)) {
          connection.cancelled.add(job.job_id)
          this.#send(connection, { type: 'cancel', job_id: job.job_id })
        }
        continue
      }
      if (connection.sent.has(job.job_id)) continue
      connection.sent.add(job.job_id)
      this.#send(connection, jobMessage(job))
    }
  }

  #heartbeat(): void {
    const { db, now, log } = this.#options
    for (const connection of this.#connections.values()) {
      if (!connection.alive) {
        connection.ws.terminate()
        continue
      }
      connection.alive = false
      connection.ws.ping()
      if (!connection.ready) continue
      touchBridge(db, connection.bridge.bridge_id, this.owner, now()).then(
        (stillOurs) => {
          // Another process took the agent over (it reconnected there): let go.
          if (!stillOurs) connection.ws.terminate()
        },
        (error: unknown) => log.warn({ err: error }, 'bridge heartbeat not recorded'),
      )
    }
    // A NOTIFY may be missed (a reconnecting listener): look anyway.
    void this.deliverJobs()
  }

  /** Drops every connection (agents reconnect to another process, or to this one restarted). */
  async close(): Promise<void> {
    this.#closing = true
    if (this.#timer) clearInterval(this.#timer)
    const connections = [...this.#connections.values()]
    for (const connection of connections) connection.ws.close(1012, 'server restarting')
    this.#connections.clear()
    await Promise.all(connections.map((c) => this.#disconnected(c).catch(() => {})))
    await this.#delivering
    this.#wss.close()
  }
}

const jobMessage = (job: BridgeJobRow): ServerMessage =>
  job.operation === 'encode'
    ? {
        type: 'job',
        job_id: job.job_id,
        reader: job.reader_name,
        operation: 'encode',
        memory: job.payload.memory ?? '',
      }
    : { type: 'job', job_id: job.job_id, reader: job.reader_name, operation: 'scan' }
