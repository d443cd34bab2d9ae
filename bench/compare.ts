/**
 * `npm run bench -- --compare`: the same reads and writes, in one run, on
 * - a raw `node:http` server answering a constant (the ceiling; bench/raw-server.ts),
 * - `@seamapi/fake-seam-connect` (Seam's in-memory fake, seeded with `--seed`),
 * - Keysmith on PGlite, and on PostgreSQL when DATABASE_URL is set,
 * each a process of its own, loaded by autocannon from this process (20 connections,
 * BENCH_DURATION seconds per endpoint). It prints req/s and p99 for each and Keysmith's
 * ratio to the fake, then the resident memory of each Keysmith process. Where the fake
 * has no such endpoint (it has no encoders, credentials or access grants, and its seed
 * no entrances), the nearest one it has is measured and named in the table.
 *
 * Settings: BENCH_DURATION (seconds, default 3), BENCH_CONNECTIONS (default 20),
 * BENCH_ROUNDS (default 1: each cell is measured that many times, the servers taking
 * turns in an order that changes every round, and the median shown with the spread, so
 * a loaded machine's drift falls on every server alike),
 * BENCH_ONLY (comma-separated endpoint labels or path fragments to run),
 * BENCH_CPU_PROF (a folder: Keysmith processes run with --cpu-prof into it),
 * BENCH_BASELINE (the dist/src/cli.js of another build, e.g. a checkout of main: it
 * runs beside this one, on each database, so a change is measured in one run).
 * Keysmith runs with LOG_LEVEL=warn and a rate limit high enough not to refuse the
 * bench (the bucket is still taken on every request).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import pg from 'pg'

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url))
const rawServer = fileURLToPath(new URL('./raw-server.js', import.meta.url))
const fakeServer = fileURLToPath(
  new URL('../../node_modules/@seamapi/fake-seam-connect/dist/server.js', import.meta.url),
)
const hotel = '11111111-1111-1111-1111-111111111111'
const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const room102 = 'f74e4879-5991-4e2f-a368-888983dcfbfc'
const fakeApiKey = 'seam_apikey1_token'
const fakeSystem = 'visionline_acs_system_1'
const fakeDevice = 'august_device_1'

const duration = Number(process.env.BENCH_DURATION ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1))
const cpuProfDir = process.env.BENCH_CPU_PROF
const baselineCli = process.env.BENCH_BASELINE

interface Call {
  path: string
  body: unknown
}

interface Server {
  name: string
  url: string
  apiKey: string
  child: ChildProcess
  /** The request each endpoint label makes here (absent: not measured here). */
  calls: Map<string, Call>
}

interface Figure {
  rps: number
  p99: number
  bad: number
  /** Over rounds: (max - min) / 2 of req/s, as a share of the median. */
  spread?: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** The median of several measurements of one cell. */
const medianOf = (figures: Figure[]): Figure => {
  const rps = median(figures.map((f) => f.rps))
  const all = figures.map((f) => f.rps)
  return {
    rps,
    p99: median(figures.map((f) => f.p99)),
    bad: figures.reduce((sum, f) => sum + f.bad, 0),
    ...(figures.length > 1 && rps > 0
      ? { spread: (Math.max(...all) - Math.min(...all)) / 2 / rps }
      : {}),
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

const spawnUntil = (
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> =>
  new Promise((resolve, reject) => {
    // Only what is given: the PGlite server must not inherit the bench's DATABASE_URL.
    const inherited = { ...process.env }
    delete inherited.DATABASE_URL
    const child = spawn(process.execPath, args, {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = ready.exec(output)
      if (match) {
        child.stdout?.off('data', onData)
        child.stderr?.off('data', onData)
        child.stdout?.resume()
        child.stderr?.resume()
        child.removeListener('exit', onExit)
        resolve({ child, match })
      }
    }
    const onExit = (code: number | null) =>
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`))
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

const post = async (server: { url: string; apiKey: string }, path: string, body: unknown) => {
  const response = await fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

const idOf = (json: Record<string, unknown>, resource: string, key: string): string => {
  const value = (json[resource] as Record<string, unknown> | undefined)?.[key]
  if (typeof value !== 'string') throw new Error(`no ${resource}.${key} in ${JSON.stringify(json)}`)
  return value
}

/** Memory of a process from /proc (Linux): resident now and its peak, in MiB. */
const memoryOf = (pid: number | undefined): { rss: number; peak: number } | null => {
  if (pid === undefined) return null
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN)
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
  } catch {
    return null
  }
}

const startRaw = async (): Promise<Server> => {
  const { child, match } = await spawnUntil([rawServer], {}, /listening (\d+)/)
  const calls = new Map<string, Call>()
  return { name: 'raw node:http', url: `http://127.0.0.1:${match[1]}`, apiKey: 'x', child, calls }
}

const startFake = async (): Promise<Server> => {
  const port = await freePort()
  const { child } = await spawnUntil([fakeServer, '--seed'], { PORT: String(port) }, /info/)
  const server: Server = {
    name: 'fake-seam-connect',
    url: `http://127.0.0.1:${port}`,
    apiKey: fakeApiKey,
    child,
    calls: new Map(),
  }
  try {
    const userIds: string[] = []
    for (let i = 0; i < 20; i++) {
      const created = await post(server, '/acs/users/create', {
        acs_system_id: fakeSystem,
        full_name: `Bench ${i}`,
      })
      userIds.push(idOf(created, 'acs_user', 'acs_user_id'))
    }
    for (let i = 0; i < 5; i++) {
      await post(server, '/access_codes/create', { device_id: fakeDevice, name: `Bench ${i}` })
    }
    const c = server.calls
    c.set('systems list', { path: '/acs/systems/list', body: {} })
    c.set('entrances list', { path: '/acs/users/list', body: {} })
    c.set('encoders list', { path: '/devices/list', body: {} })
    c.set('credentials get', { path: '/acs/users/get', body: { acs_user_id: userIds[7] } })
    c.set('credentials list', { path: '/acs/users/list', body: {} })
    c.set('access grants list', { path: '/access_codes/list', body: { device_id: fakeDevice } })
    c.set('events list', { path: '/events/list', body: { since: sinceAnHourAgo, limit: 20 } })
    c.set('credential create', {
      path: '/access_codes/create',
      body: { device_id: fakeDevice, name: 'Bench' },
    })
    c.set('user create', {
      path: '/acs/users/create',
      body: { acs_system_id: fakeSystem, full_name: 'Bench' },
    })
    return server
  } catch (error) {
    // A server whose setup failed is stopped, not left running.
    await stop(child)
    throw error
  }
}

const sinceAnHourAgo = new Date(Date.now() - 3_600_000).toISOString()

const startKeysmith = async (
  name: string,
  env: Record<string, string>,
  entry = cli,
): Promise<Server> => {
  const apiKey = `seam_bench_${randomBytes(8).toString('hex')}`
  const args = cpuProfDir
    ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, entry, 'start']
    : [entry, 'start']
  const { child, match } = await spawnUntil(
    args,
    {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KEYSMITH_LOG_FORMAT: 'json',
      KEYSMITH_SEED_API_KEY: apiKey,
      KEYSMITH_RATE_LIMIT: '1000000:2000000',
      KEYSMITH_SANDBOX_ACTION_DELAY_MS: '0',
    },
    /Keysmith is listening on (\S+)/,
  )
  const server: Server = { name, url: match[1] ?? '', apiKey, child, calls: new Map() }
  try {
    const reader = await post(server, '/acs/users/create', {
      acs_system_id: hotel,
      full_name: 'Bench reader',
    })
    const readerId = idOf(reader, 'acs_user', 'acs_user_id')
    const credentialIds: string[] = []
    for (let i = 0; i < 20; i++) {
      const created = await post(server, '/acs/credentials/create', {
        acs_user_id: readerId,
        access_method: 'card',
        allowed_acs_entrance_ids: [room101],
      })
      credentialIds.push(idOf(created, 'acs_credential', 'acs_credential_id'))
    }
    for (let i = 0; i < 5; i++) {
      const identity = await post(server, '/user_identities/create', { full_name: `Guest ${i}` })
      await post(server, '/access_grants/create', {
        user_identity_id: idOf(identity, 'user_identity', 'user_identity_id'),
        acs_entrance_ids: [room101, room102],
        requested_access_methods: [{ mode: 'card' }],
        starts_at: '2025-07-13T15:00:00.000Z',
        ends_at: '2025-07-16T11:00:00.000Z',
      })
    }
    const writer = await post(server, '/acs/users/create', {
      acs_system_id: hotel,
      full_name: 'Bench writer',
    })
    const c = server.calls
    c.set('systems list', { path: '/acs/systems/list', body: {} })
    c.set('entrances list', { path: '/acs/entrances/list', body: { acs_system_id: hotel } })
    c.set('encoders list', { path: '/acs/encoders/list', body: { acs_system_id: hotel } })
    c.set('credentials get', {
      path: '/acs/credentials/get',
      body: { acs_credential_id: credentialIds[7] },
    })
    c.set('credentials list', { path: '/acs/credentials/list', body: { acs_user_id: readerId } })
    c.set('access grants list', { path: '/access_grants/list', body: {} })
    c.set('events list', { path: '/events/list', body: { since: sinceAnHourAgo, limit: 20 } })
    c.set('credential create', {
      path: '/acs/credentials/create',
      body: {
        acs_user_id: idOf(writer, 'acs_user', 'acs_user_id'),
        access_method: 'card',
        allowed_acs_entrance_ids: [room101],
      },
    })
    c.set('user create', {
      path: '/acs/users/create',
      body: { acs_system_id: hotel, full_name: 'Bench' },
    })
    return server
  } catch (error) {
    // A server whose setup failed is stopped, not left running.
    await stop(child)
    throw error
  }
}

const load = async (server: Server, call: Call, seconds: number): Promise<Figure> => {
  const result = await autocannon({
    url: new URL(call.path, server.url).toString(),
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(call.body),
    connections,
    duration: seconds,
  })
  return {
    rps: result.requests.total / Math.max(result.duration, 0.001),
    p99: result.latency.p99,
    bad: result.non2xx + result.errors,
  }
}

const labels: Array<{ label: string; write: boolean }> = [
  { label: 'systems list', write: false },
  { label: 'entrances list', write: false },
  { label: 'encoders list', write: false },
  { label: 'credentials get', write: false },
  { label: 'credentials list', write: false },
  { label: 'access grants list', write: false },
  { label: 'events list', write: false },
  { label: 'credential create', write: true },
  { label: 'user create', write: true },
]

const selected = (label: string, path: string | undefined): boolean =>
  only.length === 0 || only.some((o) => label.includes(o) || (path?.includes(o) ?? false))

const withPostgres = async (adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> => {
  const name = `keysmith_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

const cell = (figure: Figure | undefined): string =>
  figure
    ? `${figure.rps.toFixed(0).padStart(6)}/s ${figure.p99.toFixed(0).padStart(4)}ms${figure.spread !== undefined ? ` ±${(100 * figure.spread).toFixed(0)}%` : ''}${figure.bad ? ` (${figure.bad} bad)` : ''}`
    : '—'

export const runCompare = async (): Promise<void> => {
  console.log(
    `Keysmith compare bench, Node ${process.version}, ${connections} connections, ${duration} s per endpoint and server${rounds > 1 ? `, median of ${rounds} rounds` : ''}`,
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'keysmith-compare-'))
  const baselineDir = mkdtempSync(join(tmpdir(), 'keysmith-compare-baseline-'))
  const postgres = process.env.DATABASE_URL ? await withPostgres(process.env.DATABASE_URL) : null
  const baselinePostgres =
    process.env.DATABASE_URL && baselineCli ? await withPostgres(process.env.DATABASE_URL) : null
  const servers: Server[] = []
  try {
    servers.push(await startRaw())
    servers.push(await startFake())
    if (baselineCli) {
      servers.push(
        await startKeysmith('baseline PGlite', { KEYSMITH_DATA_DIR: baselineDir }, baselineCli),
      )
    }
    servers.push(await startKeysmith('Keysmith PGlite', { KEYSMITH_DATA_DIR: dataDir }))
    if (baselinePostgres && baselineCli) {
      servers.push(
        await startKeysmith(
          'baseline PostgreSQL',
          { DATABASE_URL: baselinePostgres.url },
          baselineCli,
        ),
      )
    }
    if (postgres) {
      servers.push(await startKeysmith('Keysmith PostgreSQL', { DATABASE_URL: postgres.url }))
    }
    const [raw, fake, ...keysmiths] = servers
    if (!raw || !fake) throw new Error('servers did not start')
    const rawCall: Call = { path: '/', body: {} }
    const rows: string[][] = []
    for (const { label } of labels) {
      const fakeCall = fake.calls.get(label)
      if (!selected(label, keysmiths[0]?.calls.get(label)?.path)) continue
      const measured = new Map<Server, Figure[]>()
      // Each server warms up briefly, then is measured; one after the other, so they
      // never compete for the two cores. Each round starts with another server.
      for (let round = 0; round < rounds; round++) {
        const order = [
          ...servers.slice(round % servers.length),
          ...servers.slice(0, round % servers.length),
        ]
        for (const server of order) {
          const call = server === raw ? rawCall : server.calls.get(label)
          if (!call) continue
          if (round === 0) await load(server, call, 1)
          measured.set(server, [
            ...(measured.get(server) ?? []),
            await load(server, call, duration),
          ])
        }
      }
      const figures = new Map([...measured].map(([server, list]) => [server, medianOf(list)]))
      const fakeFigure = figures.get(fake)
      const keysmithCalls = keysmiths[0]?.calls.get(label)
      const fakeName =
        fakeCall && fakeCall.path !== keysmithCalls?.path ? ` (fake: ${fakeCall.path})` : ''
      const row = [
        `${keysmithCalls?.path ?? label}${fakeName}`,
        cell(figures.get(raw)),
        cell(fakeFigure),
      ]
      for (const keysmith of keysmiths) {
        const figure = figures.get(keysmith)
        const ratio = figure && fakeFigure ? ` ${(figure.rps / fakeFigure.rps).toFixed(2)}x` : ''
        row.push(`${cell(figure)}${ratio}`)
      }
      rows.push(row)
      console.log(`  ${row.join(' | ')}`)
    }
    console.log(`\n| endpoint | ${servers.map((s) => s.name).join(' | ')} |`)
    console.log(`|${servers.map(() => '---|').join('')}---|`)
    for (const row of rows) console.log(`| ${row.join(' | ')} |`)
    console.log('')
    for (const server of servers) {
      const memory = memoryOf(server.child.pid)
      if (memory) {
        console.log(
          `  ${server.name.padEnd(20)} RSS ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB)`,
        )
      }
    }
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)))
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(baselineDir, { recursive: true, force: true })
    await postgres?.drop()
    await baselinePostgres?.drop()
  }
}
