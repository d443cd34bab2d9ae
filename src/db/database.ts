import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import pg from 'pg'
import { allocateExternalNumber } from './acs-systems.js'
import { DatabaseUnavailable, isConnectionFailure, withAvailability } from './availability.js'
import { type CatalogWatch, withCatalogWatch } from './catalog-watch.js'
import { DatabaseError, lockDataDir } from './data-dir-lock.js'
import { withDeadlines } from './deadline.js'
import { NotificationListener } from './listener.js'
import * as core from './migrations/0001_core.js'
import * as accessGrants from './migrations/0003_access_grants.js'
import * as webhooks from './migrations/0004_webhooks.js'
import * as actionAttemptLeases from './migrations/0005_action_attempt_leases.js'
import * as auth from './migrations/0006_auth.js'
import * as providerData from './migrations/0007_provider_data.js'
import * as clientSessions from './migrations/0008_client_sessions.js'
import * as bridges from './migrations/0009_bridges.js'
import * as accessGroups from './migrations/0010_access_groups.js'
import * as acsUserEntrances from './migrations/0011_acs_user_entrances.js'
import * as cardNumbers from './migrations/0012_card_numbers.js'
import * as catalogNotify from './migrations/0013_catalog_notify.js'
import * as catalogNotifyEntrances from './migrations/0014_catalog_notify_entrances.js'
import { preparedPgliteDialect } from './pglite-driver.js'
import { copyPgliteImage, defaultPgliteImageDir } from './pglite-image.js'
import { PreparingClient } from './prepared-statements.js'
import type { DB } from './schema.js'

/** Every migration, in order. Both databases run the same ones. */
const migrations: Record<string, Migration> = {
  '0001_core': core,
  '0003_access_grants': accessGrants,
  '0004_webhooks': webhooks,
  '0005_action_attempt_leases': actionAttemptLeases,
  '0006_auth': auth,
  '0007_provider_data': providerData,
  '0008_client_sessions': clientSessions,
  '0009_bridges': bridges,
  '0010_access_groups': accessGroups,
  '0011_acs_user_entrances': acsUserEntrances,
  '0012_card_numbers': cardNumbers,
  '0013_catalog_notify': catalogNotify,
  '0014_catalog_notify_entrances': catalogNotifyEntrances,
}

export interface Database {
  db: Kysely<DB>
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for humans: a folder or a URL without its password. */
  location: string
  /**
   * PGlite: how this open made a new data folder, if it did: copied from the prebuilt
   * image (src/db/pglite-image.ts), or by PGlite's initdb when there was no usable one.
   */
  createdFrom?: 'image' | 'initdb' | undefined
  /**
   * Calls `onNotify` whenever a committed transaction runs NOTIFY on `channel`. On
   * PostgreSQL the listening connection, if lost, is made again by itself: `onLost`
   * is called when it goes (notifications may be missed from then on), and once it
   * listens again `onNotify` is called once (for what was missed), then `onRestored`.
   */
  listen(
    channel: string,
    onNotify: () => void,
    onLost?: () => void,
    onRestored?: () => void,
  ): Promise<void>
  /** Connections in use and waiting, for /metrics (one connection on the embedded database). */
  poolStats(): { total: number; idle: number; waiting: number }
  /**
   * Takes an access system's next number (its credential and card ids) in a statement
   * committed at once, on a connection of its own: the counter row is locked only for
   * that statement, not for the rest of the request's transaction, so requests of one
   * system no longer wait for each other (a number of a request that then fails is
   * skipped). PostgreSQL only; on the embedded database, whose one connection the
   * request's transaction holds, the number is taken in that transaction.
   */
  allocateNumber?: (acsSystemId: string) => Promise<number>
  /**
   * Called when a transaction of this process committed a change to the rows the
   * catalog cache keeps, before the work that made it goes on (db/catalog-watch.ts).
   */
  catalogWatch: CatalogWatch
  /** Whether the database answers and has every migration applied (for /ready). */
  check(): Promise<DatabaseCheck>
  close(): Promise<void>
}

export interface DatabaseCheck {
  reachable: boolean
  migrated: boolean
}

/** Asks the database for the migrations it has applied; unreachable if it does not answer. */
const checkDatabase = async (db: Kysely<DB>): Promise<DatabaseCheck> => {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db)
    const applied = new Set(rows.map((row) => row.name))
    return { reachable: true, migrated: Object.keys(migrations).every((m) => applied.has(m)) }
  } catch (error) {
    // A missing migration table is a database that answers but was never migrated.
    const code = (error as { code?: string }).code
    return { reachable: code === '42P01', migrated: false }
  }
}

const redact = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres'
  }
}

export interface DatabaseOptions {
  databaseUrl: string | undefined
  dataDir: string
  /**
   * PostgreSQL: PostgreSQL cancels any statement of the pool running longer than this
   * (the server sets its request timeout and a margin), so a statement left waiting by
   * a request that timed out (on a lock, say) does not hold a connection for ever.
   * Migrations are not bound by it.
   */
  statementTimeoutMs?: number | undefined
  /**
   * PostgreSQL: how long to wait for the database to accept connections (it may be
   * starting beside this process), retrying with a growing pause; 0: fail at once.
   */
  waitForDatabaseMs?: number | undefined
  /** Told of each failed try while waiting. */
  onWaiting?: ((error: unknown, retryInMs: number) => void) | undefined
  /** PGlite: the prebuilt data folder a new one is copied from (the build's by default). */
  pgliteImageDir?: string | undefined
}

/** Opens PostgreSQL when a URL is given, else the embedded PGlite folder, and migrates it. */
export const openDatabase = async (options: DatabaseOptions): Promise<Database> => {
  if (options.databaseUrl) {
    const url = options.databaseUrl
    const giveUpAt = Date.now() + (options.waitForDatabaseMs ?? 0)
    for (let pause = 250; ; pause = Math.min(2 * pause, 2_000)) {
      try {
        await migratePostgres(url)
        break
      } catch (error) {
        if (!isConnectionFailure(error)) throw error
        if (Date.now() + pause > giveUpAt) {
          const cause = error instanceof DatabaseUnavailable ? error.cause : error
          throw new DatabaseError(
            `Cannot reach PostgreSQL at ${redact(url)}: ${cause instanceof Error ? cause.message : String(cause)}`,
          )
        }
        options.onWaiting?.(error, pause)
        await new Promise((resolve) => setTimeout(resolve, pause))
      }
    }
    return openPostgres(url, options.statementTimeoutMs)
  }
  const database = await openPglite(
    options.dataDir,
    options.pgliteImageDir ?? defaultPgliteImageDir,
  )
  try {
    // Kysely's migrator inspects the catalog before it reads its table, which costs
    // hundreds of milliseconds on PGlite: a database already up to date skips it.
    const state = await checkDatabase(database.db)
    if (!state.migrated) await migrate(database.db)
  } catch (error) {
    await database.close()
    throw error
  }
  return database
}

/** Migrates on a connection of its own, with no statement timeout. */
const migratePostgres = async (databaseUrl: string): Promise<void> => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  pool.on('error', () => {})
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  try {
    // A database already up to date skips Kysely's migrator (it inspects the catalog
    // first); an unreachable one fails in migrate, with the connection's error.
    const state = await checkDatabase(db)
    if (!state.migrated) await migrate(db)
  } finally {
    await db.destroy()
  }
}

/** Longest wait for a new PostgreSQL connection (or a free one in the pool). */
const connectTimeoutMs = 5_000

/** A pool of PostgreSQL connections with Keysmith's settings, and its Kysely. */
const postgresPool = (
  databaseUrl: string,
  statementTimeoutMs: number | undefined,
  max: number,
  catalogWatch?: CatalogWatch,
): { pool: pg.Pool; db: Kysely<DB> } => {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    // Named prepared statements: a hot read is parsed and planned once per connection.
    Client: PreparingClient,
    // A database that does not answer (a dropped network, a server stuck starting)
    // fails the request with 503 after this, instead of holding it to its deadline.
    connectionTimeoutMillis: connectTimeoutMs,
    // A peer gone without a word (a network cut) is noticed by TCP keepalive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  })
  // An idle client losing its connection (PostgreSQL restarted) must not crash the
  // process; the pool drops it and connects afresh when next asked.
  pool.on('error', () => {})
  // Nor one losing it while checked out between two statements (in a transaction, say):
  // node-postgres would throw that as an unhandled 'error' event. Its next statement
  // fails instead, which the request answers with 503.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  const dialect = withAvailability(new PostgresDialect({ pool }))
  const db = new Kysely<DB>({
    dialect: withDeadlines(catalogWatch ? withCatalogWatch(dialect, catalogWatch) : dialect),
  })
  return { pool, db }
}

const openPostgres = (databaseUrl: string, statementTimeoutMs: number | undefined): Database => {
  const catalogWatch: CatalogWatch = { onChange: () => {} }
  const { pool, db } = postgresPool(databaseUrl, statementTimeoutMs, 10, catalogWatch)
  // Counters on connections of their own (see Database.allocateNumber): never waiting
  // for the main pool, so a request holding one of its connections cannot deadlock.
  const counters = postgresPool(databaseUrl, statementTimeoutMs, 2)
  const listener = new NotificationListener(databaseUrl, connectTimeoutMs)
  return {
    db,
    kind: 'postgres',
    catalogWatch,
    location: redact(databaseUrl),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    listen: (channel, onNotify, onLost, onRestored) =>
      listener.listen(channel, { onNotify, onLost, onRestored }),
    allocateNumber: (acsSystemId) => allocateExternalNumber(counters.db, acsSystemId),
    check: () => checkDatabase(db),
    close: async () => {
      await listener.close()
      await Promise.all([db.destroy(), counters.db.destroy()])
    },
  }
}

/**
 * PGlite's own start parameters (its defaults in 0.5.16: one backend, no parallel
 * workers, synchronous I/O) plus a smaller buffer pool. PostgreSQL's default
 * `shared_buffers` of 128 MB is allocated and zeroed inside the WASM memory at start, so
 * every embedded database paid 128 MB of resident memory for a cache its data (a few MB
 * for a hotel) never fills; 16 MB took the process from about 400 to 280 MB idle
 * (README, benchmark). Pages not in the pool are read from the data folder through the
 * operating system's file cache. PGlite copies these to the short-lived instance that
 * runs initdb on a fresh folder, so that one shrinks too; the build opens the prebuilt
 * data folder (src/db/pglite-image-build.ts) with them.
 */
export const pgliteStartParams = [
  '--single',
  '-F',
  '-O',
  '-j',
  '-c',
  'search_path=public',
  '-c',
  'exit_on_error=false',
  '-c',
  'log_checkpoints=false',
  '-c',
  'max_worker_processes=0',
  '-c',
  'max_parallel_workers=0',
  '-c',
  'max_parallel_workers_per_gather=0',
  '-c',
  'io_method=sync',
  '-c',
  'max_parallel_maintenance_workers=0',
  '-c',
  'shared_buffers=16MB',
]

/**
 * On a fresh folder with no usable prebuilt image (src/db/pglite-image.ts; with one
 * there is no initdb and no collection), PGlite runs initdb in a second, throwaway
 * PGlite instance (its own WASM memory, about 400 MB resident with initdb's). Once it
 * is closed nothing refers to it, but V8 frees WASM memory only in a full collection,
 * which a server with a small heap may not run for hours: after a first start the process stayed at about 720 MB
 * instead of 300 after its first start. One full collection, once, a second after
 * initdb (run at once it finds the instance still referenced), gives about 310 MB back.
 * Node exposes `gc` only behind a flag, which can be turned on at run time for a new
 * context (as test runners do to find leaks); the flag is turned off again at once.
 */
const collectInitdbGarbage = (): void => {
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    setFlagsFromString('--no-expose-gc')
    if (typeof gc === 'function') setTimeout(() => gc(), 1_000).unref()
  } catch {
    // Only memory is at stake: it is given back at the next full collection anyway.
  }
}

const openPglite = async (dataDir: string, imageDir: string): Promise<Database> => {
  const unlock = lockDataDir(dataDir)
  try {
    const pgdata = join(dataDir, 'pgdata')
    let createdFrom: Database['createdFrom']
    if (!existsSync(join(pgdata, 'PG_VERSION'))) {
      createdFrom = copyPgliteImage(imageDir, pgdata) ? 'image' : 'initdb'
    }
    let pglite: PGlite
    try {
      pglite = await PGlite.create(pgdata, { startParams: pgliteStartParams })
    } catch (error) {
      if (createdFrom !== 'image') throw error
      // A copied folder this PGlite cannot open (the image should have said so): it was
      // made by this call, so it goes, and initdb makes the folder as without an image.
      rmSync(pgdata, { recursive: true, force: true })
      createdFrom = 'initdb'
      pglite = await PGlite.create(pgdata, { startParams: pgliteStartParams })
    }
    if (createdFrom === 'initdb') collectInitdbGarbage()
    const catalogWatch: CatalogWatch = { onChange: () => {} }
    const db = new Kysely<DB>({
      dialect: withDeadlines(withCatalogWatch(preparedPgliteDialect(pglite), catalogWatch)),
    })
    return {
      db,
      kind: 'pglite',
      catalogWatch,
      location: dataDir,
      createdFrom,
      poolStats: () => ({ total: 1, idle: 0, waiting: 0 }),
      listen: async (channel, onNotify) => {
        await pglite.listen(channel, () => onNotify())
      },
      check: () => checkDatabase(db),
      close: async () => {
        await db.destroy()
        unlock()
      },
    }
  } catch (error) {
    unlock()
    throw error
  }
}

const migrate = async (db: Kysely<DB>): Promise<void> => {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  // Not a failed migration: the database did not answer (the caller may wait for it).
  if (isConnectionFailure(error)) throw new DatabaseUnavailable(error)
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')
    throw new DatabaseError(
      `Migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
