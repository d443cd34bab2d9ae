import assert from 'node:assert/strict'
import { connect, createServer, type Socket } from 'node:net'
import { test } from 'node:test'
import pg from 'pg'
import { assertErrorBody } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import { room101 } from '../support/sandbox.js'
import { startServer, stopServer, TestServer } from '../support/server.js'
import { forEachDatabase } from '../support/suite.js'

/**
 * The server's life at its edges: slow and idle clients are cut off, a request past
 * its deadline answers 503 and changes nothing, SIGTERM drains (in-flight requests
 * finish, exit 0; a second SIGTERM exits at once), and /ready says whether the
 * process can take traffic. Waits poll for what they wait for; the few ceilings are
 * generous and only there so that a missing behaviour fails instead of hanging.
 */

/** A raw TCP client, for what no HTTP client would send. */
class RawClient {
  received = ''
  readonly closed: Promise<void>
  readonly socket: Socket

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.received += chunk
    })
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
  }

  static open(server: TestServer): Promise<RawClient> {
    const { hostname, port } = new URL(server.url)
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawClient(socket)))
      socket.once('error', reject)
    })
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded
  }

  write(text: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(text, (error) => (error ? reject(error) : resolve())),
    )
  }

  /** Waits until what was received matches. */
  async waitFor(pattern: RegExp, what: string): Promise<void> {
    await eventually(async () => (pattern.test(this.received) ? true : undefined), {
      what,
      timeoutMs: 20_000,
    })
  }
}

/** Starts writing a POST whose body will come later; resolves once the server routed it. */
const requestInFlight = async (server: TestServer, path: string, body: string) => {
  const client = await RawClient.open(server)
  await client.write(
    `POST ${path} HTTP/1.1\r\nHost: keysmith\r\nAuthorization: Bearer ${server.apiKey}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      'Expect: 100-continue\r\n\r\n',
  )
  // Node answers 100 Continue once it has read the headers and handed the request on.
  await client.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/, 'the server to read the headers')
  return client
}

const refusesConnections = async (server: TestServer): Promise<boolean> => {
  try {
    await fetch(new URL('/health', server.url), { signal: AbortSignal.timeout(5_000) })
    return false
  } catch {
    return true
  }
}

const withExitCeiling = async (server: TestServer, ms: number) => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms)
  })
  try {
    return await Promise.race([server.exited(), late])
  } finally {
    clearTimeout(timer)
  }
}

forEachDatabase('server lifecycle', (kind) => {
  test('a client that sends its headers byte by byte is cut off', async () => {
    const server = await startServer(() => kind.create(), {
      env: { KEYSMITH_HEADERS_TIMEOUT_MS: '500', KEYSMITH_KEEP_ALIVE_TIMEOUT_MS: '300' },
    })
    try {
      const slow = await RawClient.open(server)
      const headers = `GET /health HTTP/1.1\r\nHost: keysmith\r\nX-Slow: ${'x'.repeat(400)}\r\n\r\n`
      // One byte every 50 ms would take 20 s; the server must hang up long before.
      let sent = 0
      for (; sent < headers.length && !slow.isClosed; sent++) {
        await slow.write(headers[sent] ?? '').catch(() => {})
        await new Promise((resolve) => setTimeout(resolve, 50))
        // Meanwhile other clients are served.
        if (sent === 5) assert.equal((await fetch(new URL('/health', server.url))).status, 200)
      }
      await slow.closed
      assert.ok(sent < headers.length, 'the server waited for the whole slow request')
      assert.match(slow.received, /^HTTP\/1\.1 408 /)
      const body = slow.received.split('\r\n\r\n')[1] ?? ''
      assertErrorBody(JSON.parse(body))

      // A connection that never sends anything is closed too.
      const silent = await RawClient.open(server)
      await silent.closed
      // And an idle keep-alive connection after its request.
      const idle = await RawClient.open(server)
      await idle.write('GET /health HTTP/1.1\r\nHost: keysmith\r\n\r\n')
      await idle.waitFor(/HTTP\/1\.1 200/, 'the /health answer')
      await idle.closed
    } finally {
      await stopServer(server)
    }
  })

  test('a request past its deadline answers 503 and its changes roll back', {
    skip:
      kind.name === 'postgres' ? false : 'holding a lock needs a second connection (PostgreSQL)',
  }, async () => {
    const server = await startServer(() => kind.create(), {
      env: { KEYSMITH_REQUEST_TIMEOUT_MS: '1000' },
    })
    const admin = new pg.Client({ connectionString: server.database.env.DATABASE_URL })
    await admin.connect()
    try {
      const seam = server.seam()
      const space = await seam.spaces.create({ name: 'Before' })
      // The update renames the space, then reads entrances: hold them, so it runs late.
      await admin.query('begin')
      await admin.query('lock table acs_entrances in access exclusive mode')
      const response = await server.fetch('/spaces/update', {
        json: { space_id: space.space_id, name: 'After', acs_entrance_ids: [room101] },
        signal: AbortSignal.timeout(15_000),
      })
      const body = (await response.json()) as { error: { type: string; request_id: string } }
      assert.equal(response.status, 503, JSON.stringify(body))
      assertErrorBody(body)
      assert.equal(body.error.type, 'request_timeout')
      assert.equal(response.headers.get('seam-request-id'), body.error.request_id)
      await admin.query('commit')
      // Once the request's transaction is over, the rename is not there.
      const name = await eventually(
        async () => {
          try {
            const { rows } = await admin.query<{ name: string }>(
              'select name from spaces where space_id = $1 for update nowait',
              [space.space_id],
            )
            return rows[0]?.name
          } catch {
            return undefined // still locked by the timed-out request
          }
        },
        { what: 'the timed-out request to finish' },
      )
      assert.equal(name, 'Before')
      // The server is fine afterwards.
      await seam.spaces.update({ space_id: space.space_id, name: 'Later' })
      assert.equal((await seam.spaces.get({ space_id: space.space_id })).name, 'Later')
    } finally {
      await admin.query('rollback').catch(() => {})
      await admin.end()
      await stopServer(server)
    }
  })

  test('a statement left waiting by a timed-out request is cancelled; its connection comes back', {
    skip:
      kind.name === 'postgres' ? false : 'holding a lock needs a second connection (PostgreSQL)',
  }, async () => {
    // Request timeout 1 s: PostgreSQL cancels the server's statements after 2 s.
    const server = await startServer(() => kind.create(), {
      env: { KEYSMITH_REQUEST_TIMEOUT_MS: '1000' },
    })
    const admin = new pg.Client({ connectionString: server.database.env.DATABASE_URL })
    await admin.connect()
    const waiting = async () => {
      const { rows } = await admin.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      )
      return Number(rows[0]?.n ?? 0)
    }
    try {
      const seam = server.seam()
      const space = await seam.spaces.create({ name: 'Before' })
      await admin.query('begin')
      await admin.query('lock table acs_entrances in access exclusive mode')
      const response = await server.fetch('/spaces/update', {
        json: { space_id: space.space_id, name: 'After', acs_entrance_ids: [room101] },
        signal: AbortSignal.timeout(15_000),
      })
      assert.equal(response.status, 503)
      // The lock is still held, but the statement behind the request does not wait on.
      await eventually(async () => ((await waiting()) === 0 ? true : undefined), {
        timeoutMs: 10_000,
        what: "PostgreSQL to cancel the timed-out request's statement",
      })
      const { rows } = await admin.query<{ name: string }>(
        'select name from spaces where space_id = $1',
        [space.space_id],
      )
      assert.equal(rows[0]?.name, 'Before')
      await admin.query('commit')
      await seam.spaces.update({ space_id: space.space_id, name: 'Later' })
      assert.equal((await seam.spaces.get({ space_id: space.space_id })).name, 'Later')
    } finally {
      await admin.query('rollback').catch(() => {})
      await admin.end()
      await stopServer(server)
    }
  })

  test('SIGTERM drains: no new connections, the in-flight request completes, exit 0', async () => {
    const server = await startServer(() => kind.create())
    try {
      const body = JSON.stringify({ name: 'Created while draining' })
      const client = await requestInFlight(server, '/spaces/create', body)
      server.sendSignal('SIGTERM')
      await eventually(async () => (/shutting down/.test(server.output) ? true : undefined), {
        what: 'the server to start draining',
      })
      await eventually(async () => ((await refusesConnections(server)) ? true : undefined), {
        what: 'new connections to be refused',
      })
      await client.write(body)
      await client.waitFor(/\r\n\r\n\{.*\}$/s, 'the answer to the in-flight request')
      assert.match(client.received, /HTTP\/1\.1 200 OK/)
      const answer = JSON.parse(client.received.split('\r\n\r\n').at(-1) ?? '') as {
        ok: boolean
        space: { name: string }
      }
      assert.equal(answer.ok, true)
      assert.equal(answer.space.name, 'Created while draining')
      assert.deepEqual(await withExitCeiling(server, 20_000), { code: 0, signal: null })
    } finally {
      await stopServer(server)
    }
  })

  test('a second SIGTERM exits at once; draining is bounded', async () => {
    const server = await startServer(() => kind.create())
    try {
      const client = await requestInFlight(server, '/spaces/create', '{"name":"never sent"}')
      server.sendSignal('SIGTERM')
      await eventually(async () => (/shutting down/.test(server.output) ? true : undefined), {
        what: 'the server to start draining',
      })
      server.sendSignal('SIGTERM')
      assert.deepEqual(await withExitCeiling(server, 10_000), { code: 143, signal: null })
      await client.closed
    } finally {
      await stopServer(server)
    }
    // A request that never finishes arriving holds the drain only so long.
    const bounded = await startServer(() => kind.create(), {
      env: { KEYSMITH_SHUTDOWN_TIMEOUT_MS: '500' },
    })
    try {
      const client = await requestInFlight(bounded, '/spaces/create', '{"name":"never sent"}')
      bounded.sendSignal('SIGTERM')
      assert.deepEqual(await withExitCeiling(bounded, 10_000), { code: 1, signal: null })
      await client.closed
    } finally {
      await stopServer(bounded)
    }
  })

  test('/ready: database reachable, migrations applied, workers running', async () => {
    const server = await startServer(() => kind.create())
    try {
      const response = await fetch(new URL('/ready', server.url))
      assert.equal(response.status, 200)
      assert.deepEqual(await response.json(), {
        ok: true,
        database: 'reachable',
        migrations: 'applied',
        workers: 'running',
      })
      assert.match(response.headers.get('seam-request-id') ?? '', /^[0-9a-f-]{36}$/)
      if (kind.name === 'postgres') {
        // A migration missing from the database: not ready.
        const admin = new pg.Client({ connectionString: server.database.env.DATABASE_URL })
        await admin.connect()
        try {
          const { rows } = await admin.query<{ name: string; timestamp: string }>(
            "delete from kysely_migration where name = '0004_webhooks' returning name, timestamp",
          )
          const notReady = await fetch(new URL('/ready', server.url))
          assert.equal(notReady.status, 503)
          assert.deepEqual(await notReady.json(), {
            ok: false,
            database: 'reachable',
            migrations: 'pending',
            workers: 'running',
          })
          const [row] = rows
          assert.ok(row)
          await admin.query('insert into kysely_migration (name, timestamp) values ($1, $2)', [
            row.name,
            row.timestamp,
          ])
          assert.equal((await fetch(new URL('/ready', server.url))).status, 200)
        } finally {
          await admin.end()
        }
      }
    } finally {
      await stopServer(server)
    }
    const apiOnly = await startServer(() => kind.create(), { env: { KEYSMITH_WORKERS: 'off' } })
    try {
      const response = await fetch(new URL('/ready', apiOnly.url))
      assert.equal(response.status, 200)
      assert.equal(((await response.json()) as { workers: string }).workers, 'off')
    } finally {
      await stopServer(apiOnly)
    }
  })
})

forEachDatabase('start-up on a port already in use', (kind) => {
  test('one clear line naming the port and PORT, exit 1, and the new sandbox key is not lost', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const address = busy.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const server = new TestServer(await kind.create(), {
      // No seeded key: the sandbox's first key is made at this start, shown once.
      env: { PORT: String(port), KEYSMITH_SEED_API_KEY: '' },
    })
    try {
      const started = server.start()
      await assert.rejects(started, /exited with 1 before listening/)
      const { output } = server
      assert.match(output, new RegExp(`port ${port} is already in use.*set PORT`))
      assert.doesNotMatch(output, /\n\s+at /, 'no stack trace')
      const apiKey = /Sandbox API key: (seam_\S+)/.exec(output)?.[1]
      assert.ok(apiKey, output)
      busy.close()
      // Started again on a free port, the key shown then works.
      const again = new TestServer(server.database, {
        apiKey,
        env: { KEYSMITH_SEED_API_KEY: '' },
      })
      await again.start()
      try {
        const systems = await again.seam().acs.systems.list()
        assert.ok(systems.length > 0)
      } finally {
        await again.stop()
      }
    } finally {
      busy.close()
      await server.database.drop()
    }
  })
})

forEachDatabase('request logs', (kind) => {
  for (const format of ['json', 'pretty'] as const) {
    test(`${format}: a line per request; a 4xx line names its error; shutdown is logged`, async () => {
      const server = await startServer(() => kind.create(), {
        env: { LOG_LEVEL: 'info', KEYSMITH_LOG_FORMAT: format },
      })
      try {
        const missing = await server.fetch('/acs/nothing_here', { json: {} })
        assert.equal(missing.status, 404)
        await server.seam().acs.systems.list()
        await eventually(
          async () => (/acs\/systems\/list/.test(server.output) ? true : undefined),
          { what: 'the request line' },
        )
        const lines = server.output.split('\n')
        const notFound = lines.find((line) => line.includes('/acs/nothing_here'))
        assert.ok(notFound, server.output)
        if (format === 'json') {
          const entry = JSON.parse(notFound) as Record<string, unknown>
          assert.equal(entry.status, 404)
          assert.equal(entry.error_type, 'endpoint_not_found')
          assert.equal(entry.error_message, 'No endpoint /acs/nothing_here')
        } else {
          assert.ok(!notFound.startsWith('{'), notFound)
          assert.match(notFound, /404/)
          assert.match(notFound, /endpoint_not_found/)
        }
      } finally {
        await stopServer(server)
      }
      assert.match(server.output, /shutting down/)
      assert.match(server.output, /stopped/)
    })
  }
})
