import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import { pino } from 'pino'
import { findActionAttempt } from '../../src/db/action-attempts.js'
import { type Database, openDatabase } from '../../src/db/database.js'
import { DeadlineExceeded, withDeadline } from '../../src/db/deadline.js'
import type { ActionAttemptRow } from '../../src/db/schema.js'
import {
  createAcsCredential,
  deleteAcsCredential,
  getAcsCredential,
  updateAcsCredentialSchedule,
} from '../../src/domain/acs-credentials.js'
import { createAcsUser } from '../../src/domain/acs-users.js'
import type { DomainContext, WorkspaceScope } from '../../src/domain/context.js'
import { requestEncoding, requestScan } from '../../src/domain/encoders.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import { ensureSandboxWorkspace } from '../../src/domain/workspaces.js'
import { ActionAttemptWorker, type WorkerOptions } from '../../src/jobs/runner.js'
import {
  createProviderRegistry,
  type ProviderRegistry,
  registryOf,
} from '../../src/providers/index.js'
import type { EncoderDriver } from '../../src/providers/types.js'
import { databaseKinds, type TestDatabase } from '../support/databases.js'
import { GatedDriver } from '../support/gated-driver.js'
import { eventually } from '../support/poll.js'
import { backOffice, frontDesk, hotel, room101 } from '../support/sandbox.js'

/**
 * The action-attempt worker in the test process, on a real database, with no HTTP:
 * a gated driver holds each encoding until the test lets it go, so every step of a
 * leased job (claim, run with no transaction open, apply with checks, recovery) is
 * observed directly.
 */

const scope: WorkspaceScope = { workspace_id: SANDBOX_WORKSPACE_ID, is_sandbox: true }
const silent = pino({ level: 'silent' })

/** The access systems as they are, every encoder driven by `driver`. */
const registry = (driver: EncoderDriver): ProviderRegistry =>
  registryOf(
    createProviderRegistry({ sandboxActionDelayMs: 0 })
      .all()
      .map((provider) => ({ ...provider, encoderDriver: () => driver })),
  )

for (const kind of databaseKinds) {
  describe(`action attempt worker [${kind.name}]`, { timeout: 180_000 }, () => {
    let testDatabase: TestDatabase
    let database: Database
    const workers: ActionAttemptWorker[] = []

    before(async () => {
      testDatabase = await kind.create()
      database = await openDatabase({
        databaseUrl: testDatabase.env.DATABASE_URL,
        dataDir: testDatabase.env.KEYSMITH_DATA_DIR ?? '',
      })
      await ensureSandboxWorkspace(database.db, {
        now: new Date(),
        providers: createProviderRegistry({ sandboxActionDelayMs: 0 }),
      })
    })
    after(async () => {
      for (const worker of workers) await worker.stop()
      await database.close()
      await testDatabase.drop()
    })

    /** A worker (and the context requests are made through) around `driver`. */
    const setUp = (driver: EncoderDriver, options: Partial<WorkerOptions> = {}) => {
      const providers = registry(driver)
      const worker = new ActionAttemptWorker({
        db: database.db,
        providers,
        pollMs: 20,
        now: () => new Date(),
        log: silent,
        concurrency: 8,
        leaseMs: 2_000,
        stopGraceMs: 50,
        ...options,
      })
      workers.push(worker)
      const ctx: DomainContext = {
        db: database.db,
        now: () => new Date(),
        providers,
        settings: { actionAttemptTimeoutMs: 60_000 },
        wakeWorker: () => worker.wake(),
      }
      return { worker, ctx }
    }

    const newCard = async (ctx: DomainContext, name: string) => {
      const user = await createAcsUser(ctx, scope, { acs_system_id: hotel, full_name: name })
      return createAcsCredential(ctx, scope, {
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [room101],
        starts_at: '2030-01-01T15:00:00.000Z',
        ends_at: '2030-01-03T11:00:00.000Z',
      })
    }

    const encode = (ctx: DomainContext, acsEncoderId: string, acsCredentialId: string) =>
      requestEncoding(ctx, scope, {
        acs_encoder_id: acsEncoderId,
        acs_credential_id: acsCredentialId,
      })

    const attemptRow = async (actionAttemptId: string): Promise<ActionAttemptRow> => {
      const row = await findActionAttempt(database.db, SANDBOX_WORKSPACE_ID, actionAttemptId)
      assert.ok(row, `attempt ${actionAttemptId}`)
      return row
    }

    const finished = (actionAttemptId: string) =>
      eventually(
        async () => {
          const row = await attemptRow(actionAttemptId)
          return row.status === 'pending' ? undefined : row
        },
        { what: `attempt ${actionAttemptId} to finish` },
      )

    const issuedEvents = async (acsCredentialId: string) => {
      const result = await sql<{ count: string }>`
        select count(*)::text as count from events
        where event_type in ('acs_credential.issued', 'acs_credential.reissued')
          and payload->>'acs_credential_id' = ${acsCredentialId}
      `.execute(database.db)
      return Number(result.rows[0]?.count)
    }

    test('the driver runs with no transaction open: the database answers while a card is on the encoder', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      worker.start()
      const credential = await newCard(ctx, 'Open Guest')
      const attempt = await encode(ctx, frontDesk, credential.acs_credential_id)
      const [call] = await driver.callsMade(1)
      assert.ok(call)
      // While the encoder works: reads and writes go through, on PGlite's single connection too.
      const read = await getAcsCredential(ctx, scope, credential.acs_credential_id)
      assert.equal(read.is_issued, false)
      const other = await newCard(ctx, 'Walk-in Guest')
      assert.ok(other.acs_credential_id)
      assert.equal((await attemptRow(attempt.action_attempt_id)).status, 'pending')
      call.release()
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.status, 'success')
      assert.equal(
        (await getAcsCredential(ctx, scope, credential.acs_credential_id)).is_issued,
        true,
      )
      await worker.stop()
    })

    test('one attempt at a time per encoder, oldest first; encoders work side by side', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      const [first, second, third] = await Promise.all([
        newCard(ctx, 'Queue One'),
        newCard(ctx, 'Queue Two'),
        newCard(ctx, 'Queue Three'),
      ])
      assert.ok(first && second && third)
      const a1 = await encode(ctx, frontDesk, first.acs_credential_id)
      const a2 = await encode(ctx, frontDesk, second.acs_credential_id)
      const b1 = await encode(ctx, backOffice, third.acs_credential_id)
      worker.start()
      const calls = await driver.callsMade(2)
      // Both encoders are busy at once; the second Front Desk encoding waits its turn.
      assert.deepEqual(
        new Set(calls.map((c) => c.acsCredentialId)),
        new Set([first.acs_credential_id, third.acs_credential_id]),
      )
      // Give the worker every chance to start the queued one too early.
      for (let i = 0; i < 5; i++) worker.wake()
      await eventually(async () => (worker.running === 2 ? true : undefined))
      assert.equal(driver.calls.length, 2)
      assert.equal((await attemptRow(a2.action_attempt_id)).started_at, null)

      calls[0]?.release()
      calls[1]?.release()
      const [next] = (await driver.callsMade(3)).slice(2)
      assert.equal(next?.acsCredentialId, second.acs_credential_id)
      next?.release()
      for (const id of [a1, a2, b1].map((a) => a.action_attempt_id)) {
        assert.equal((await finished(id)).status, 'success')
      }
      const [r1, r2] = [
        await attemptRow(a1.action_attempt_id),
        await attemptRow(a2.action_attempt_id),
      ]
      assert.ok(r1.completed_at && r2.started_at && r1.completed_at <= r2.started_at)
      await worker.stop()
    })

    test('an older attempt that commits after a newer one started waits for it', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      const [one, two] = await Promise.all([newCard(ctx, 'Late One'), newCard(ctx, 'Late Two')])
      assert.ok(one && two)
      worker.start()
      const newer = await encode(ctx, backOffice, two.acs_credential_id)
      const [running] = await driver.callsMade(driver.calls.length + 1)
      // As if its request's transaction had begun first and committed only now.
      const older = await encode(ctx, backOffice, one.acs_credential_id)
      await database.db
        .updateTable('action_attempts')
        .set({ created_at: new Date(Date.now() - 60_000) })
        .where('action_attempt_id', '=', older.action_attempt_id)
        .execute()
      for (let i = 0; i < 5; i++) worker.wake()
      await eventually(async () => (worker.running === 1 ? true : undefined))
      assert.equal((await attemptRow(older.action_attempt_id)).started_at, null)
      running?.release()
      ;(await driver.callsMade(driver.calls.length + 1)).at(-1)?.release()
      assert.equal((await finished(newer.action_attempt_id)).status, 'success')
      assert.equal((await finished(older.action_attempt_id)).status, 'success')
      await worker.stop()
    })

    test('KEYSMITH_WORKER_CONCURRENCY caps the attempts one process runs at once', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver, { concurrency: 1 })
      const [one, two] = await Promise.all([newCard(ctx, 'Cap One'), newCard(ctx, 'Cap Two')])
      assert.ok(one && two)
      const a = await encode(ctx, frontDesk, one.acs_credential_id)
      const b = await encode(ctx, backOffice, two.acs_credential_id)
      worker.start()
      const [call] = await driver.callsMade(1)
      for (let i = 0; i < 5; i++) worker.wake()
      await eventually(async () => (worker.running === 1 ? true : undefined))
      assert.equal(driver.calls.length, 1)
      call?.release()
      ;(await driver.callsMade(2))[1]?.release()
      assert.equal((await finished(a.action_attempt_id)).status, 'success')
      assert.equal((await finished(b.action_attempt_id)).status, 'success')
      await worker.stop()
    })

    test('a credential deleted while its card is written ends credential_deleted and issues nothing', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      worker.start()
      const credential = await newCard(ctx, 'Vanishing Guest')
      const attempt = await encode(ctx, frontDesk, credential.acs_credential_id)
      const [call] = (await driver.callsMade(driver.calls.length + 1)).slice(-1)
      await deleteAcsCredential(ctx, scope, credential.acs_credential_id)
      call?.release()
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'credential_deleted')
      assert.equal(await issuedEvents(credential.acs_credential_id), 0)
      await worker.stop()
    })

    test('a credential changed while its card is written is issued and needs to be reissued', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      worker.start()
      const credential = await newCard(ctx, 'Extended Guest')
      const attempt = await encode(ctx, frontDesk, credential.acs_credential_id)
      const [call] = (await driver.callsMade(driver.calls.length + 1)).slice(-1)
      await updateAcsCredentialSchedule(ctx, scope, {
        acs_credential_id: credential.acs_credential_id,
        ends_at: '2030-01-05T11:00:00.000Z',
      })
      call?.release()
      assert.equal((await finished(attempt.action_attempt_id)).status, 'success')
      const after = await getAcsCredential(ctx, scope, credential.acs_credential_id)
      assert.equal(after.is_issued, true)
      assert.ok(
        after.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'),
        JSON.stringify(after.warnings),
      )
      await worker.stop()
    })

    test('a driver that does not answer in time ends encoder_communication_timeout; its signal fires', async () => {
      const driver = new GatedDriver({ timeoutMs: 150 })
      const { worker, ctx } = setUp(driver)
      worker.start()
      const credential = await newCard(ctx, 'Slow Guest')
      const attempt = await encode(ctx, frontDesk, credential.acs_credential_id)
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'encoder_communication_timeout')
      assert.equal(driver.calls.at(-1)?.signal.aborted, true)
      assert.equal(await issuedEvents(credential.acs_credential_id), 0)
      await worker.stop()
    })

    test('stop() does not hang on a driver that ignores its signal, and hands the lease back', async () => {
      const hung = new GatedDriver({ ignoreAbort: true })
      const first = setUp(hung)
      first.worker.start()
      const credential = await newCard(first.ctx, 'Hung Guest')
      const attempt = await encode(first.ctx, frontDesk, credential.acs_credential_id)
      await hung.callsMade(hung.calls.length + 1)
      const stoppedAt = Date.now()
      await first.worker.stop()
      assert.ok(Date.now() - stoppedAt < 3_000, 'stop() returned promptly')
      const row = await attemptRow(attempt.action_attempt_id)
      assert.equal(row.status, 'pending')
      assert.ok(row.lease_expires_at && row.lease_expires_at <= new Date(), 'lease handed back')

      // The next process takes it up at once and, the operation being retryable, runs it again.
      const working = new GatedDriver()
      const next = setUp(working)
      next.worker.start()
      ;(await working.callsMade(1))[0]?.release()
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.status, 'success')
      assert.equal(done.run_count, 2)
      assert.equal(await issuedEvents(credential.acs_credential_id), 1)
      // The hung call finishing late changes nothing.
      hung.calls.at(-1)?.release()
      await next.worker.stop()
      assert.equal(await issuedEvents(credential.acs_credential_id), 1)
    })

    test('a lease lost to another process applies nothing; the new holder finishes the attempt once', async () => {
      const slow = new GatedDriver()
      const a = setUp(slow)
      a.worker.start()
      const credential = await newCard(a.ctx, 'Contested Guest')
      const attempt = await encode(a.ctx, frontDesk, credential.acs_credential_id)
      const [held] = (await slow.callsMade(slow.calls.length + 1)).slice(-1)
      // As if process A froze past its lease: the lease runs out and B takes over. The
      // token changes too, so a renewal A makes before B claims cannot revive it.
      await database.db
        .updateTable('action_attempts')
        .set({ lease_expires_at: new Date(Date.now() - 1), lease_token: randomUUID() })
        .where('action_attempt_id', '=', attempt.action_attempt_id)
        .execute()
      const fast = new GatedDriver()
      const b = setUp(fast)
      b.worker.start()
      // Whichever process claims the expired lease first is the new holder: B, or A
      // itself once its renewal has failed and the held run has been given up.
      const taken = slow.calls.length
      const next = await Promise.race([
        fast.callsMade(1).then((calls) => calls[0]),
        slow.callsMade(taken + 1).then((calls) => calls[taken]),
      ])
      next?.release()
      assert.equal((await finished(attempt.action_attempt_id)).status, 'success')
      // A notices when it renews, is aborted, and applies nothing.
      await held?.settled
      held?.release()
      await a.worker.stop()
      await b.worker.stop()
      assert.equal(held?.signal.aborted, true)
      assert.equal(await issuedEvents(credential.acs_credential_id), 1)
    })

    test('an attempt cut off midway whose write may not be retried ends encoding_interrupted', async () => {
      const hung = new GatedDriver({ ignoreAbort: true, retryable: false })
      const first = setUp(hung)
      first.worker.start()
      const credential = await newCard(first.ctx, 'Interrupted Guest')
      const attempt = await encode(first.ctx, frontDesk, credential.acs_credential_id)
      await hung.callsMade(hung.calls.length + 1)
      await first.worker.stop()
      const next = setUp(new GatedDriver({ retryable: false }))
      next.worker.start()
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'encoding_interrupted')
      assert.equal(await issuedEvents(credential.acs_credential_id), 0)
      await next.worker.stop()
    })

    test('an attempt never started before its deadline ends action_attempt_expired', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      const late = { ...ctx, settings: { actionAttemptTimeoutMs: 1 } }
      const credential = await newCard(ctx, 'Late Guest')
      const requestedAt = Date.now()
      const attempt = await encode(late, backOffice, credential.acs_credential_id)
      await eventually(async () => (Date.now() > requestedAt + 10 ? true : undefined))
      worker.start()
      const done = await finished(attempt.action_attempt_id)
      assert.equal(done.error?.type, 'action_attempt_expired')
      assert.equal(done.started_at, null)
      assert.equal(driver.calls.length, 0)
      await worker.stop()
    })

    test('work woken from inside a request does not run under its deadline', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      const credential = await newCard(ctx, 'Deadline Guest')
      const attempt = await encode(ctx, frontDesk, credential.acs_credential_id)
      // A request wakes the worker, then runs past its deadline. Had the worker's
      // transactions run in the request's context, they would count as the
      // request's own (its deadline would not fire) or be refused once it had.
      await assert.rejects(
        withDeadline(300, async () => {
          worker.start()
          await driver.callsMade(1)
          await new Promise((resolve) => setTimeout(resolve, 1_000))
        }),
        DeadlineExceeded,
      )
      driver.calls[0]?.release()
      assert.equal((await finished(attempt.action_attempt_id)).status, 'success')
      await worker.stop()
    })

    test('scans run beside an encoding on another encoder', async () => {
      const driver = new GatedDriver()
      const { worker, ctx } = setUp(driver)
      worker.start()
      const credential = await newCard(ctx, 'Beside Guest')
      const encoding = await encode(ctx, frontDesk, credential.acs_credential_id)
      const scan = await requestScan(ctx, scope, { acs_encoder_id: backOffice })
      const calls = await driver.callsMade(driver.calls.length + 2)
      assert.deepEqual(
        new Set(calls.slice(-2).map((c) => c.operation)),
        new Set(['encode', 'scan']),
      )
      for (const call of calls.slice(-2)) call.release()
      assert.equal((await finished(encoding.action_attempt_id)).status, 'success')
      assert.equal((await finished(scan.action_attempt_id)).status, 'success')
      await worker.stop()
    })
  })
}
