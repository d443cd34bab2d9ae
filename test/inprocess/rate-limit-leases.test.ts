import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Database, openDatabase } from '../../src/db/database.js'
import type { DomainContext, Principal } from '../../src/domain/context.js'
import { RateLimitedError } from '../../src/domain/errors.js'
import { batchSize, enforceRateLimit } from '../../src/domain/rate-limit.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import { createProviderRegistry } from '../../src/providers/index.js'
import { databaseKinds, type TestDatabase } from '../support/databases.js'

/**
 * The rate limiter hands out tokens it took from the shared bucket in batches (a
 * twentieth of a second's refill): on a clock that stands still, no process, and no
 * number of processes together, lets more requests through than the bucket holds.
 */

const principal = (id: string): Principal => ({
  kind: 'api_key',
  api_key_id: id,
  workspace: { workspace_id: SANDBOX_WORKSPACE_ID, is_sandbox: true },
})

/** Requests let through before the first refusal, `concurrency` at a time. */
const passBeforeRefusal = async (
  ctxs: DomainContext[],
  who: Principal,
  concurrency: number,
): Promise<{ passed: number; refusal: RateLimitedError }> => {
  let passed = 0
  let refusal: RateLimitedError | undefined
  let turn = 0
  while (!refusal) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const ctx = ctxs[turn++ % ctxs.length] as DomainContext
        try {
          await enforceRateLimit(ctx, who)
          passed++
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error
          refusal = error
        }
      }),
    )
    assert.ok(passed < 10_000, 'never refused')
  }
  return { passed, refusal }
}

test('batch size: a twentieth of the rate, at most half the burst, at least one', () => {
  assert.equal(batchSize(1000, 2000), 50)
  assert.equal(batchSize(1000, 20), 10)
  assert.equal(batchSize(0.5, 3), 1)
  assert.equal(batchSize(39, 100), 1)
  assert.equal(batchSize(40, 100), 2)
})

for (const kind of databaseKinds) {
  describe(`rate limit leases [${kind.name}]`, { timeout: 60_000 }, () => {
    let testDatabase: TestDatabase
    let databases: Database[] = []
    const frozen = new Date('2030-01-01T00:00:00.000Z')

    before(async () => {
      testDatabase = await kind.create()
      const open = () =>
        openDatabase({
          databaseUrl: testDatabase.env.DATABASE_URL,
          dataDir: testDatabase.env.KEYSMITH_DATA_DIR ?? '',
        })
      // Two "processes" (two pools, so two lease tables) where the database allows it.
      databases = kind.name === 'postgres' ? [await open(), await open()] : [await open()]
    })
    after(async () => {
      for (const database of databases) await database.close()
      await testDatabase.drop()
    })

    const contexts = (rate: number, burst: number, now: () => Date): DomainContext[] =>
      databases.map((database) => ({
        db: database.db,
        now,
        providers: createProviderRegistry({ sandboxActionDelayMs: 0 }),
        settings: { actionAttemptTimeoutMs: 60_000, rateLimit: { rate, burst } },
        wakeWorker: () => {},
      }))

    test('with batches, no more requests pass than the bucket holds', async () => {
      const ctxs = contexts(1000, 300, () => frozen)
      const { passed, refusal } = await passBeforeRefusal(ctxs, principal('batched'), 20)
      // The clock stands still: nothing refills, and the burst is all there is.
      assert.equal(passed, 300)
      assert.ok(refusal.retryAfterSeconds >= 1)
    })

    test('after a refill the credential passes again; another credential is apart', async () => {
      let clock = frozen.getTime()
      const ctxs = contexts(1000, 300, () => new Date(clock))
      const first = await passBeforeRefusal(ctxs, principal('refilled'), 20)
      assert.equal(first.passed, 300)
      clock += 100 // 100 tokens refill
      const second = await passBeforeRefusal(ctxs, principal('refilled'), 20)
      assert.equal(second.passed, 100)
      const other = await passBeforeRefusal(ctxs, principal('another'), 5)
      assert.equal(other.passed, 300)
    })

    test('one token at a time below 40 per second, exactly as the bucket says', async () => {
      const ctxs = contexts(0.5, 3, () => frozen)
      const { passed, refusal } = await passBeforeRefusal(ctxs, principal('slow'), 1)
      assert.equal(passed, 3)
      assert.ok(refusal.retryAfterSeconds >= 2)
    })
  })
}
