import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
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
 * Encodings run like physical work: each encoder takes its time (here the sandbox
 * delay), encoders work side by side, one encoder does one card at a time, and the
 * API stays responsive while cards are being written.
 */

const delayMs = 800

const newCard = async (seam: SeamHttp, name: string) =>
  (
    await newCardCredential(seam, name, {
      starts_at: '2031-03-01T15:00:00.000Z',
      ends_at: '2031-03-03T11:00:00.000Z',
    })
  ).credential

const encode = (seam: SeamHttp, acsEncoderId: string, acsCredentialId: string) =>
  seam.acs.encoders.encodeCredential(
    { acs_encoder_id: acsEncoderId, acs_credential_id: acsCredentialId },
    { waitForActionAttempt: false },
  )

/** A low percentile: other load on the machine inflates some reads, a held database all of them. */
const lowQuartile = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 4)] ?? 0
}

const timedReads = async (seam: SeamHttp, acsCredentialId: string, count: number) => {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now()
    await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })
    times.push(performance.now() - startedAt)
  }
  return times
}

for (const kind of databaseKinds) {
  describe(`encoder engine [${kind.name}]`, { timeout: 180_000 }, () => {
    const servers: TestServer[] = []
    after(async () => {
      for (const server of servers) await server.stop()
      for (const server of new Set(servers.map((s) => s.database))) await server.drop()
    })
    const launch = async (env: Record<string, string> = {}) => {
      const server = new TestServer(await kind.create(), {
        env: { KEYSMITH_SANDBOX_ACTION_DELAY_MS: String(delayMs), ...env },
      })
      servers.push(server)
      return server.start()
    }

    test('two front desks encode at once in about the time of one', async () => {
      const server = await launch()
      const seam = server.seam()
      const [one, two] = await Promise.all([newCard(seam, 'Desk One'), newCard(seam, 'Desk Two')])
      assert.ok(one && two)
      const [a, b] = await Promise.all([
        encode(seam, frontDesk, one.acs_credential_id),
        encode(seam, backOffice, two.acs_credential_id),
      ])
      const finishedAt = async (id: string) => {
        const attempt = await finishedAttempt(seam, id, 20_000)
        return { attempt, at: performance.now() }
      }
      const [doneA, doneB] = await Promise.all([
        finishedAt(a.action_attempt_id),
        finishedAt(b.action_attempt_id),
      ])
      assert.equal(doneA.attempt.status, 'success')
      assert.equal(doneB.attempt.status, 'success')
      assertResource('action_attempt', doneA.attempt)
      // One after the other, the second would finish a whole encoder time after the
      // first; side by side they finish together.
      const gap = Math.abs(doneA.at - doneB.at)
      assert.ok(gap < delayMs / 2, `the two encodings finished ${Math.round(gap)} ms apart`)
    })

    test('two encodings on one encoder complete in order, the second after the first', async () => {
      const server = servers[0] ?? (await launch())
      const seam = server.seam()
      const [one, two] = await Promise.all([newCard(seam, 'Line One'), newCard(seam, 'Line Two')])
      assert.ok(one && two)
      const startedAt = performance.now()
      const first = await encode(seam, frontDesk, one.acs_credential_id)
      const second = await encode(seam, frontDesk, two.acs_credential_id)
      // The second is still waiting for the encoder when the first is done.
      const doneFirst = await finishedAttempt(seam, first.action_attempt_id, 20_000)
      const secondMeanwhile = await seam.actionAttempts.get(
        { action_attempt_id: second.action_attempt_id },
        { waitForActionAttempt: false },
      )
      const doneSecond = await finishedAttempt(seam, second.action_attempt_id, 20_000)
      const elapsed = performance.now() - startedAt
      assert.equal(doneFirst.status, 'success')
      assert.equal(doneSecond.status, 'success')
      assert.equal(secondMeanwhile.status, 'pending')
      assert.ok(elapsed >= 2 * delayMs, `one encoder did two cards in ${Math.round(elapsed)} ms`)
      // The card left on the encoder is the second guest's.
      const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: frontDesk })
      assert.equal(scan.status, 'success')
      if (scan.action_type !== 'SCAN_CREDENTIAL' || scan.status !== 'success') return
      assert.equal(scan.result.acs_credential_on_seam?.acs_credential_id, two.acs_credential_id)
    })

    test('reads answer as fast while 50 encodings are pending as when idle', async () => {
      const server = servers[0] ?? (await launch())
      const seam = server.seam()
      const probe = await newCard(seam, 'Probe Guest')
      await timedReads(seam, probe.acs_credential_id, 10) // warm up
      const idle = lowQuartile(await timedReads(seam, probe.acs_credential_id, 30))
      const cards = await Promise.all(
        Array.from({ length: 50 }, (_, i) => newCard(seam, `Busy Guest ${i}`)),
      )
      const attempts = await Promise.all(
        cards.map((card, i) =>
          encode(seam, i % 2 === 0 ? frontDesk : backOffice, card.acs_credential_id),
        ),
      )
      const busy = lowQuartile(await timedReads(seam, probe.acs_credential_id, 30))
      const stillPending = await seam.actionAttempts.list({
        action_attempt_ids: attempts.map((a) => a.action_attempt_id),
      })
      assert.ok(
        stillPending.filter((a) => a.status === 'pending').length >= 40,
        'the encodings were still pending while reads were timed',
      )
      // Generous, for a loaded 2-core machine; an encoding holding the database (as
      // one run inside its transaction did on PGlite) adds hundreds of milliseconds.
      assert.ok(
        busy < Math.max(idle * 4, idle + 40),
        `reads took ${busy.toFixed(1)} ms (p25) while encoding, ${idle.toFixed(1)} ms idle`,
      )
      // Leave nothing running into the next test: the encoders take a few seconds.
      await server.restart({ KEYSMITH_SANDBOX_ACTION_DELAY_MS: '0' })
      const fresh = server.seam()
      for (const attempt of attempts) {
        assert.equal(
          (await finishedAttempt(fresh, attempt.action_attempt_id, 20_000)).status,
          'success',
        )
      }
    })

    test('a credential deleted while its card is written ends credential_deleted and leaves no card issued', async () => {
      const server = await launch({ KEYSMITH_SANDBOX_ACTION_DELAY_MS: '1500' })
      const seam = server.seam()
      const card = await newCard(seam, 'Checked-out Guest')
      const attempt = await encode(seam, backOffice, card.acs_credential_id)
      await seam.acs.credentials.delete({ acs_credential_id: card.acs_credential_id })
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 20_000)
      assertResource('action_attempt', done)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'credential_deleted')
      assert.equal((await issuedEvents(seam, card.acs_credential_id)).length, 0)
      // Nothing of the deleted guest's was written to the card left on the encoder.
      const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: backOffice })
      if (scan.action_type !== 'SCAN_CREDENTIAL' || scan.status !== 'success') {
        assert.fail(`scan did not succeed: ${JSON.stringify(scan)}`)
      }
      assert.equal(scan.result.acs_credential_on_seam, null)
      assert.ok(
        !scan.result.warnings.some((w) => w.warning_code === 'acs_credential_on_seam_not_found'),
        'the card on the encoder is not the deleted credential',
      )
    })

    if (kind.name === 'postgres') {
      test('kill -9 of one of two processes during 200 encodings: none left pending, none applied twice', async () => {
        const database = await kind.create()
        const env = { KEYSMITH_SANDBOX_ACTION_DELAY_MS: '20', KEYSMITH_ACTION_LEASE_MS: '1500' }
        const a = new TestServer(database, { env })
        const b = new TestServer(database, { env, apiKey: a.apiKey })
        servers.push(a, b)
        await a.start()
        await b.start()
        const seamA = a.seam()
        const seamB = b.seam()
        const cards: { acs_credential_id: string }[] = []
        for (let i = 0; i < 200; i += 20) {
          cards.push(
            ...(await Promise.all(
              Array.from({ length: 20 }, (_, j) => newCard(seamA, `Crowd ${i + j}`)),
            )),
          )
        }
        const attempts = await Promise.all(
          cards.map((card, i) =>
            encode(
              i % 2 === 0 ? seamA : seamB,
              i % 2 === 0 ? frontDesk : backOffice,
              card.acs_credential_id,
            ),
          ),
        )
        // Kill A once the work is well under way, with attempts surely in its hands.
        await eventually(
          async () => {
            const list = await seamB.actionAttempts.list({
              action_attempt_ids: attempts.map((x) => x.action_attempt_id),
            })
            return list.filter((x) => x.status !== 'pending').length >= 40 ? true : undefined
          },
          { what: 'the first 40 encodings', timeoutMs: 60_000 },
        )
        await a.kill()
        for (const attempt of attempts) {
          const done = await finishedAttempt(seamB, attempt.action_attempt_id, 60_000)
          assert.equal(done.status, 'success', JSON.stringify(done))
        }
        for (const card of cards) {
          const events = await issuedEvents(seamB, card.acs_credential_id)
          assert.deepEqual(
            events.map((e) => e.event_type),
            ['acs_credential.issued'],
            `credential ${card.acs_credential_id} was issued once`,
          )
        }
      })
    }
  })
}
