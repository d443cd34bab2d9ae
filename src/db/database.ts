import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import pg from 'pg'
import { DatabaseError, lockDataDir } from './data-dir-lock.js'
import { withDeadlines } from './deadline.js'
import * as core from './migrations/0001_core.js'
import * as accessGrants from './migrations/0003_access_grants.js'
import * as webhooks from './migrations/0004_webhooks.js'
import * as actionAttemptLeases from './migrations/0005_action_attempt_leases.js'
import * as auth from './migrations/0006_auth.js'
import * as providerData from './migrations/0007_provider_data.js'
import * as clientSessions from './migrations/0008_client_sessions.js'
import * as bridges from './migrations/0009_bridges.js'
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
}

export interface Database {
  db: Kysely<DB>
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for humans: a folder or a URL without its password. */
  location: string
  /**
   * Calls `onNotify` whenever a committed transaction runs NOTIFY on `channel`, and
   * `onLost` once if the connection listening is lost (notifications may then be missed).
   */
  listen(channel: string, onNotify: () => void, onLost?: () => void): Promise<void>
  /** Connections in use and waiting, for /metrics (one connection on the embedded database). */
  poolStats(): { total: number; idle: number; waiting: number }
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
}

/** Opens PostgreSQL when a URL is given, else the embedded PGlite folder, and migrates it. */
export const openDatabase = async (options: DatabaseOptions): Promise<Database> => {
  const database = options.databaseUrl
    ? openPostgres(options.databaseUrl)
    : await openPglite(options.dataDir)
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

const openPostgres = (databaseUrl: string): Database => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<DB>({ dialect: withDeadlines(new PostgresDialect({ pool })) })
  const listeners: pg.Client[] = []
  let closing = false
  return {
    db,
    kind: 'postgres',
    location: redact(databaseUrl),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    // LISTEN needs a connection of its own. Notifications only speed things up
    // (workers also poll), so a lost listener is not fatal.
    listen: async (channel, onNotify, onLost) => {
      const client = new pg.Client({ connectionString: databaseUrl })
      let lost = false
      const lose = () => {
        if (lost || closing) return
        lost = true
        onLost?.()
      }
      client.on('error', lose)
      client.on('end', lose)
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify()
      })
      await client.connect()
      await client.query(`listen ${pg.escapeIdentifier(channel)}`)
      listeners.push(client)
    },
    check: () => checkDatabase(db),
    close: async () => {
      closing = true
      await Promise.all(listeners.map((client) => client.end().catch(() => {})))
      await db.destroy()
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
 * runs initdb on a fresh folder, so that one shrinks too.
 */
const pgliteStartParams = [
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
 * On a fresh folder PGlite runs initdb in a second, throwaway PGlite instance (its own
 * WASM memory, about 400 MB resident with initdb's). Once it is closed nothing refers to
 * it, but V8 frees WASM memory only in a full collection, which a server with a small
 * heap may not run for hours: after a first start the process stayed at about 720 MB
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

const openPglite = async (dataDir: string): Promise<Database> => {
  const unlock = lockDataDir(dataDir)
  try {
    const pgdata = join(dataDir, 'pgdata')
    const fresh = !existsSync(join(pgdata, 'PG_VERSION'))
    const pglite = await PGlite.create(pgdata, { startParams: pgliteStartParams })
    if (fresh) collectInitdbGarbage()
    const db = new Kysely<DB>({ dialect: withDeadlines(new PGliteDialect({ pglite })) })
    return {
      db,
      kind: 'pglite',
      location: dataDir,
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
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')
    throw new DatabaseError(
      `Migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
