import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { withDriver } from './deadline.js'

/**
 * The database cannot be reached (PostgreSQL restarting, the network gone, the server
 * refusing connections): the work failed, and the same work may succeed in a moment
 * (a commit cut off midway may or may not have been saved, as with any lost
 * connection). Requests answer 503 `service_unavailable`; workers wait and try again.
 */
export class DatabaseUnavailable extends Error {
  readonly code = 'KEYSMITH_DATABASE_UNAVAILABLE'
  constructor(cause: unknown) {
    // Loggers show the cause's message after this one.
    super('The database cannot be reached', { cause })
    this.name = 'DatabaseUnavailable'
  }
}

/** Socket errors of a connection that cannot be made or was cut. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a unix socket that is not there (the server is down)
])

/**
 * PostgreSQL's codes for a server that is going away or not taking connections:
 * admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and
 * class 08 (connection exceptions).
 */
const serverCodes = new Set(['57P01', '57P02', '57P03', '53300'])

/** What node-postgres throws, without a code, for a connection that is gone. */
const lostConnectionMessages = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end/,
]

/** True when `error` says the database is unreachable rather than the work wrong. */
export const isConnectionFailure = (error: unknown): boolean => {
  if (error instanceof DatabaseUnavailable) return true
  if (typeof error !== 'object' || error === null) return false
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown }
  if (typeof code === 'string') {
    if (socketCodes.has(code) || serverCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true
  }
  if (typeof message === 'string' && lostConnectionMessages.some((m) => m.test(message))) {
    return true
  }
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionFailure)
}

const translated = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work()
  } catch (error) {
    if (error instanceof DatabaseUnavailable || !isConnectionFailure(error)) throw error
    throw new DatabaseUnavailable(error)
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return translated(() => this.inner.executeQuery<R>(query))
  }

  streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize)
  }
}

const innerOf = (connection: DatabaseConnection): DatabaseConnection =>
  connection instanceof TranslatingConnection ? connection.inner : connection

class TranslatingDriver implements Driver {
  constructor(readonly inner: Driver) {}

  init(): Promise<void> {
    return translated(() => this.inner.init())
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new TranslatingConnection(await translated(() => this.inner.acquireConnection()))
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return translated(() => this.inner.beginTransaction(innerOf(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.inner.commitTransaction(innerOf(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.inner.rollbackTransaction(innerOf(connection)))
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await translated(async () => this.inner.savepoint?.(innerOf(connection), name, compile))
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await translated(async () =>
      this.inner.rollbackToSavepoint?.(innerOf(connection), name, compile),
    )
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await translated(async () => this.inner.releaseSavepoint?.(innerOf(connection), name, compile))
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection))
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}

/**
 * `dialect` with every failure to reach the database turned into `DatabaseUnavailable`,
 * so the layers above tell "the database is away" from "the work is wrong" by one type.
 */
export const withAvailability = (dialect: Dialect): Dialect =>
  withDriver(dialect, (driver) => new TranslatingDriver(driver))

const pause = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })

/**
 * Runs `work`, and again while it fails because the database is unreachable, every
 * `intervalMs` for up to `forMs` (or until `signal` aborts); then throws the last
 * failure. For bookkeeping that must not be lost to a database restart (applying the
 * result of an encoding that already happened).
 */
export const retryWhileUnavailable = async <T>(
  work: () => Promise<T>,
  options: { forMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<T> => {
  const giveUpAt = Date.now() + options.forMs
  for (;;) {
    try {
      return await work()
    } catch (error) {
      if (!isConnectionFailure(error) || Date.now() >= giveUpAt || options.signal?.aborted) {
        throw error
      }
    }
    await pause(options.intervalMs, options.signal)
  }
}

/**
 * A poll loop's pause after failing to reach the database: it grows from `baseMs` to
 * `maxMs` while the failures last, so an outage is not hammered (nor logged) at the
 * poll rate, and ends at the first success.
 */
export class Backoff {
  #failures = 0
  #retryAt = 0

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  /** True while the loop should not try yet. */
  get waiting(): boolean {
    return Date.now() < this.#retryAt
  }

  /** Records a failure; returns how many in a row (1: the outage just began). */
  failed(): number {
    this.#failures++
    const wait = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.#failures, 16))
    this.#retryAt = Date.now() + wait
    return this.#failures
  }

  /** Records a success; returns how many failures it ends (0: there was no outage). */
  succeeded(): number {
    const ended = this.#failures
    this.#failures = 0
    this.#retryAt = 0
    return ended
  }
}

/** What a polling worker logs through (pino's shape). */
export interface PollLog {
  info(fields: object, message: string): void
  error(fields: object, message: string): void
}

/**
 * A polling worker's claims ending, told to `backoff` and logged once per outage (when
 * it begins and when it ends), not at every poll; any other failure is logged each time.
 */
export const pollReporter = (backoff: Backoff, log: PollLog, worker: string) => ({
  succeeded: (): void => {
    const failures = backoff.succeeded()
    if (failures > 0) log.info({ failures }, `${worker} reached the database again`)
  },
  failed: (error: unknown): void => {
    const failures = backoff.failed()
    const away = isConnectionFailure(error)
    if (failures === 1 || !away) {
      log.error(
        { err: error },
        away
          ? `${worker} could not reach the database; retrying`
          : `${worker} failed to claim work; retrying`,
      )
    }
  },
})
