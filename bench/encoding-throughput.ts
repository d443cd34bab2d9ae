/**
 * Encodings per second on one and on two Keysmith processes sharing one PostgreSQL,
 * and read latency while encodings are in flight. Each process is a real
 * `keysmith start` child; the sandbox hotel gets extra encoders (one card at a time
 * per encoder, so parallelism needs encoders) and every encoder takes
 * ENCODER_DELAY_MS per card.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url))
const hotel = '11111111-1111-1111-1111-111111111111'
const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const encoders = 16
const encodings = 400
const encoderDelayMs = 50

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

const startProcess = (env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'start'], {
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

/** Times reads from 8 clients for `durationMs`; returns p50 and p99 in ms. */
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
        times.push(performance.now() - t0)
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
    const credentialIds: string[] = []
    for (let i = 0; i < encodings; i += 20) {
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
        credentialIds.push(
          (created.acs_credential as { acs_credential_id: string }).acs_credential_id,
        )
      }
    }
    const probe = credentialIds[0] ?? ''
    let idleDone = false
    const idleTimer = setTimeout(() => {
      idleDone = true
    }, 2_000)
    const idle = await readLatency(call, urls, probe, () => idleDone)
    clearTimeout(idleTimer)

    const t0 = performance.now()
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
    let pending = encodings
    const busy = readLatency(call, urls, probe, () => pending === 0)
    while (pending > 0) {
      const result = await db.query<{ pending: string }>(
        `select count(*)::text as pending from action_attempts where status = 'pending'`,
      )
      pending = Number(result.rows[0]?.pending)
      if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const elapsed = (performance.now() - t0) / 1000
    const during = await busy
    const failed = await db.query<{ count: string }>(
      `select count(*)::text as count from action_attempts where status <> 'success'`,
    )
    return { rate: encodings / elapsed, idle, during, failed: Number(failed.rows[0]?.count) }
  } finally {
    await db.end()
    for (const { child } of started) await stopProcess(child)
  }
}

export const measureEncodingThroughput = async (adminUrl: string): Promise<void> => {
  console.log(
    `\nPostgreSQL: ${encodings} encodings over ${encoders} encoders (${encoderDelayMs} ms per card), keysmith start processes`,
  )
  let one = 0
  for (const processes of [1, 2]) {
    const result = await withDatabase(adminUrl, (url) => runWith(url, processes))
    if (processes === 1) one = result.rate
    const ratio = processes === 1 ? '' : `  (${(result.rate / one).toFixed(2)}x one process)`
    console.log(
      `  ${`${processes} process${processes > 1 ? 'es' : ''}`.padEnd(12)} ${result.rate.toFixed(0).padStart(5)} encodings/s${ratio}${result.failed ? `  ${result.failed} not successful` : ''}`,
    )
    console.log(
      `  ${''.padEnd(12)} /acs/credentials/get idle p50 ${result.idle.p50.toFixed(1)} ms p99 ${result.idle.p99.toFixed(1)} ms; while encoding p50 ${result.during.p50.toFixed(1)} ms p99 ${result.during.p99.toFixed(1)} ms`,
    )
  }
}
