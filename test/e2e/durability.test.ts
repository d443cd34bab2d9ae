import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { databaseKinds } from '../support/databases.js'
import { eventually } from '../support/poll.js'
import {
  backOffice,
  finishedAttempt,
  frontDesk,
  issuedEvents,
  newCardCredential,
} from '../support/sandbox.js'
import { TestServer } from '../support/server.js'

/**
 * Action attempts are durable: a restart or a crash (kill -9) never leaves one
 * pending forever, and two processes on one PostgreSQL never run one twice.
 */

const newCard = async (seam: SeamHttp, name: string) =>
  (
    await newCardCredential(seam, name, {
      starts_at: '2026-01-01T15:00:00.000Z',
      ends_at: '2026-01-03T11:00:00.000Z',
    })
  ).credential

for (const kind of databaseKinds) {
  describe(`durability [${kind.name}]`, { timeout: 120_000 }, () => {
    const servers: TestServer[] = []
    after(async () => {
      for (const server of servers) await server.stop()
      for (const server of servers) await server.database.drop()
    })
    const launch = async (env: Record<string, string>) => {
      const server = new TestServer(await kind.create(), { env })
      servers.push(server)
      return server.start()
    }

    test('an attempt pending at a graceful stop is finished after the restart', async () => {
      const server = await launch({ KEYSMITH_SANDBOX_ACTION_DELAY_MS: '1000' })
      const credential = await newCard(server.seam(), 'Restart Guest')
      const pending = await server
        .seam()
        .acs.encoders.encodeCredential(
          { acs_encoder_id: frontDesk, acs_credential_id: credential.acs_credential_id },
          { waitForActionAttempt: false },
        )
      assert.equal(pending.status, 'pending')
      await server.restart()
      const seam = server.seam()
      const attempt = await finishedAttempt(seam, pending.action_attempt_id)
      assert.equal(attempt.status, 'success')
      const again = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      assert.equal(again.is_issued, true)
      assert.equal((await issuedEvents(seam, credential.acs_credential_id)).length, 1)
    })

    test('an attempt pending when the process is killed (kill -9) is finished after the restart', async () => {
      const server = await launch({ KEYSMITH_SANDBOX_ACTION_DELAY_MS: '1000' })
      const credential = await newCard(server.seam(), 'Crash Guest')
      const pending = await server
        .seam()
        .acs.encoders.encodeCredential(
          { acs_encoder_id: backOffice, acs_credential_id: credential.acs_credential_id },
          { waitForActionAttempt: false },
        )
      await server.kill()
      await server.start()
      const seam = server.seam()
      const attempt = await finishedAttempt(seam, pending.action_attempt_id)
      assert.equal(attempt.status, 'success')
      assert.equal((await issuedEvents(seam, credential.acs_credential_id)).length, 1)
    })

    test('an attempt whose deadline passed while the server was down ends as action_attempt_expired', async () => {
      // API-only at first, so the attempt cannot finish before its deadline.
      const server = await launch({
        KEYSMITH_WORKERS: 'off',
        KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS: '800',
      })
      const credential = await newCard(server.seam(), 'Expired Guest')
      const requestedAt = Date.now()
      const pending = await server
        .seam()
        .acs.encoders.encodeCredential(
          { acs_encoder_id: frontDesk, acs_credential_id: credential.acs_credential_id },
          { waitForActionAttempt: false },
        )
      await server.kill()
      // The attempt's deadline is 800 ms after it was requested: wait until it has passed.
      await eventually(async () => (Date.now() - requestedAt > 900 ? true : undefined), {
        what: 'the deadline to pass',
      })
      await server.restart({ KEYSMITH_WORKERS: 'on' })
      const seam = server.seam()
      const attempt = await finishedAttempt(seam, pending.action_attempt_id)
      assert.equal(attempt.status, 'error')
      assert.equal(attempt.error?.type, 'action_attempt_expired')
      const unchanged = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      assert.equal(unchanged.is_issued, false)
      assert.equal((await issuedEvents(seam, credential.acs_credential_id)).length, 0)
    })

    if (kind.name === 'pglite') {
      test('a second process on the same embedded database is refused with a clear message', async () => {
        const first = await launch({})
        const second = new TestServer(first.database, { env: {} })
        await assert.rejects(second.start(), /Another Keysmith process \(pid \d+\) is using/)
      })
    }

    if (kind.name === 'postgres') {
      test('two processes on one PostgreSQL start together and share the work without running an attempt twice', async () => {
        const database = await kind.create()
        const env = { KEYSMITH_SANDBOX_ACTION_DELAY_MS: '150', LOG_LEVEL: 'info' }
        const a = new TestServer(database, { env })
        const b = new TestServer(database, { env, apiKey: a.apiKey })
        servers.push(a, b)
        // Both start on an empty database: exactly one creates the sandbox.
        await Promise.all([a.start(), b.start()])
        const seamA = a.seam()
        const seamB = b.seam()
        assert.equal((await seamA.acs.systems.list()).length, 4)

        const credentials = await Promise.all(
          Array.from({ length: 24 }, (_, i) => newCard(seamA, `Shared Guest ${i}`)),
        )
        const attempts = await Promise.all(
          credentials.map((credential, i) =>
            (i % 2 === 0 ? seamA : seamB).acs.encoders.encodeCredential(
              {
                acs_encoder_id: i % 3 === 0 ? backOffice : frontDesk,
                acs_credential_id: credential.acs_credential_id,
              },
              { waitForActionAttempt: false },
            ),
          ),
        )
        for (const attempt of attempts) {
          assert.equal((await finishedAttempt(seamB, attempt.action_attempt_id)).status, 'success')
        }
        for (const credential of credentials) {
          const events = await issuedEvents(seamA, credential.acs_credential_id)
          assert.deepEqual(
            events.map((e) => e.event_type),
            ['acs_credential.issued'],
          )
        }
        // Each attempt was finished by exactly one process.
        const finishedIds = [a.output, b.output].flatMap((output) =>
          [
            ...output.matchAll(
              /"action_attempt_id":"([0-9a-f-]+)"[^\n]*"action attempt finished"/g,
            ),
          ].map((match) => match[1]),
        )
        assert.equal(finishedIds.length, attempts.length)
        assert.equal(new Set(finishedIds).size, attempts.length)
      })
    }
  })
}
