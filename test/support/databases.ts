import { createHash, randomBytes } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { openDatabase } from '../../src/db/database.js'
import { ensureSandboxWorkspace } from '../../src/domain/workspaces.js'
import { createProviderRegistry } from '../../src/providers/index.js'

/**
 * The databases every end-to-end suite runs on: the embedded PGlite always, and
 * PostgreSQL when DATABASE_URL (or KEYSMITH_TEST_DATABASE_URL) names a server, as
 * `.ci/run` does. Each test server gets a database of its own.
 */
export interface TestDatabase {
  /** Environment that points a Keysmith process at this database. */
  env: Record<string, string>
  drop(): Promise<void>
}

export interface DatabaseKind {
  name: 'pglite' | 'postgres'
  create(): Promise<TestDatabase>
}

/** PGlite's version, read from the package.json above its entry point (its exports hide it). */
const pgliteVersion = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
    .version
})()

/** Changes whenever a migration does, so a stale template is never used. */
const migrationsHash = ((): string => {
  const folder = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url))
  const hash = createHash('sha256')
  for (const file of readdirSync(folder)
    .filter((f) => f.endsWith('.js'))
    .sort()) {
    hash.update(file).update(readFileSync(join(folder, file)))
  }
  return hash.digest('hex').slice(0, 12)
})()

/**
 * Initialising and migrating a PGlite folder takes seconds; a copy takes
 * milliseconds. The migrated template is made once per machine, PGlite version and
 * set of migrations (each server still seeds its own sandbox at start).
 */
const pgliteTemplate = async (): Promise<string> => {
  const template = join(tmpdir(), `keysmith-test-pglite-${pgliteVersion}-${migrationsHash}`)
  if (existsSync(join(template, 'PG_VERSION'))) return template
  const building = mkdtempSync(join(tmpdir(), 'keysmith-test-pglite-build-'))
  const pgdata = join(building, 'pgdata')
  const database = await openDatabase({ databaseUrl: undefined, dataDir: building })
  await database.close()
  try {
    renameSync(pgdata, template)
  } catch {
    // another test process finished first; its template is as good as ours
  }
  rmSync(building, { recursive: true, force: true })
  return template
}

const pglite: DatabaseKind = {
  name: 'pglite',
  async create() {
    const dataDir = mkdtempSync(join(tmpdir(), 'keysmith-test-data-'))
    cpSync(await pgliteTemplate(), join(dataDir, 'pgdata'), { recursive: true })
    return {
      env: { KEYSMITH_DATA_DIR: dataDir },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    }
  },
}

const postgresUrl = process.env.KEYSMITH_TEST_DATABASE_URL || process.env.DATABASE_URL

const postgres = (adminUrl: string): DatabaseKind => ({
  name: 'postgres',
  async create() {
    const name = `keysmith_test_${randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    return {
      env: { DATABASE_URL: url.toString() },
      drop: async () => {
        const client = new pg.Client({ connectionString: adminUrl })
        await client.connect()
        await client.query(`drop database if exists ${name} with (force)`)
        await client.end()
      },
    }
  },
})

export const databaseKinds: DatabaseKind[] = [
  pglite,
  ...(postgresUrl ? [postgres(postgresUrl)] : []),
]

if (!postgresUrl && !process.env.KEYSMITH_QUIET_SKIP) {
  process.env.KEYSMITH_QUIET_SKIP = '1'
  process.stderr.write(
    'Note: DATABASE_URL is not set, so end-to-end tests run on PGlite only (.ci/run sets it).\n',
  )
}

/** A fresh database of `kind`, opened in the test process, with the sandbox seeded. */
export const openSandboxDatabase = async (kind: DatabaseKind) => {
  const testDatabase = await kind.create()
  const database = await openDatabase({
    databaseUrl: testDatabase.env.DATABASE_URL,
    dataDir: testDatabase.env.KEYSMITH_DATA_DIR ?? '',
  })
  const providers = createProviderRegistry({ sandboxActionDelayMs: 0 })
  await ensureSandboxWorkspace(database.db, { now: new Date(), providers })
  return { testDatabase, database, providers }
}
