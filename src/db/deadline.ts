import { AsyncLocalStorage } from 'node:async_hooks'
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'

/**
 * A deadline for a unit of work (one HTTP request). When it passes, the work is
 * answered with `DeadlineExceeded` and every statement it would still send is
 * refused, so its open transaction rolls back: a timed-out request changes nothing.
 *
 * The one exception is a commit already under way when the deadline passes (or a
 * change already committed): then the work is left to finish and answer what it
 * did, so a timeout never reports as failed something that was saved.
 */
export class DeadlineExceeded extends Error {
  readonly code = 'KEYSMITH_DEADLINE_EXCEEDED'
  constructor(readonly timeoutMs: number) {
    super(`The work did not finish within ${timeoutMs} ms`)
    this.name = 'DeadlineExceeded'
  }
}

interface WorkState {
  timeoutMs: number
  expired: boolean
  /** Commits (and writes outside a transaction) in flight. */
  committing: number
  committed: boolean
}

const storage = new AsyncLocalStorage<WorkState>()

/** Runs `work` with a deadline of `timeoutMs` (see DeadlineExceeded). */
export const withDeadline = async <T>(timeoutMs: number, work: () => Promise<T>): Promise<T> => {
  const state: WorkState = { timeoutMs, expired: false, committing: 0, committed: false }
  const running = storage.run(state, work)
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      if (state.committing > 0 || state.committed) return
      state.expired = true
      reject(new DeadlineExceeded(timeoutMs))
    }, timeoutMs)
  })
  // Work left behind by a timeout fails on its next statement; nobody waits for it.
  running.catch(() => {})
  try {
    return await Promise.race([running, expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs `work` outside any deadline: its statements neither count as the request's
 * commits (which would stop the deadline from firing) nor are refused by it. For
 * bookkeeping a request does about itself, like taking a rate-limit token.
 */
export const outsideDeadline = <T>(work: () => Promise<T>): Promise<T> => storage.exit(work)

const refuseIfExpired = (state: WorkState | undefined): void => {
  if (state?.expired) throw new DeadlineExceeded(state.timeoutMs)
}

/** Counts a commit as under way while `commit` runs. */
const committing = async <T>(state: WorkState | undefined, commit: () => Promise<T>) => {
  if (!state) return commit()
  state.committing++
  try {
    const result = await commit()
    state.committed = true
    return result
  } finally {
    state.committing--
  }
}

class GuardedConnection implements DatabaseConnection {
  inTransaction = false
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const state = storage.getStore()
    refuseIfExpired(state)
    // Outside a transaction a change commits by itself.
    if (this.inTransaction || query.query.kind === 'SelectQueryNode') {
      return this.inner.executeQuery<R>(query)
    }
    return committing(state, () => this.inner.executeQuery<R>(query))
  }

  streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    refuseIfExpired(storage.getStore())
    return this.inner.streamQuery<R>(query, chunkSize)
  }
}

const innerOf = (connection: DatabaseConnection): DatabaseConnection =>
  connection instanceof GuardedConnection ? connection.inner : connection

class GuardedDriver implements Driver {
  constructor(readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    refuseIfExpired(storage.getStore())
    return new GuardedConnection(await this.inner.acquireConnection())
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    refuseIfExpired(storage.getStore())
    await this.inner.beginTransaction(innerOf(connection), settings)
    if (connection instanceof GuardedConnection) connection.inTransaction = true
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const state = storage.getStore()
    // Throwing here makes Kysely roll the transaction back.
    refuseIfExpired(state)
    await committing(state, () => this.inner.commitTransaction(innerOf(connection)))
    if (connection instanceof GuardedConnection) connection.inTransaction = false
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.rollbackTransaction(innerOf(connection))
    if (connection instanceof GuardedConnection) connection.inTransaction = false
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    refuseIfExpired(storage.getStore())
    await this.inner.savepoint?.(innerOf(connection), name, compile)
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(innerOf(connection), name, compile)
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    refuseIfExpired(storage.getStore())
    await this.inner.releaseSavepoint?.(innerOf(connection), name, compile)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection))
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}

/** `dialect` with its driver wrapped by `wrap` (everything else as it was). */
export const withDriver = (dialect: Dialect, wrap: (driver: Driver) => Driver): Dialect => ({
  createAdapter: () => dialect.createAdapter(),
  createDriver: () => wrap(dialect.createDriver()),
  createQueryCompiler: () => dialect.createQueryCompiler(),
  createIntrospector: (db) => dialect.createIntrospector(db),
})

/** `dialect` with its statements checked against the deadline of the work sending them. */
export const withDeadlines = (dialect: Dialect): Dialect =>
  withDriver(dialect, (driver) => new GuardedDriver(driver))
