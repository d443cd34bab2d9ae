import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { AccessMethod } from '@seamapi/types/connect'
import { pino } from 'pino'
import { findActionAttempt } from '../../src/db/action-attempts.js'
import type { Database } from '../../src/db/database.js'
import {
  createAccessGrant,
  deleteAccessGrantById,
  getAccessGrant,
  updateAccessGrantTimes,
} from '../../src/domain/access-grants.js'
import { listAccessMethodsOf } from '../../src/domain/access-methods.js'
import { getAcsCredential } from '../../src/domain/acs-credentials.js'
import type { DomainContext, WorkspaceScope } from '../../src/domain/context.js'
import { requestAccessMethodEncoding } from '../../src/domain/encoders.js'
import { DomainError } from '../../src/domain/errors.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import { createUserIdentity } from '../../src/domain/user-identities.js'
import { ActionAttemptWorker } from '../../src/jobs/runner.js'
import { databaseKinds, openSandboxDatabase, type TestDatabase } from '../support/databases.js'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, room101 } from '../support/sandbox.js'

/**
 * The Access Grant rule (src/domain/access-grant-sync.ts) in the test process, on a
 * real database, with no HTTP: for every requested mode and every access system of
 * the grant's entrances that can serve it, one access method backed by one
 * credential; changes re-apply the rule; deleting revokes.
 */

const scope: WorkspaceScope = { workspace_id: SANDBOX_WORKSPACE_ID, is_sandbox: true }
const stay = { starts_at: '2032-06-01T15:00:00.000Z', ends_at: '2032-06-04T11:00:00.000Z' }

const bySystemAndMode = (methods: AccessMethod[]) =>
  methods.map((m) => `${m.mode}:${m.is_issued ? 'issued' : 'not issued'}`).sort()

for (const kind of databaseKinds) {
  describe(`Access Grant rule [${kind.name}]`, { timeout: 180_000 }, () => {
    let testDatabase: TestDatabase
    let database: Database
    let ctx: DomainContext
    let worker: ActionAttemptWorker
    let saltoDoor: string

    before(async () => {
      const opened = await openSandboxDatabase(kind)
      testDatabase = opened.testDatabase
      database = opened.database
      const providers = opened.providers
      worker = new ActionAttemptWorker({
        db: database.db,
        providers,
        pollMs: 20,
        now: () => new Date(),
        log: pino({ level: 'silent' }),
        concurrency: 4,
        leaseMs: 2_000,
      })
      ctx = {
        db: database.db,
        now: () => new Date(),
        providers,
        settings: { actionAttemptTimeoutMs: 60_000 },
        wakeWorker: () => worker.wake(),
      }
      worker.start()
      const door = await database.db
        .selectFrom('acs_entrances')
        .innerJoin('acs_systems', 'acs_systems.acs_system_id', 'acs_entrances.acs_system_id')
        .select('acs_entrances.acs_entrance_id')
        .where('acs_systems.workspace_id', '=', SANDBOX_WORKSPACE_ID)
        .where('acs_systems.acs_system_id', '!=', hotel)
        .where('acs_entrances.display_name', '=', 'Main Entrance')
        .executeTakeFirstOrThrow()
      saltoDoor = door.acs_entrance_id
    })
    after(async () => {
      await worker.stop()
      await database.close()
      await testDatabase.drop()
    })

    const guest = (name: string) =>
      createUserIdentity(ctx, scope, { full_name: name, email_address: `${name}@guests.example` })

    const methodsOf = (accessGrantId: string) =>
      listAccessMethodsOf(ctx, scope, { access_grant_id: accessGrantId })

    const encode = async (accessMethodId: string) => {
      const attempt = await requestAccessMethodEncoding(ctx, scope, {
        acs_encoder_id: frontDesk,
        access_method_id: accessMethodId,
      })
      return eventually(async () => {
        const row = await findActionAttempt(
          database.db,
          SANDBOX_WORKSPACE_ID,
          attempt.action_attempt_id,
        )
        return row && row.status !== 'pending' ? row : undefined
      })
    }

    test('one access method per requested mode and access system that can serve it', async () => {
      const identity = await guest('rule-one')
      const grant = await createAccessGrant(ctx, scope, {
        user_identity_id: identity.user_identity_id,
        acs_entrance_ids: [room101, saltoDoor],
        // Repeated modes do not multiply access methods.
        requested_access_methods: [{ mode: 'card' }, { mode: 'code' }, { mode: 'card' }],
        ...stay,
      })
      const methods = await methodsOf(grant.access_grant_id)
      // Visionline: a card to encode. Salto KS: a PIN, issued at once, and a card that
      // waits for a registered tag (assign_card).
      assert.deepEqual(bySystemAndMode(methods), [
        'card:not issued',
        'card:not issued',
        'code:issued',
      ])
      assert.equal(methods.filter((m) => m.is_assignment_required).length, 1)
      const toEncode = methods.find((m) => m.mode === 'card' && !m.is_assignment_required)
      assert.equal(toEncode?.is_issued, false)
      assert.equal(toEncode?.is_encoding_required, true)
      assert.equal(toEncode?.is_ready_for_encoding, true)
      // The hotel cannot issue PINs: its room is left out of the code method.
      assert.ok(
        grant.warnings.some((w) => w.warning_code === 'underprovisioned_access'),
        JSON.stringify(grant.warnings),
      )
    })

    test('a mode no access system of the grant can serve is reported, and nothing is made for it', async () => {
      const identity = await guest('rule-two')
      const grant = await createAccessGrant(ctx, scope, {
        user_identity_id: identity.user_identity_id,
        acs_entrance_ids: [room101],
        requested_access_methods: [{ mode: 'mobile_key' }],
        ...stay,
      })
      assert.deepEqual(
        grant.errors.map((e) => e.error_code),
        ['cannot_create_requested_access_methods'],
      )
      assert.deepEqual(await methodsOf(grant.access_grant_id), [])
    })

    test('an encoded card whose stay changes must be encoded again; encoding it again reissues it', async () => {
      const identity = await guest('rule-three')
      const grant = await createAccessGrant(ctx, scope, {
        user_identity_id: identity.user_identity_id,
        acs_entrance_ids: [room101],
        requested_access_methods: [{ mode: 'card' }],
        ...stay,
      })
      const [card] = await methodsOf(grant.access_grant_id)
      assert.ok(card)
      assert.equal((await encode(card.access_method_id)).status, 'success')
      const [issued] = await methodsOf(grant.access_grant_id)
      assert.equal(issued?.is_issued, true)
      assert.equal(issued?.is_encoding_required, false)

      await updateAccessGrantTimes(ctx, scope, {
        access_grant_id: grant.access_grant_id,
        ends_at: '2032-06-06T11:00:00.000Z',
      })
      const [stale] = await methodsOf(grant.access_grant_id)
      assert.equal(stale?.is_encoding_required, true)
      const credentialId = (
        await database.db
          .selectFrom('access_methods')
          .select('acs_credential_id')
          .where('access_method_id', '=', card.access_method_id)
          .executeTakeFirstOrThrow()
      ).acs_credential_id
      assert.ok(credentialId)
      const credential = await getAcsCredential(ctx, scope, credentialId)
      assert.equal(credential.ends_at, '2032-06-06T11:00:00.000Z')
      assert.ok(credential.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))

      assert.equal((await encode(card.access_method_id)).status, 'success')
      const [fresh] = await methodsOf(grant.access_grant_id)
      assert.equal(fresh?.is_encoding_required, false)
      const reissued = await getAcsCredential(ctx, scope, credentialId)
      assert.ok(!reissued.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))
    })

    test('deleting a grant revokes it: its access methods and credentials are gone', async () => {
      const identity = await guest('rule-four')
      const grant = await createAccessGrant(ctx, scope, {
        user_identity_id: identity.user_identity_id,
        acs_entrance_ids: [room101, saltoDoor],
        requested_access_methods: [{ mode: 'card' }, { mode: 'code' }],
        ...stay,
      })
      const credentialIds = (
        await database.db
          .selectFrom('access_methods')
          .select('acs_credential_id')
          .where('access_grant_id', '=', grant.access_grant_id)
          .execute()
      ).flatMap((row) => (row.acs_credential_id ? [row.acs_credential_id] : []))
      assert.equal(credentialIds.length, 3)
      await deleteAccessGrantById(ctx, scope, grant.access_grant_id)
      await assert.rejects(
        getAccessGrant(ctx, scope, { access_grant_id: grant.access_grant_id }),
        DomainError,
      )
      for (const id of credentialIds) {
        await assert.rejects(getAcsCredential(ctx, scope, id), DomainError)
      }
    })

    test('a bad entrance anywhere leaves nothing behind', async () => {
      const identity = await guest('rule-five')
      const before = await database.db
        .selectFrom('access_grants')
        .select('access_grant_id')
        .execute()
      await assert.rejects(
        createAccessGrant(ctx, scope, {
          user_identity_id: identity.user_identity_id,
          acs_entrance_ids: [room101, '00000000-0000-4000-8000-000000000000'],
          requested_access_methods: [{ mode: 'card' }],
          ...stay,
        }),
        (error: unknown) => error instanceof DomainError && error.type === 'acs_entrance_not_found',
      )
      const afterwards = await database.db
        .selectFrom('access_grants')
        .select('access_grant_id')
        .execute()
      assert.equal(afterwards.length, before.length)
    })
  })
}
