import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { sql, type Transaction } from 'kysely'
import type { Database } from '../../src/db/database.js'
import type { DB } from '../../src/db/schema.js'
import { getAcsCredential } from '../../src/domain/acs-credentials.js'
import { CatalogCache } from '../../src/domain/catalog-cache.js'
import type { DomainContext } from '../../src/domain/context.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import type { createProviderRegistry } from '../../src/providers/index.js'
import { databaseKinds, openSandboxDatabase, type TestDatabase } from '../support/databases.js'
import { frontDesk, hotel, room101 } from '../support/sandbox.js'

const space = '77777777-7777-4777-8777-777777777777'

/**
 * Read-your-writes for kept catalog rows (src/db/catalog-watch.ts): a transaction of
 * this process that changes them calls `onChange` once its commit is done, before
 * the transaction's promise resolves, so nothing the process answers afterwards comes
 * from rows kept before the change. Changes outside the catalog, and the encoder
 * columns the triggers leave out, call nothing; neither does a rolled-back change.
 */
for (const kind of databaseKinds) {
  describe(`catalog changes seen by the process that made them [${kind.name}]`, () => {
    let testDatabase: TestDatabase
    let database: Database
    let changes = 0

    before(async () => {
      const opened = await openSandboxDatabase(kind)
      testDatabase = opened.testDatabase
      database = opened.database
      const providers = opened.providers
      await database.db
        .insertInto('spaces')
        .values({
          space_id: space,
          workspace_id: SANDBOX_WORKSPACE_ID,
          name: 'Watched wing',
          space_key: null,
          customer_data: JSON.stringify(null),
          created_at: new Date(),
          updated_at: new Date(),
        })
        .execute()
      database.catalogWatch.onChange = () => {
        changes++
      }
      providersOf = providers
    })
    let providersOf: ReturnType<typeof createProviderRegistry>

    after(async () => {
      await database?.close()
      await testDatabase?.drop()
    })

    /** How many changes `work` reported by the time its transaction resolved. */
    const changesOf = async (work: (tx: Transaction<DB>) => Promise<unknown>) => {
      const before = changes
      await database.db.transaction().execute(work)
      return changes - before
    }

    test('an entrance put in a space, renamed, or an encoder renamed: seen at commit', async () => {
      assert.equal(
        await changesOf((tx) =>
          tx
            .insertInto('space_entrances')
            .values({ space_id: space, acs_entrance_id: room101 })
            .onConflict((oc) => oc.doNothing())
            .execute(),
        ),
        1,
      )
      assert.equal(
        await changesOf((tx) =>
          tx
            .updateTable('acs_entrances')
            .set({ display_name: 'Room 101 (renamed)' })
            .where('acs_entrance_id', '=', room101)
            .execute(),
        ),
        1,
      )
      assert.equal(
        await changesOf((tx) =>
          tx
            .updateTable('acs_encoders')
            .set({ display_name: 'Front Desk (renamed)' })
            .where('acs_encoder_id', '=', frontDesk)
            .execute(),
        ),
        1,
      )
    })

    test('a select that changes an entrance through its WITH: seen at commit', async () => {
      assert.equal(
        await changesOf((tx) =>
          tx
            .with('renamed', (q) =>
              q
                .updateTable('acs_entrances')
                .set({ display_name: 'Room 101 (renamed)' })
                .where('acs_entrance_id', '=', room101)
                .returning('acs_entrance_id'),
            )
            .selectFrom('renamed')
            .selectAll()
            .execute(),
        ),
        1,
      )
    })

    test('a card on an encoder, a simulation, a credential or a read: nothing', async () => {
      assert.equal(
        await changesOf((tx) =>
          tx
            .updateTable('acs_encoders')
            .set({ acs_card_id: null, sandbox_state: JSON.stringify({ next_scan: {} }) })
            .where('acs_encoder_id', '=', frontDesk)
            .execute(),
        ),
        0,
      )
      assert.equal(
        await changesOf((tx) =>
          tx
            .updateTable('workspaces')
            .set({ name: 'Renamed workspace' })
            .where('workspace_id', '=', SANDBOX_WORKSPACE_ID)
            .execute(),
        ),
        0,
      )
      assert.equal(await changesOf((tx) => tx.selectFrom('acs_entrances').selectAll().execute()), 0)
    })

    test('a change rolled back: nothing, and the next transaction starts clean', async () => {
      const before = changes
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await tx
            .updateTable('acs_entrances')
            .set({ display_name: 'Never' })
            .where('acs_entrance_id', '=', room101)
            .execute()
          throw new Error('changed my mind')
        }),
        /changed my mind/,
      )
      assert.equal(changes, before)
      assert.equal(
        await changesOf((tx) => sql`select 1`.execute(tx)),
        0,
        'the mark was local to the rolled-back transaction',
      )
      const name = await database.db
        .selectFrom('acs_entrances')
        .select('display_name')
        .where('acs_entrance_id', '=', room101)
        .executeTakeFirstOrThrow()
      assert.equal(name.display_name, 'Room 101 (renamed)')
    })

    test('a credential shows its doors from kept entrances, and one not kept from the database', async () => {
      // Kept entrances that nothing tells about the next one (no LISTEN here).
      const catalogCache = new CatalogCache()
      catalogCache.enable()
      const ctx: DomainContext = {
        db: database.db,
        now: () => new Date(),
        providers: providersOf,
        settings: { actionAttemptTimeoutMs: 60_000 },
        catalogCache,
        wakeWorker: () => {},
      }
      const scope = { workspace_id: SANDBOX_WORKSPACE_ID, is_sandbox: true }
      const system = await database.db
        .selectFrom('acs_systems')
        .selectAll()
        .where('acs_system_id', '=', hotel)
        .executeTakeFirstOrThrow()
      const credentialId = '77777777-7777-4777-8777-000000000001'
      const at = new Date()
      await database.db
        .insertInto('acs_credentials')
        .values({
          acs_credential_id: credentialId,
          workspace_id: SANDBOX_WORKSPACE_ID,
          connected_account_id: system.connected_account_id,
          acs_system_id: hotel,
          acs_user_id: null,
          access_method: 'card',
          code: null,
          starts_at: null,
          ends_at: null,
          is_multi_phone_sync_credential: false,
          card_number: null,
          issued_at: null,
          reissue_required_at: null,
          created_at: at,
          updated_at: at,
        })
        .execute()
      await database.db
        .insertInto('acs_credential_entrances')
        .values({ acs_credential_id: credentialId, acs_entrance_id: room101 })
        .execute()
      const room = await database.db
        .selectFrom('acs_entrances')
        .selectAll()
        .where('acs_entrance_id', '=', room101)
        .executeTakeFirstOrThrow()
      const first = await getAcsCredential(ctx, scope, credentialId)
      assert.equal(first.display_name, room.display_name)
      assert.equal(catalogCache.size, 1, 'the entrances are kept now')

      const newDoor = '77777777-7777-4777-8777-000000000002'
      await database.db
        .insertInto('acs_entrances')
        .values({
          ...room,
          acs_entrance_id: newDoor,
          display_name: 'Annex Door',
          provider_metadata: JSON.stringify(room.provider_metadata),
          provider_data: JSON.stringify(room.provider_data),
          created_at: new Date(room.created_at.getTime() + 1),
        })
        .execute()
      await database.db
        .insertInto('acs_credential_entrances')
        .values({ acs_credential_id: credentialId, acs_entrance_id: newDoor })
        .execute()
      const second = await getAcsCredential(ctx, scope, credentialId)
      assert.equal(second.display_name, `${room.display_name}, Annex Door`)
    })
  })
}
