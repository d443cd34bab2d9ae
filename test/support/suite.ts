import { after, before, describe } from 'node:test'
import { type DatabaseKind, databaseKinds } from './databases.js'
import {
  type Credential,
  type ServerOptions,
  startServer,
  stopServer,
  type TestServer,
} from './server.js'

/** Declares a suite once per database kind (PGlite, and PostgreSQL when configured). */
export const forEachDatabase = (
  title: string,
  body: (kind: DatabaseKind) => void,
  { timeoutMs = 120_000 } = {},
): void => {
  for (const kind of databaseKinds) {
    describe(`${title} [${kind.name}]`, { timeout: timeoutMs }, () => body(kind))
  }
}

/**
 * Declares a suite once per database kind and per credential: the sandbox's API key,
 * and a personal access token with the seam-workspace header (pass it to useServer).
 */
export const forEachDatabaseAndCredential = (
  title: string,
  body: (kind: DatabaseKind, credential: Credential) => void,
): void => {
  for (const kind of databaseKinds) {
    for (const credential of ['api key', 'personal access token'] as const) {
      describe(`${title} [${kind.name}, ${credential}]`, { timeout: 120_000 }, () =>
        body(kind, credential),
      )
    }
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
