import { createHash } from 'node:crypto'
import { messages as messages_, type PGlite, parse, protocol } from '@electric-sql/pglite'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  PGliteDialect,
  type QueryResult,
} from 'kysely'
import { withDriver } from './deadline.js'
import { isStalePlan, maxNames } from './prepared-statements.js'

/**
 * Kysely's driver for the embedded database, with named prepared statements and one
 * call into PGlite per statement.
 *
 * PGlite's own `query` parses and plans every statement afresh and crosses into its
 * WebAssembly six times per statement (parse, describe, bind, describe, execute,
 * sync), each a pass of PostgreSQL's main loop; for Keysmith's short reads that was
 * most of the time a request spent in the database. Here a parameterised statement is
 * parsed once (and described once, for its parameter types) under a name, and each run
 * is one message of Bind, Describe, Execute and Sync: one call, no parse, and after
 * five runs PostgreSQL keeps a generic plan when it is as good, so a hot read is no
 * longer planned at all. Values are written and rows read with PGlite's own
 * serializers and parsers, so results are what its `query` returns.
 *
 * A statement without parameters runs as one simple query, as node-postgres sends it
 * (so `begin`, `commit` and the catalog watch's mark read with its commit are each
 * one call); it answers with its first statement's rows. Whether the session is in a
 * transaction is what PostgreSQL's last ReadyForQuery said.
 *
 * The one session is held by one piece of work at a time (a statement, or a whole
 * transaction from begin to commit), in the order asked: a queue in front of it, as a
 * pool of one connection has. Nothing else may use the PGlite instance's session
 * meanwhile (the `listen` at start-up runs before any work).
 *
 * The names are bounded as on PostgreSQL (db/prepared-statements.ts): the first
 * `maxNames` texts get one, others run unnamed; a statement whose plan can no longer
 * be used (its table changed under it) fails once and runs unnamed from then on.
 */

const { serialize } = protocol

interface Prepared {
  /** '' for the unnamed statement (parsed again each time). */
  name: string
  paramTypes: number[]
}

/** The first statement's result, as Kysely reads it. */
const resultOf = <R>(
  pglite: PGlite,
  messages: Awaited<ReturnType<PGlite['execProtocolStream']>>,
): QueryResult<R> => {
  const [result] = parse.parseResults(messages, pglite.parsers, { rowMode: 'object' })
  const affected = result?.affectedRows
  return {
    rows: (result?.rows ?? []) as R[],
    numAffectedRows: affected !== undefined && affected !== null ? BigInt(affected) : undefined,
  }
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

class PreparedPGliteConnection implements DatabaseConnection {
  readonly #prepared = new Map<string, Prepared>()
  readonly #stale = new Set<string>()
  /** From the last ReadyForQuery (kept as it was when an exchange fails). */
  #inTransaction = false

  constructor(readonly pglite: PGlite) {}

  #queue: Promise<unknown> = Promise.resolve()

  /**
   * Runs `work` alone on the session. PGlite keeps the answers of the call under way
   * in the instance, and a statement's preparation and its run must not be split by
   * another's, so statements sent together (a `Promise.all` of reads in one
   * transaction) run one after the other.
   */
  #alone<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => {})
    return run
  }

  async #exchange(message: Uint8Array): ReturnType<PGlite['execProtocolStream']> {
    const messages = await this.pglite.execProtocolStream(message, { syncToFs: false })
    for (const answer of messages) {
      if (answer instanceof messages_.ReadyForQueryMessage) {
        this.#inTransaction = answer.status !== 'I'
      }
    }
    // PGlite's query syncs its filesystem after each statement outside a transaction
    // (a no-op for a folder on disk); the same here, a commit included.
    if (!this.#inTransaction) await this.pglite.syncToFs()
    return messages
  }

  /** Parses `text` under a name (once) and learns its parameter types. */
  async #prepare(text: string): Promise<Prepared> {
    const known = this.#prepared.get(text)
    if (known) return known
    const named = this.#prepared.size < maxNames && !this.#stale.has(text)
    const name = named ? `ksl_${createHash('sha1').update(text).digest('base64url')}` : ''
    const messages = await this.#exchange(
      concat([
        serialize.parse({ name, text, types: [] }),
        serialize.describe({ type: 'S', name }),
        serialize.sync(),
      ]),
    )
    const prepared = { name, paramTypes: parse.parseDescribeStatementResults(messages) }
    if (named) this.#prepared.set(text, prepared)
    return prepared
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#alone(() => this.#run<R>(query))
  }

  async #run<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const params = query.parameters
    if (params.length === 0)
      return resultOf<R>(this.pglite, await this.#exchange(serialize.query(query.sql)))
    const prepared = await this.#prepare(query.sql)
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null
      const serializer = this.pglite.serializers[prepared.paramTypes[i] ?? 0]
      return serializer ? serializer(param) : String(param)
    })
    const parts = [
      serialize.bind({ statement: prepared.name, values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ]
    let messages: Awaited<ReturnType<PGlite['execProtocolStream']>>
    try {
      messages = await this.#exchange(concat(parts))
    } catch (error) {
      if (prepared.name && isStalePlan(error)) {
        this.#prepared.delete(query.sql)
        this.#stale.add(query.sql)
      }
      throw error
    }
    return resultOf<R>(this.pglite, messages)
  }

  /** A statement with neither parameters nor rows (begin, commit, rollback, savepoints). */
  async command(text: string): Promise<void> {
    await this.#alone(() => this.#exchange(serialize.query(text)))
  }

  // biome-ignore lint/correctness/useYield: PGlite cannot stream; Kysely's PGlite driver refuses too.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported on the embedded database')
  }
}

class PreparedPGliteDriver implements Driver {
  readonly #connection: PreparedPGliteConnection
  #queue: Promise<void> = Promise.resolve()
  #release: (() => void) | undefined

  constructor(readonly pglite: PGlite) {
    this.#connection = new PreparedPGliteConnection(pglite)
  }

  async init(): Promise<void> {
    await this.pglite.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue
    let release = () => {}
    this.#queue = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    this.#release = release
    return this.#connection
  }

  async beginTransaction(): Promise<void> {
    await this.#connection.command('begin')
  }

  async commitTransaction(): Promise<void> {
    await this.#connection.command('commit')
  }

  async rollbackTransaction(): Promise<void> {
    await this.#connection.command('rollback')
  }

  async savepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.command(`savepoint ${quoteIdentifier(name)}`)
  }

  async rollbackToSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.command(`rollback to savepoint ${quoteIdentifier(name)}`)
  }

  async releaseSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#connection.command(`release savepoint ${quoteIdentifier(name)}`)
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close()
  }
}

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** Kysely's PGlite dialect (its adapter, compiler, introspector) on the driver above. */
export const preparedPgliteDialect = (pglite: PGlite): Dialect =>
  withDriver(new PGliteDialect({ pglite }), () => new PreparedPGliteDriver(pglite))
