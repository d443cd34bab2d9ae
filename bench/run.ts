/**
 * `npm run bench`: speed and memory figures for Keysmith on this machine.
 *
 * For each database (PGlite always; PostgreSQL when DATABASE_URL is set) it starts a
 * real server in this process and measures:
 * - request latency of common reads under concurrency (p50/p95/p99, requests/s);
 * - encoding: time from `encode_credential` to the attempt's success;
 * - keyset paging over BENCH_ROWS credentials (default 1,000,000): first page vs a
 *   page deep in the list, and an event query over as many events;
 * - the process's memory;
 * - on PostgreSQL, encodings per second on one and on two `keysmith start` processes,
 *   and read latency while encodings are in flight (encoding-throughput.ts).
 * `npm run bench -- --compare` runs bench/compare.ts instead: Keysmith beside
 * fake-seam-connect and a raw node:http server, req/s and p99 of the same calls.
 * Nothing here asserts a target: the figures are printed for people to compare.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { SANDBOX_WORKSPACE_ID } from '../src/domain/sandbox.js'
import { startKeysmith } from '../src/keysmith.js'
import { runCompare } from './compare.js'
import { measureEncodingThroughput } from './encoding-throughput.js'

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000)
const hotel = '11111111-1111-1111-1111-111111111111'
const frontDesk = '18ad521a-308e-4182-b1a6-2338b46a2763'

interface Target {
  name: string
  env: Record<string, string>
  cleanup(): Promise<void>
}

const targets = async (): Promise<Target[]> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keysmith-bench-'))
  const list: Target[] = [
    {
      name: 'PGlite',
      env: { KEYSMITH_DATA_DIR: dataDir },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    },
  ]
  const adminUrl = process.env.DATABASE_URL
  if (adminUrl) {
    const name = `keysmith_bench_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    list.push({
      name: 'PostgreSQL',
      env: { DATABASE_URL: url.toString() },
      cleanup: async () => {
        const client = new pg.Client({ connectionString: adminUrl })
        await client.connect()
        await client.query(`drop database if exists ${name} with (force)`)
        await client.end()
      },
    })
  }
  return list
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`

const measure = async (
  label: string,
  total: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<void> => {
  const times: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++
        const t0 = performance.now()
        await call(i)
        times.push(performance.now() - t0)
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  console.log(
    `  ${label.padEnd(44)} p50 ${fmt(percentile(times, 50)).padStart(9)}  p95 ${fmt(percentile(times, 95)).padStart(9)}  p99 ${fmt(percentile(times, 99)).padStart(9)}  ${(total / elapsed).toFixed(0).padStart(6)} req/s`,
  )
}

const run = async (target: Target): Promise<void> => {
  const apiKey = `seam_bench_${randomBytes(8).toString('hex')}`
  const config = loadConfig({
    ...target.env,
    PORT: '0',
    LOG_LEVEL: 'warn',
    KEYSMITH_SEED_API_KEY: apiKey,
    KEYSMITH_SANDBOX_ACTION_DELAY_MS: '0',
    KEYSMITH_WORKER_POLL_MS: '50',
  })
  const started = performance.now()
  const keysmith = await startKeysmith(config)
  console.log(`\n${target.name}: started in ${fmt(performance.now() - started)}`)
  const call = async (path: string, body: unknown = {}): Promise<Record<string, unknown>> => {
    const send = () =>
      fetch(new URL(path, keysmith.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    // A keep-alive connection left idle during the bulk insert may have been closed.
    const response = await send().catch(send)
    const json = (await response.json()) as Record<string, unknown>
    if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`)
    return json
  }
  try {
    console.log('  request latency (16 concurrent clients)')
    await measure('GET-style read /acs/entrances/list', 2000, 16, async () => {
      await call('/acs/entrances/list', { acs_system_id: hotel })
    })
    const user = (await call('/acs/users/create', { acs_system_id: hotel, full_name: 'Bench' }))
      .acs_user as { acs_user_id: string }
    const credentialIds: string[] = []
    await measure('write /acs/credentials/create', 500, 16, async () => {
      const created = await call('/acs/credentials/create', {
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: ['48ebfb50-c531-43c5-b9ea-409f26dabbd7'],
      })
      credentialIds.push(
        (created.acs_credential as { acs_credential_id: string }).acs_credential_id,
      )
    })
    await measure('read /acs/credentials/get', 2000, 16, async (i) => {
      await call('/acs/credentials/get', {
        acs_credential_id: credentialIds[i % credentialIds.length],
      })
    })

    console.log('  encoding (request to success, sandbox delay 0, 8 concurrent)')
    await measure('encode_credential until success', 200, 8, async (i) => {
      const { action_attempt } = (await call('/acs/encoders/encode_credential', {
        acs_encoder_id: frontDesk,
        acs_credential_id: credentialIds[i],
      })) as { action_attempt: { action_attempt_id: string } }
      for (;;) {
        const { action_attempt: current } = (await call('/action_attempts/get', {
          action_attempt_id: action_attempt.action_attempt_id,
        })) as { action_attempt: { status: string } }
        if (current.status !== 'pending') break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })

    console.log('  webhooks (event recorded to delivery received, one at a time)')
    await measureWebhookLatency(call)

    console.log(`  paging over ${rows.toLocaleString('en')} credentials and events`)
    const t0 = performance.now()
    const db = keysmith.database.db
    await sql`
      insert into acs_credentials (acs_credential_id, workspace_id, connected_account_id, acs_system_id,
        acs_user_id, access_method, is_multi_phone_sync_credential, is_issued, created_at, updated_at)
      select gen_random_uuid(), ${SANDBOX_WORKSPACE_ID}, c.connected_account_id, c.acs_system_id, ${user.acs_user_id},
        'card', false, false, now() - (g * interval '1 millisecond'), now()
      from generate_series(1, ${rows}) g, (select connected_account_id, acs_system_id from acs_systems where acs_system_id = ${hotel}) c
    `.execute(db)
    await sql`
      insert into events (event_id, workspace_id, event_type, payload, occurred_at, created_at)
      select gen_random_uuid(), ${SANDBOX_WORKSPACE_ID}, 'acs_user.created',
        jsonb_build_object('acs_user_id', gen_random_uuid(), 'acs_system_id', ${hotel}::text),
        now() - (g * interval '1 millisecond'), now() - (g * interval '1 millisecond')
      from generate_series(1, ${rows}) g
    `.execute(db)
    await sql`analyze`.execute(db)
    console.log(
      `  (inserted ${(rows * 2).toLocaleString('en')} rows in ${fmt(performance.now() - t0)})`,
    )

    const pageSize = 100
    let cursor: string | null = null
    await measure('first page (limit 100)', 50, 1, async () => {
      const page = (await call('/acs/credentials/list', { limit: pageSize })) as {
        pagination: { next_page_cursor: string | null }
      }
      cursor = page.pagination.next_page_cursor
    })
    // Jump deep into the list: the cursor of the row 10,000 before the end.
    const deep = await sql<{ created_at: Date; acs_credential_id: string }>`
      select created_at, acs_credential_id from acs_credentials
      where workspace_id = ${SANDBOX_WORKSPACE_ID}
      order by created_at desc, acs_credential_id desc offset 10000 limit 1
    `.execute(db)
    const row = deep.rows[0]
    const deepCursor = row
      ? Buffer.from(
          JSON.stringify([new Date(row.created_at).toISOString(), row.acs_credential_id]),
        ).toString('base64url')
      : cursor
    await measure(
      `page ${Math.floor((rows - 10_000) / pageSize).toLocaleString('en')} (limit 100)`,
      50,
      1,
      async () => {
        await call('/acs/credentials/list', { limit: pageSize, page_cursor: deepCursor })
      },
    )
    await measure('walk 20 consecutive pages', 5, 1, async () => {
      let next: string | null = null
      for (let i = 0; i < 20; i++) {
        const page = (await call('/acs/credentials/list', {
          limit: pageSize,
          ...(next ? { page_cursor: next } : {}),
        })) as { pagination: { next_page_cursor: string | null } }
        next = page.pagination.next_page_cursor
      }
    })
    await measure('/events/list newest 100 since a year ago', 50, 1, async () => {
      await call('/events/list', {
        since: new Date(Date.now() - 365 * 86_400_000).toISOString(),
        limit: 100,
      })
    })
    await measure('/events/list filtered by acs_user_id', 50, 1, async () => {
      await call('/events/list', {
        since: '2020-01-01T00:00:00.000Z',
        acs_user_id: user.acs_user_id,
        limit: 100,
      })
    })
    const memory = process.memoryUsage()
    console.log(
      `  memory: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB (server and benchmark share this process)`,
    )
  } finally {
    await keysmith.close()
  }
}

/** Creates users one by one and times each acs_user.created from its created_at to receipt. */
const measureWebhookLatency = async (
  call: (path: string, body?: unknown) => Promise<Record<string, unknown>>,
): Promise<void> => {
  const latencies: number[] = []
  let received: (() => void) | undefined
  const receiver = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      const event = JSON.parse(body) as { created_at: string }
      latencies.push(Date.now() - Date.parse(event.created_at))
      response.end()
      received?.()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`
  const { webhook } = (await call('/webhooks/create', {
    url,
    event_types: ['acs_user.created'],
  })) as {
    webhook: { webhook_id: string }
  }
  for (let i = 0; i < 50; i++) {
    const arrived = new Promise<void>((resolve) => {
      received = resolve
    })
    await call('/acs/users/create', { acs_system_id: hotel, full_name: `Webhook ${i}` })
    await arrived
  }
  await call('/webhooks/delete', { webhook_id: webhook.webhook_id })
  receiver.close()
  latencies.sort((a, b) => a - b)
  console.log(
    `  ${'event to webhook delivery'.padEnd(44)} p50 ${fmt(percentile(latencies, 50)).padStart(9)}  p95 ${fmt(percentile(latencies, 95)).padStart(9)}  max ${fmt(latencies.at(-1) ?? Number.NaN).padStart(9)}`,
  )
}

const main = async (): Promise<void> => {
  if (process.argv.includes('--compare')) return runCompare()
  console.log(`Keysmith benchmark, Node ${process.version}, BENCH_ROWS=${rows}`)
  for (const target of await targets()) {
    try {
      await run(target)
    } finally {
      await target.cleanup()
    }
  }
  if (process.env.DATABASE_URL) await measureEncodingThroughput(process.env.DATABASE_URL)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
