import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { allocateExternalNumber } from '../../src/db/acs-systems.js'
import { type Database, openDatabase } from '../../src/db/database.js'
import { createAcsCredential } from '../../src/domain/acs-credentials.js'
import { createAcsUser } from '../../src/domain/acs-users.js'
import type { DomainContext, WorkspaceScope } from '../../src/domain/context.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import { ensureSandboxWorkspace } from '../../src/domain/workspaces.js'
import { createProviderRegistry } from '../../src/providers/index.js'
import { databaseKinds, type TestDatabase } from '../support/databases.js'
import { hotel, room101 } from '../support/sandbox.js'

/**
 * On PostgreSQL an access system's numbers (credential and card ids) are taken in a
 * statement of their own, so a request's transaction does not hold the system's row
 * locked until it commits: requests creating credentials on one system no longer
 * wait for each other. On the embedded database (one connection) they are taken in
 * the request's transaction.
 */

const postgres = databaseKinds.find((kind) => kind.name === 'postgres')
let testDatabase: TestDatabase | undefined
let database: Database | undefined
let other: pg.Client | undefined
const scope: WorkspaceScope = { workspace_id: SANDBOX_WORKSPACE_ID, is_sandbox: true }

before(async () => {
  if (!postgres) return
  testDatabase = await postgres.create()
  database = await openDatabase({ databaseUrl: testDatabase.env.DATABASE_URL, dataDir: '' })
  const providers = createProviderRegistry({ sandboxActionDelayMs: 0 })
  await ensureSandboxWorkspace(database.db, { now: new Date(), providers })
  other = new pg.Client({ connectionString: testDatabase.env.DATABASE_URL })
  await other.connect()
})
after(async () => {
  await other?.end()
  await database?.close()
  await testDatabase?.drop()
})

/** Whether another connection can lock the hotel's row right now. */
const hotelRowFree = async (): Promise<boolean> => {
  assert.ok(other)
  await other.query('begin')
  try {
    await other.query('select 1 from acs_systems where acs_system_id = $1 for update nowait', [
      hotel,
    ])
    return true
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false
    throw error
  } finally {
    await other.query('rollback')
  }
}

test('numbers are taken outside the request’s transaction, each once', {
  skip: !postgres,
}, async () => {
  assert.ok(database?.allocateNumber)
  const allocate = database.allocateNumber
  await database.db.transaction().execute(async (tx) => {
    // Taken in the transaction, the row stays locked until it ends…
    await allocateExternalNumber(tx, hotel)
    assert.equal(await hotelRowFree(), false)
  })
  await database.db.transaction().execute(async (tx) => {
    await sql`select 1`.execute(tx)
    // …taken by the database's allocator, it is free again at once.
    const [a, b] = await Promise.all([allocate(hotel), allocate(hotel)])
    assert.notEqual(a, b)
    assert.equal(await hotelRowFree(), true)
  })
})

test('a credential created in a transaction takes its number through the allocator', {
  skip: !postgres,
}, async () => {
  assert.ok(database?.allocateNumber)
  const allocate = database.allocateNumber
  const taken: number[] = []
  const ctx: DomainContext = {
    db: database.db,
    now: () => new Date(),
    providers: createProviderRegistry({ sandboxActionDelayMs: 0 }),
    settings: { actionAttemptTimeoutMs: 60_000 },
    allocateNumber: async (acsSystemId) => {
      const number = await allocate(acsSystemId)
      taken.push(number)
      // While the request's transaction is still open, the system's row is not locked.
      assert.equal(await hotelRowFree(), true)
      return number
    },
    wakeWorker: () => {},
  }
  const user = await createAcsUser(ctx, scope, { acs_system_id: hotel, full_name: 'Counted' })
  const credential = await createAcsCredential(ctx, scope, {
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [room101],
  })
  assert.equal(taken.length, 1)
  assert.equal(credential.visionline_metadata?.credential_id, String(taken[0]))
})
