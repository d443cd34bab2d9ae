import { after, before, describe } from 'node:test'
import { type DatabaseKind, databaseKinds } from './databases.js'
import { type ServerOptions, startServer, stopServer, type TestServer } from './server.js'

/** Declares a suite once per database kind (PGlite, and PostgreSQL when configured). */
export const forEachDatabase = (title: string, body: (kind: DatabaseKind) => void): void => {
  for (const kind of databaseKinds) {
    describe(`${title} [${kind.name}]`, { timeout: 120_000 }, () => body(kind))
  }
}

/**
 * Starts one Keysmith server for the enclosing suite and stops it (and drops its
 * database) afterwards. Read `.current` inside tests.
 */
export const useServer = (
  kind: DatabaseKind,
  options: ServerOptions = {},
): { current: TestServer } => {
  const holder = {} as { current: TestServer }
  before(async () => {
    holder.current = await startServer(() => kind.create(), options)
  })
  after(async () => {
    await stopServer(holder.current)
  })
  return holder
}
