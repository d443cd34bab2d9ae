/**
 * One and two Keysmith processes sharing one PostgreSQL, each a real `keysmith start`
 * child:
 * - encodings per second, with nothing else running; the sandbox hotel gets extra
 *   encoders (one card at a time per encoder, so parallelism needs encoders) and every
 *   encoder takes `encoderDelayMs` per card;
 * - read latency, idle and while a second batch of encodings is in flight, from 8
 *   clients that each read at most every `readEveryMs` (a front desk's pace, not a
 *   load test: the machine's cores stay with the encodings);
 * - reads per second (`/acs/credentials/get`, 20 connections spread over the
 *   processes, autocannon), with nothing else running.
 * On this 2-core machine PostgreSQL, the load and the processes share the cores, so
 * the CPU used per encoding (printed) says more about scaling out than the ratio.
 * BENCH_CPU_PROF=<folder> runs the processes under --cpu-prof.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import pg from 'pg'

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url))
const hotel = '11111111-1111-1111-1111-111111111111'
const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const encoders = 16
const encodings = 400
const encoderDelayMs = 50
const readEveryMs = 20
const readSeconds = Number(process.env.BENCH_DURATION ?? 3)

/** CPU seconds (user and system) a process has used so far, from /proc (Linux). */
const processCpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** CPU seconds used so far by every running `postgres` process (the server's backends). */
const postgresCpuSeconds = (): number => {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') {
        total += processCpuSeconds(Number(entry))
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return total
}

/** CPU seconds the whole machine spent busy so far (all cores), from /proc/stat. */
const machineBusySeconds = (): number => {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  // user nice system idle iowait irq softirq: all but idle and iowait (and steal).
  const busy = fields.slice(0, 7).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0)
  return busy / 100
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

const startProcess = (env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const profile = process.env.BENCH_CPU_PROF
    const args = profile
      ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, cli, 'start']
      : [cli, 'start']
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Keysmith is listening on (\S+)/.exec(output)
      if (match?.[1]) resolve({ url: match[1], child })
    })
    child.once('exit', (code) => reject(new Error(`keysmith exited with ${code}:\n${output}`)))
  })

const stopProcess = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

const withDatabase = async <T>(adminUrl: string, use: (url: string) => Promise<T>) => {
  const name = `keysmith_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  try {
    return await use(url.toString())
  } finally {
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    await client.query(`drop database if exists ${name} with (force)`)
    await client.end()
  }
}

const caller = (apiKey: string) => async (base: string, path: string, body: unknown) => {
  const response = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`)
  return json
}

/** Times paced reads from 8 clients until `until()`; returns p50 and p99 in ms. */
const readLatency = async (
  call: ReturnType<typeof caller>,
  urls: string[],
  acsCredentialId: string,
  until: () => boolean,
) => {
  const times: number[] = []
  await Promise.all(
    Array.from({ length: 8 }, async (_, client) => {
      let i = client
      while (!until()) {
        const t0 = performance.now()
        await call(urls[i++ % urls.length] ?? '', '/acs/credentials/get', {
          acs_credential_id: acsCredentialId,
        })
        const took = performance.now() - t0
        times.push(took)
        if (took < readEveryMs)
          await new Promise((resolve) => setTimeout(resolve, readEveryMs - took))
      }
    }),
  )
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99), count: times.length }
}

const runWith = async (databaseUrl: string, processes: number) => {
  const apiKey = `seam_bench_${randomBytes(8).toString('hex')}`
  const env = {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'warn',
    KEYSMITH_SEED_API_KEY: apiKey,
    KEYSMITH_SANDBOX_ACTION_DELAY_MS: String(encoderDelayMs),
    // High enough not to refuse the reads (the bucket is still taken on every request).
    KEYSMITH_RATE_LIMIT: '1000000:2000000',
  }
  const started = [await startProcess(env)]
  for (let i = 1; i < processes; i++) started.push(await startProcess(env))
  const urls = started.map((s) => s.url)
  const call = caller(apiKey)
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    const { rows } = await db.query<{ workspace_id: string; connected_account_id: string }>(
      'select workspace_id, connected_account_id from acs_systems where acs_system_id = $1',
      [hotel],
    )
    const system = rows[0]
    if (!system) throw new Error('no sandbox hotel')
    const encoderIds = Array.from({ length: encoders }, () => randomUUID())
    for (const [i, id] of encoderIds.entries()) {
      // Each with a blank card lying on it, as the sandbox's own encoders start.
      const cardId = randomUUID()
      await db.query(
        `insert into acs_cards (acs_card_id, workspace_id, acs_system_id, card_number, card_format, acs_credential_id, contents, created_at, updated_at)
         values ($1, $2, $3, $4, 'rfid48', null, 'null', now(), now())`,
        [cardId, system.workspace_id, hotel, randomBytes(8).toString('hex')],
      )
      await db.query(
        `insert into acs_encoders (acs_encoder_id, workspace_id, connected_account_id, acs_system_id, display_name, acs_card_id, created_at)
         values ($1, $2, $3, $4, $5, $6, now())`,
        [
          id,
          system.workspace_id,
          system.connected_account_id,
          hotel,
          `Bench Encoder ${i + 1}`,
          cardId,
        ],
      )
    }
    const user = (await call(urls[0] ?? '', '/acs/users/create', {
      acs_system_id: hotel,
      full_name: 'Bench Guest',
    })) as { acs_user: { acs_user_id: string } }
    const createCredentials = async (count: number): Promise<string[]> => {
      const ids: string[] = []
      for (let i = 0; i < count; i += 20) {
        const batch = await Promise.all(
          Array.from({ length: 20 }, () =>
            call(urls[0] ?? '', '/acs/credentials/create', {
              acs_user_id: user.acs_user.acs_user_id,
              access_method: 'card',
              allowed_acs_entrance_ids: [room101],
            }),
          ),
        )
        for (const created of batch) {
          ids.push((created.acs_credential as { acs_credential_id: string }).acs_credential_id)
        }
      }
      return ids
    }
    const pendingCount = async () => {
      const result = await db.query<{ pending: string }>(
        `select count(*)::text as pending from action_attempts where status = 'pending'`,
      )
      return Number(result.rows[0]?.pending)
    }
    /** Encodes every credential (16 clients, over the processes) and waits for the last. */
    const encodeAll = async (credentialIds: string[]) => {
      let next = 0
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < credentialIds.length) {
            const i = next++
            await call(urls[i % urls.length] ?? '', '/acs/encoders/encode_credential', {
              acs_encoder_id: encoderIds[i % encoderIds.length],
              acs_credential_id: credentialIds[i],
            })
          }
        }),
      )
      while ((await pendingCount()) > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const alone = await createCredentials(encodings)
    const underReads = await createCredentials(encodings)
    const probe = alone[0] ?? ''

    // 1. Encodings with nothing else running.
    const keysmithCpu = () => started.reduce((sum, s) => sum + processCpuSeconds(s.child.pid), 0)
    const cpu0 = {
      machine: machineBusySeconds(),
      keysmith: keysmithCpu(),
      postgres: postgresCpuSeconds(),
    }
    const t0 = performance.now()
    await encodeAll(alone)
    const elapsed = (performance.now() - t0) / 1000
    const perEncodingMs = (seconds: number) => (seconds * 1000) / encodings
    const cpu = {
      machine: perEncodingMs(machineBusySeconds() - cpu0.machine),
      keysmith: perEncodingMs(keysmithCpu() - cpu0.keysmith),
      postgres: perEncodingMs(postgresCpuSeconds() - cpu0.postgres),
    }

    // 2. Read latency, idle and while encodings are in flight.
    let idleDone = false
    const idleTimer = setTimeout(() => {
      idleDone = true
    }, 2_000)
    const idle = await readLatency(call, urls, probe, () => idleDone)
    clearTimeout(idleTimer)
    let encoding = true
    const busy = readLatency(call, urls, probe, () => !encoding)
    await encodeAll(underReads)
    encoding = false
    const during = await busy

    // 3. Reads per second, 20 connections over the processes.
    const loads = await Promise.all(
      urls.map((url) =>
        autocannon({
          url: new URL('/acs/credentials/get', url).toString(),
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ acs_credential_id: probe }),
          connections: Math.floor(20 / urls.length),
          duration: readSeconds,
        }),
      ),
    )
    const reads = loads.reduce((sum, r) => sum + r.requests.total / Math.max(r.duration, 0.001), 0)
    const refused = loads.reduce((sum, r) => sum + r.non2xx + r.errors, 0)
    if (refused > 0) throw new Error(`${refused} of the reads failed`)
    const failed = await db.query<{ count: string }>(
      `select count(*)::text as count from action_attempts where status <> 'success'`,
    )
    return {
      rate: encodings / elapsed,
      cpu,
      idle,
      during,
      reads,
      failed: Number(failed.rows[0]?.count),
    }
  } finally {
    await db.end()
    for (const { child } of started) await stopProcess(child)
  }
}

export const measureEncodingThroughput = async (adminUrl: string): Promise<void> => {
  console.log(
    `\nPostgreSQL: ${encodings} encodings over ${encoders} encoders (${encoderDelayMs} ms per card), keysmith start processes`,
  )
  let one: { rate: number; reads: number } | undefined
  for (const processes of [1, 2]) {
    const result = await withDatabase(adminUrl, (url) => runWith(url, processes))
    one ??= result
    const ratio = (value: number, base: number) =>
      processes === 1 ? '' : `  (${(value / base).toFixed(2)}x one process)`
    const label = `${processes} process${processes > 1 ? 'es' : ''}`.padEnd(12)
    console.log(
      `  ${label} ${result.rate.toFixed(0).padStart(5)} encodings/s${ratio(result.rate, one.rate)}, CPU per encoding: Keysmith ${result.cpu.keysmith.toFixed(1)} ms, PostgreSQL ${result.cpu.postgres.toFixed(1)} ms, machine ${result.cpu.machine.toFixed(1)} ms${result.failed ? `  ${result.failed} not successful` : ''}`,
    )
    console.log(
      `  ${''.padEnd(12)} ${result.reads.toFixed(0).padStart(5)} reads/s of /acs/credentials/get${ratio(result.reads, one.reads)}`,
    )
    console.log(
      `  ${''.padEnd(12)} /acs/credentials/get every ${readEveryMs} ms from 8 clients: idle p50 ${result.idle.p50.toFixed(1)} ms p99 ${result.idle.p99.toFixed(1)} ms; while encoding p50 ${result.during.p50.toFixed(1)} ms p99 ${result.during.p99.toFixed(1)} ms`,
    )
  }
}
