import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SeamHttpApiError } from '@seamapi/http/connect'
import pg from 'pg'
import { clusterUnavailable, PgCluster } from '../support/pg-cluster.js'
import { eventually } from '../support/poll.js'
import { WebhookReceiver } from '../support/receiver.js'
import {
  backOffice,
  finishedAttempt,
  frontDesk,
  hotel,
  issuedEvents,
  newCardCredential,
} from '../support/sandbox.js'
import { TestServer } from '../support/server.js'

/**
 * PostgreSQL restarted under load, on a cluster of the test's own (never the shared
 * server): while it is down requests fail fast with 503 `service_unavailable` in
 * Seam's error shape and /ready says so; once it is back the same process recovers by
 * itself, nothing committed is lost, and action attempts and webhook deliveries go on.
 */

/** What one request of the background load got. */
interface Outcome {
  at: number
  ms: number
  write: boolean
  /** 200, the API error's status, or 0 for anything else (a network error, a bad shape). */
  status: number
  type: string
}

/** Requests from a few concurrent clients until stopped; remembers every user it created. */
class Load {
  readonly outcomes: Outcome[] = []
  readonly createdUserIds: string[] = []
  #running = true
  #loops: Promise<void>[] = []

  constructor(
    readonly server: TestServer,
    clients: number,
  ) {
    for (let i = 0; i < clients; i++) this.#loops.push(this.#loop(i))
  }

  async #loop(client: number): Promise<void> {
    const seam = this.server.seam()
    for (let n = 0; this.#running; n++) {
      const started = Date.now()
      const write = n % 2 === 0
      try {
        if (write) {
          const user = await seam.acs.users.create({
            acs_system_id: hotel,
            full_name: `Load ${client}-${n}`,
          })
          this.createdUserIds.push(user.acs_user_id)
        } else {
          await seam.acs.systems.list()
        }
        this.outcomes.push({
          at: started,
          ms: Date.now() - started,
          write,
          status: 200,
          type: 'ok',
        })
      } catch (error) {
        const api = error instanceof SeamHttpApiError
        this.outcomes.push({
          at: started,
          ms: Date.now() - started,
          write,
          status: api ? error.statusCode : 0,
          type: api ? error.code : String(error),
        })
        // Failures come back at once: do not spin the 2 cores on them.
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }

  since(at: number): Outcome[] {
    return this.outcomes.filter((o) => o.at >= at)
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }
}

/**
 * The server listens on its channels (action attempts, webhook deliveries, bridge
 * results, credential changes for its API-key cache, catalog changes, bridge jobs) on
 * one connection (db/listener.ts).
 */
const listenerSessions = 1

/** Sessions of the server that last ran LISTEN: its notification listener. */
const listeners = async (url: string): Promise<number> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity
       where query ilike 'listen %' and pid <> pg_backend_pid()`,
    )
    return Number(rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}

describe('PostgreSQL restarted under load', { skip: clusterUnavailable, timeout: 180_000 }, () => {
  let cluster: PgCluster | undefined
  let server: TestServer | undefined
  const receiver = new WebhookReceiver()

  before(async () => {
    cluster = await PgCluster.create()
    await receiver.start()
    server = await new TestServer(cluster.database(), {
      env: {
        // Encodings long enough to be running when the database goes.
        KEYSMITH_SANDBOX_ACTION_DELAY_MS: '400',
        KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '100,200,400,800,1000,1000,1000,1000',
        KEYSMITH_RATE_LIMIT: 'off',
      },
    }).start()
  })
  after(async () => {
    await server?.stop()
    await receiver.stop()
    await cluster?.destroy()
  })

  // `fast` is a restart (PostgreSQL ends every session with 57P01 admin_shutdown);
  // `immediate` a crash (connections cut, the WAL replayed at the start).
  for (const mode of ['fast', 'immediate'] as const) {
    test(`${mode} stop: 503 while it is down, /ready not ready, then recovery with nothing lost`, async (t) => {
      assert.ok(server && cluster)
      const seam = server.seam()
      const webhook = await seam.webhooks.create({
        url: receiver.url,
        event_types: ['acs_credential.issued'],
      })
      assert.equal(
        await listeners(cluster.url),
        listenerSessions,
        'the server listens on one connection',
      )

      // Committed work before the stop: credentials, and encodings queued on both encoders.
      const credentials: Awaited<ReturnType<typeof newCardCredential>>['credential'][] = []
      for (let i = 0; i < 6; i++) {
        credentials.push((await newCardCredential(seam, `Restart Guest ${mode} ${i}`)).credential)
      }
      const attempts = await Promise.all(
        credentials.map((credential, i) =>
          seam.acs.encoders.encodeCredential(
            {
              acs_encoder_id: i % 2 === 0 ? frontDesk : backOffice,
              acs_credential_id: credential.acs_credential_id,
            },
            { waitForActionAttempt: false },
          ),
        ),
      )

      const load = new Load(server, 4)
      let down = 0
      try {
        // Stop once the load runs and the first encodings are done (and delivered), with
        // the others queued or under way.
        await eventually(
          async () =>
            load.outcomes.length >= 10 &&
            receiver
              .ofType('acs_credential.issued')
              .some((r) => credentials.some((c) => r.body.includes(c.acs_credential_id)))
              ? true
              : undefined,
          { what: 'the load and the first encoding' },
        )

        // Down.
        await cluster.stop(mode)
        down = Date.now()

        const started = Date.now()
        const raw = await server.fetch('/acs/users/create', {
          json: { acs_system_id: hotel, full_name: 'While down' },
        })
        const rawMs = Date.now() - started
        assert.equal(raw.status, 503)
        const body = (await raw.json()) as { error: { type: string; request_id: string } }
        assert.equal(body.error.type, 'service_unavailable')
        assert.equal(body.error.request_id, raw.headers.get('seam-request-id'))
        assert.ok(rawMs < 1_000, `503 after ${rawMs} ms`)

        // (A write: the SDK retries reads after the Retry-After, which takes seconds.)
        await assert.rejects(
          seam.acs.users.create({ acs_system_id: hotel, full_name: 'While down too' }),
          (e: unknown) =>
            e instanceof SeamHttpApiError &&
            e.statusCode === 503 &&
            e.code === 'service_unavailable',
        )

        const ready = await server.fetch('/ready')
        assert.equal(ready.status, 503)
        assert.equal(((await ready.json()) as { database: string }).database, 'unreachable')
        // Liveness: the process itself is fine, and restarting it would not help.
        assert.equal((await server.fetch('/health')).status, 200)
        // Metrics still answer: an outage is when they are read.
        const metrics = await server.fetch('/metrics')
        assert.equal(metrics.status, 200)
        assert.match(await metrics.text(), /keysmith_http_requests_total\{[^}]*status="503"/)

        await eventually(
          async () =>
            load.since(down).filter((o) => o.status === 503).length >= 6 ? true : undefined,
          { what: 'the load to meet the outage' },
        )

        // Up again: the same process recovers by itself.
        await cluster.start()
        const up = Date.now()
        await eventually(
          async () => ((await server?.fetch('/ready'))?.status === 200 ? true : undefined),
          {
            timeoutMs: 20_000,
            intervalMs: 50,
            what: '/ready to answer 200 again',
          },
        )
        t.diagnostic(`down ${up - down} ms; ready again ${Date.now() - up} ms after the start`)
        await eventually(
          async () =>
            load.since(Date.now() - 200).filter((o) => o.status === 200).length >= 5
              ? true
              : undefined,
          { what: 'the load to succeed again' },
        )
      } finally {
        await load.stop()
      }

      // Every request answered 200 or a fast 503 in Seam's shape: no 500, no other failure.
      const failures = load.outcomes.filter((o) => o.status !== 200)
      const unexpected = failures.filter(
        (o) => o.status !== 503 || o.type !== 'service_unavailable',
      )
      assert.deepEqual(unexpected, [], 'only 503 service_unavailable while down')
      // A write (POST, which the SDK does not retry) fails at once; a read (GET) the SDK
      // retries twice after the Retry-After of 1 s.
      const slowestWrite = Math.max(0, ...failures.filter((o) => o.write).map((o) => o.ms))
      const slowest = Math.max(...failures.map((o) => o.ms))
      assert.ok(slowestWrite < 1_000, `the slowest failed write took ${slowestWrite} ms`)
      assert.ok(slowest < 5_000, `the slowest failed call took ${slowest} ms`)
      t.diagnostic(
        `${load.outcomes.length} requests, ${failures.length} answered 503, slowest write ${slowestWrite} ms`,
      )

      // The listener is back (it reconnects and LISTENs on every channel again).
      await eventually(
        async () => ((await listeners(cluster?.url ?? '')) === listenerSessions ? true : undefined),
        { what: 'the listener to reconnect' },
      )

      // Nothing committed is lost: every user whose creation answered 200 is there.
      const check = new pg.Client({ connectionString: cluster.url })
      await check.connect()
      try {
        const { rows } = await check.query<{ n: string }>(
          'select count(*) as n from acs_users where acs_user_id = any($1::uuid[])',
          [load.createdUserIds],
        )
        assert.equal(Number(rows[0]?.n), load.createdUserIds.length)
      } finally {
        await check.end()
      }

      // The encodings pending across the restart all finish, each issuing once, and
      // each issue reaches the webhook.
      for (const attempt of attempts) {
        const finished = await finishedAttempt(seam, attempt.action_attempt_id, 30_000)
        assert.equal(finished.status, 'success', JSON.stringify(finished))
      }
      for (const credential of credentials) {
        const id = credential.acs_credential_id
        assert.equal((await seam.acs.credentials.get({ acs_credential_id: id })).is_issued, true)
        assert.equal((await issuedEvents(seam, id)).length, 1)
      }
      // Work started after the restart is done as usual.
      const after = (await newCardCredential(seam, 'After the restart')).credential
      const encoded = await seam.acs.encoders.encodeCredential({
        acs_encoder_id: frontDesk,
        acs_credential_id: after.acs_credential_id,
      })
      assert.equal(encoded.status, 'success')
      for (const credential of [...credentials, after]) {
        await eventually(
          async () =>
            receiver
              .ofType('acs_credential.issued')
              .find((r) => r.body.includes(credential.acs_credential_id)),
          { timeoutMs: 20_000, what: `the webhook of ${credential.acs_credential_id}` },
        )
      }
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
    })
  }

  test('a server started while PostgreSQL is down waits for it, then serves', async () => {
    assert.ok(cluster && server)
    await cluster.stop('fast')
    // A second process on the same database (the sandbox made by the first: its key).
    const late = new TestServer(cluster.database(), {
      apiKey: server.apiKey,
      env: { KEYSMITH_DATABASE_WAIT_MS: '60000' },
    })
    const starting = late.start()
    try {
      await eventually(
        async () => (/waiting for the database/.test(late.output) ? true : undefined),
        { what: 'the server to wait for the database' },
      )
      await cluster.start()
      await starting
      assert.equal((await late.fetch('/ready')).status, 200)
      assert.ok((await late.seam().acs.systems.list()).length > 0)
    } finally {
      await starting.catch(() => {})
      await late.stop()
    }
    // With no wait (as the CLI's commands), one clear line naming the database.
    await cluster.stop('fast')
    try {
      const refused = new TestServer(cluster.database(), {
        env: { KEYSMITH_DATABASE_WAIT_MS: '0' },
      })
      await assert.rejects(
        refused.start(),
        /Cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1/,
      )
    } finally {
      await cluster.start()
    }
  })
})
