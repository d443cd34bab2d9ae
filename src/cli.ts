#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { DatabaseError, openDatabase } from './db/database.js'
import type { DeliveryStatus } from './db/schema.js'
import { type DeliveryReport, listDeliveries } from './db/webhooks.js'
import { allWorkspaces, createApiKey, createWorkspace } from './domain/workspaces.js'
import { startKeysmith } from './keysmith.js'

const usage = `Usage: keysmith <command>

Commands:
  start                                  Run the API server (the default)
  migrate                                Create or update the database schema, then exit
  workspaces list                        List workspaces
  workspaces create --name <name> [--sandbox]
                                         Create a workspace (a sandbox is seeded with a
                                         Visionline hotel) and print its first API key
  api-keys create --workspace-id <id> [--name <name>]
                                         Create another API key for a workspace
  webhooks deliveries [--webhook-id <id>] [--status pending|delivered|failed] [--limit <n>]
                                         Show webhook deliveries and every try of each

Environment: PORT, HOST, DATABASE_URL, KEYSMITH_DATA_DIR, KEYSMITH_SEED_API_KEY,
KEYSMITH_SANDBOX_ACTION_DELAY_MS, KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS,
KEYSMITH_WORKER_POLL_MS, KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS, KEYSMITH_WEBHOOK_TIMEOUT_MS,
KEYSMITH_REQUEST_TIMEOUT_MS, KEYSMITH_HEADERS_TIMEOUT_MS, KEYSMITH_KEEP_ALIVE_TIMEOUT_MS,
KEYSMITH_SHUTDOWN_TIMEOUT_MS, LOG_LEVEL (see README.md).`

const start = async (): Promise<void> => {
  const config = loadConfig()
  const keysmith = await startKeysmith(config)
  const { database, sandbox } = keysmith
  const lines = [
    `Keysmith is listening on ${keysmith.url}`,
    `Database: ${database.kind === 'pglite' ? `embedded PGlite in ${database.location}` : `PostgreSQL at ${database.location}`}`,
    `Sandbox workspace: ${sandbox.workspaceId}`,
    sandbox.apiKey
      ? `Sandbox API key: ${sandbox.apiKey}  (stored only as a hash: keep it now)`
      : `Sandbox API key: shown when the workspace was created; make another with\n  npm run keysmith -- api-keys create --workspace-id ${sandbox.workspaceId}`,
    '',
    'Point the Seam SDK at it: new SeamHttp({ apiKey, endpoint: ' +
      JSON.stringify(keysmith.url) +
      ' })',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  // The first SIGTERM (or SIGINT) drains: no new connections, in-flight requests
  // finish, workers stop, exit 0. Draining longer than KEYSMITH_SHUTDOWN_TIMEOUT_MS
  // exits 1; a second signal exits at once (130 for SIGINT, 143 for SIGTERM).
  let closing = false
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) {
      process.stderr.write(`keysmith: ${signal} again, exiting without draining\n`)
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    closing = true
    process.stdout.write(
      `Keysmith is shutting down (${signal}): draining in-flight requests, at most ${config.shutdownTimeoutMs} ms\n`,
    )
    setTimeout(() => {
      process.stderr.write('keysmith: draining took too long, exiting\n')
      process.exit(1)
    }, config.shutdownTimeoutMs).unref()
    keysmith.close().then(
      () => {
        process.stdout.write('Keysmith stopped\n')
        process.exit(0)
      },
      (error: unknown) => {
        process.stderr.write(`keysmith: shutdown failed: ${String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

const withDatabase = async <T>(
  work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
) => {
  const config = loadConfig()
  const database = await openDatabase(config)
  try {
    return await work(database)
  } finally {
    await database.close()
  }
}

const main = async (argv: string[]): Promise<void> => {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      sandbox: { type: 'boolean', default: false },
      'workspace-id': { type: 'string' },
      'webhook-id': { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const command = positionals.join(' ') || 'start'
  if (values.help) {
    process.stdout.write(`${usage}\n`)
    return
  }
  switch (command) {
    case 'start':
      return start()
    case 'migrate':
      await withDatabase(async (database) => {
        process.stdout.write(`Database is up to date (${database.kind}: ${database.location})\n`)
      })
      return
    case 'workspaces list':
      await withDatabase(async ({ db }) => {
        for (const w of await allWorkspaces(db)) {
          process.stdout.write(
            `${w.workspace_id}  ${w.is_sandbox ? 'sandbox' : 'production'}  ${w.name}\n`,
          )
        }
      })
      return
    case 'workspaces create': {
      const name = values.name
      if (!name) throw new UsageError('workspaces create needs --name <name>')
      await withDatabase(async ({ db }) => {
        const { workspace, apiKey } = await createWorkspace(db, {
          name,
          isSandbox: values.sandbox ?? false,
          now: new Date(),
        })
        process.stdout.write(`Workspace: ${workspace.workspace_id}\nAPI key: ${apiKey}\n`)
      })
      return
    }
    case 'api-keys create': {
      const workspaceId = values['workspace-id']
      if (!workspaceId) throw new UsageError('api-keys create needs --workspace-id <id>')
      await withDatabase(async ({ db }) => {
        const known = (await allWorkspaces(db)).some((w) => w.workspace_id === workspaceId)
        if (!known) throw new UsageError(`No workspace ${workspaceId}`)
        const apiKey = await createApiKey(db, workspaceId, {
          now: new Date(),
          ...(values.name ? { name: values.name } : {}),
        })
        process.stdout.write(`API key: ${apiKey}\n`)
      })
      return
    }
    case 'webhooks deliveries': {
      const status = values.status
      if (status !== undefined && !['pending', 'delivered', 'failed'].includes(status)) {
        throw new UsageError('--status is pending, delivered or failed')
      }
      const limit = Number(values.limit ?? 50)
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError('--limit is a positive integer')
      await withDatabase(async ({ db }) => {
        const deliveries = await listDeliveries(db, {
          webhook_id: values['webhook-id'],
          status: status as DeliveryStatus | undefined,
          limit,
        })
        process.stdout.write(formatDeliveries(deliveries))
      })
      return
    }
    default:
      throw new UsageError(`Unknown command "${command}"`)
  }
}

class UsageError extends Error {}

/** One line per delivery, then one indented line per try. */
const formatDeliveries = (deliveries: DeliveryReport[]): string => {
  if (deliveries.length === 0) return 'No deliveries.\n'
  return deliveries
    .map((d) => {
      const head = `${d.delivery_id}  ${d.status.padEnd(9)}  ${d.event_type}  -> ${d.url}  (webhook ${d.webhook_id})`
      const next =
        d.status === 'pending' ? `\n    next try at ${d.next_attempt_at.toISOString()}` : ''
      const tries = d.attempts.map(
        (a) =>
          `\n    try ${a.attempt_number}  ${a.attempted_at.toISOString()}  ${a.status_code ?? '---'}  ${a.duration_ms} ms${a.error ? `  ${a.error}` : ''}`,
      )
      return `${head}${tries.join('')}${next}\n`
    })
    .join('')
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${usage}\n`)
    process.exit(2)
  }
  if (error instanceof ConfigError || error instanceof DatabaseError) {
    process.stderr.write(`keysmith: ${error.message}\n`)
    process.exit(1)
  }
  process.stderr.write(
    `keysmith: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
