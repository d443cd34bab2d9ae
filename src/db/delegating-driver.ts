import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from 'kysely'

/**
 * A Kysely driver that hands every call to `inner`, with the connection its wrapper
 * gave out unwrapped (`unwrap`): the base of drivers that change only some calls.
 */
export abstract class DelegatingDriver implements Driver {
  constructor(readonly inner: Driver) {}

  /** The inner driver's connection behind one this driver handed out. */
  protected abstract unwrap(connection: DatabaseConnection): DatabaseConnection

  init(): Promise<void> {
    return this.inner.init()
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.inner.acquireConnection()
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(this.unwrap(connection), settings)
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(this.unwrap(connection))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(this.unwrap(connection))
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.savepoint?.(this.unwrap(connection), name, compile)
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(this.unwrap(connection), name, compile)
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(this.unwrap(connection), name, compile)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}
