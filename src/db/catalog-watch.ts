import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  type TransactionSettings,
} from 'kysely'
import { withDriver } from './deadline.js'
import { DelegatingDriver } from './delegating-driver.js'

/**
 * Read-your-writes for the rows a process keeps (domain/catalog-cache.ts). Every
 * process hears changes to them through NOTIFY, but the process that made a change
 * could answer its client, and take that client's next request, before its own
 * notification arrives. So the triggers that notify also mark their transaction
 * (`keysmith.catalog_changed`, migration 0014), and a transaction of this process
 * that wrote reads the mark just before it commits: when set, `onChange` runs once the
 * commit is done, before the work that committed goes on (and answers). A transaction
 * that only read sends nothing more.
 *
 * Only transactions are watched: a change made by a lone statement outside one (no
 * such write touches those tables) is heard through NOTIFY alone.
 *
 * The mark is read and the transaction committed in one exchange: the two statements
 * go as one simple query, which both drivers answer with the first statement's rows
 * (db/prepared-statements.ts, db/pglite-driver.ts). A write transaction then costs no
 * more round trips than it did before the watch.
 */
export interface CatalogWatch {
  onChange: () => void
}

const markAndCommitQuery = CompiledQuery.raw(
  "select current_setting('keysmith.catalog_changed', true) as changed; commit",
)

/** Anything but a plain select: a select may write through its WITH (a data-modifying CTE). */
const mayWrite = ({ query }: CompiledQuery): boolean =>
  !SelectQueryNode.is(query) || query.with !== undefined

class WatchedConnection implements DatabaseConnection {
  inTransaction = false
  wrote = false
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction && mayWrite(query)) this.wrote = true
    return this.inner.executeQuery<R>(query)
  }

  streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize)
  }
}

const innerOf = (connection: DatabaseConnection): DatabaseConnection =>
  connection instanceof WatchedConnection ? connection.inner : connection

const ended = (connection: DatabaseConnection) => {
  if (!(connection instanceof WatchedConnection)) return
  connection.inTransaction = false
  connection.wrote = false
}

class WatchingDriver extends DelegatingDriver {
  constructor(
    inner: Driver,
    private readonly watch: CatalogWatch,
  ) {
    super(inner)
  }

  protected unwrap(connection: DatabaseConnection): DatabaseConnection {
    return innerOf(connection)
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    return new WatchedConnection(await this.inner.acquireConnection())
  }

  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await this.inner.beginTransaction(innerOf(connection), settings)
    if (connection instanceof WatchedConnection) connection.inTransaction = true
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    let changed = false
    if (connection instanceof WatchedConnection && connection.wrote) {
      const { rows } = await innerOf(connection).executeQuery<{ changed: string | null }>(
        markAndCommitQuery,
      )
      changed = rows[0]?.changed === 'on'
    } else {
      await this.inner.commitTransaction(innerOf(connection))
    }
    ended(connection)
    if (changed) this.watch.onChange()
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(innerOf(connection))
    } finally {
      ended(connection)
    }
  }

  override releaseConnection(connection: DatabaseConnection): Promise<void> {
    ended(connection)
    return this.inner.releaseConnection(innerOf(connection))
  }
}

/** `dialect` with its transactions watched for catalog changes (see above). */
export const withCatalogWatch = (dialect: Dialect, watch: CatalogWatch): Dialect =>
  withDriver(dialect, (driver) => new WatchingDriver(driver, watch))
