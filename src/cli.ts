#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { readAdminFile } from './admin/channel.js'
import { AdminCallError, adminCall } from './admin/client.js'
import type { AdminArgs, AdminOperation, AdminResult } from './admin/operations.js'
import { verifyCardDump } from './cards/verify-command.js'
import { ConfigError, loadConfig } from './config.js'
import { DatabaseError } from './db/data-dir-lock.js'
import type { Database } from './db/database.js'
import { ApiCallError, type ApiTarget } from './operator/api.js'
import { encodeCommand, scanCommand, tailEvents } from './operator/card-commands.js'
import { PortInUseError } from './port-in-use.js'

const usage = `Usage: keysmith <command>

Commands:
  start                                  Run the API server (the default)
  migrate                                Create or update the database schema, then exit
  workspaces list                        List workspaces
  workspaces create --name <name> [--sandbox]
                                         Create a workspace (a sandbox is seeded with the
                                         sandbox sites) and print its first API key
  api-keys create --workspace-id <id> [--name <name>]
                                         Create another API key for a workspace
  api-keys list --workspace-id <id>      List a workspace's API keys (active and revoked)
  api-keys revoke <id>                   Revoke an API key: it stops working at once
  publishable-keys create --workspace-id <id> [--name <name>]
                                         Create a publishable key (seam_pk…) with which a
                                         browser gets client sessions; printed once
  publishable-keys list --workspace-id <id>
                                         List a workspace's publishable keys
  publishable-keys revoke <id>           Revoke a publishable key: it stops at once
  users create --email <email>           Create a user (who can hold personal access tokens)
  users add-to-workspace --email <email> --workspace-id <id>
                                         Make a user a member of a workspace
  pats create --email <email> [--name <name>]
                                         Create a personal access token (seam_at…) for a
                                         user and print it once
  pats list                              List personal access tokens (active and revoked)
  pats revoke <id>                       Revoke a personal access token: it stops at once
  systems create --workspace-id <id> --name <name>
                                         Create an access system Keysmith runs itself (cards in the
                                         open signed format, encoders through bridges) with
                                         its own signing key; prints its id and public key
  systems public-key --acs-system-id <id>
                                         Print the system's public key (PEM), for its locks
  entrances add --acs-system-id <id> --name <name> [--number <n>] [--kind guest|common]
                                         Add a door; --number is the lock's door number
                                         (default: one above the highest, from 101)
  bridges create --acs-system-id <id> [--name <name>]
                                         Make a bridge and print its one-time pairing code
                                         (valid 10 minutes) for keysmith bridge
  bridges list --acs-system-id <id>      List a system's bridges, their state and readers
  bridge --server <url> [--pairing-code <code>] --driver pcsc|virtual [--state-dir <dir>]
         [--card-wait-ms <ms>] [--readers <name,name>] [--reconnect-max-ms <ms>]
         [--mifare-key <12 hex digits>]
                                         Run the bridge agent on the front-desk computer: it
                                         connects out to the server (no open port), reports
                                         its readers as encoders and writes and reads cards.
                                         The first run pairs with a code from bridges create;
                                         later runs need only --server (default state dir
                                         ~/.keysmith-bridge). NTAG213/215/216 and MIFARE
                                         Classic 1K cards (key A, default FFFFFFFFFFFF)
  bridge cards place --encoder <name> [--blank | --file <dump>] [--type ntag213|ntag215|ntag216]
                                         Put a card on a virtual encoder (--driver virtual)
  bridge cards take --encoder <name> [--file <dump>]
                                         Pick it up; --file keeps its memory for cards verify
  encode --credential <id> --encoder <id>
                                         Encode a card credential at an encoder, waiting for
                                         the card (through the API: --api-key or SEAM_API_KEY)
  scan --encoder <id>                    Read the card on an encoder: card against server,
                                         the out-of-sync properties marked
  events tail [--since <time>] [--types <type,type>]
                                         Print the workspace's events as they happen
                                         (API commands take --endpoint <url>, default the
                                         running server, and --api-key <key>)
  cards verify --public-key <file> --entrance <number> [--at <time>] <card-dump-file>
                                         Decide offline, as a lock would, whether a Keysmith
                                         card opens a door (exit 0) or why not (exit 1)
  webhooks deliveries [--webhook-id <id>] [--status pending|delivered|failed] [--limit <n>]
                                         Show webhook deliveries and every try of each

Environment: PORT, HOST, DATABASE_URL, KEYSMITH_DATA_DIR, KEYSMITH_SEED_API_KEY,
KEYSMITH_SANDBOX_ACTION_DELAY_MS, KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS,
KEYSMITH_WORKER_POLL_MS, KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS, KEYSMITH_WEBHOOK_TIMEOUT_MS,
KEYSMITH_REQUEST_TIMEOUT_MS, KEYSMITH_HEADERS_TIMEOUT_MS, KEYSMITH_KEEP_ALIVE_TIMEOUT_MS,
KEYSMITH_SHUTDOWN_TIMEOUT_MS, KEYSMITH_RATE_LIMIT, LOG_LEVEL (see README.md).

These commands work while a server runs: on PostgreSQL they use the database; on the
embedded database they go through the running server's admin channel.`

// Each command loads only what it uses (the server, the database, the bridge agent),
// so a command sent to a running server starts in a fraction of the time.

const start = async (): Promise<void> => {
  const config = loadConfig()
  const { startKeysmith } = await import('./keysmith.js')
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

const withDatabase = async <T>(work: (db: Database) => Promise<T>) => {
  const config = loadConfig()
  const { openDatabase } = await import('./db/database.js')
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
      email: { type: 'string' },
      'workspace-id': { type: 'string' },
      'webhook-id': { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      'public-key': { type: 'string' },
      'acs-system-id': { type: 'string' },
      server: { type: 'string' },
      'pairing-code': { type: 'string' },
      driver: { type: 'string' },
      'state-dir': { type: 'string' },
      'card-wait-ms': { type: 'string' },
      readers: { type: 'string' },
      'reconnect-max-ms': { type: 'string' },
      'mifare-key': { type: 'string' },
      credential: { type: 'string' },
      endpoint: { type: 'string' },
      'api-key': { type: 'string' },
      since: { type: 'string' },
      types: { type: 'string' },
      encoder: { type: 'string' },
      blank: { type: 'boolean', default: false },
      file: { type: 'string' },
      type: { type: 'string' },
      number: { type: 'string' },
      kind: { type: 'string' },
      entrance: { type: 'string' },
      at: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  // `bridge` runs the agent; `bridge cards place|take` handles virtual cards.
  const words =
    positionals[0] === 'bridge' && positionals[1] === 'cards'
      ? 3
      : ['bridge', 'encode', 'scan', 'help'].includes(positionals[0] ?? '')
        ? 1
        : 2
  const command = positionals.slice(0, words).join(' ') || 'start'
  const operands = positionals.slice(words)
  if (values.help || command === 'help') {
    process.stdout.write(`${usage}\n`)
    return
  }
  /** The one id a `… revoke <id>` command takes. */
  const idOperand = (): string => {
    const [id, ...extra] = operands
    if (!id || extra.length > 0) throw new UsageError(`${command} takes one id`)
    return id
  }
  if (operands.length > 0 && !command.endsWith(' revoke') && command !== 'cards verify') {
    throw new UsageError(`Unknown command "${positionals.join(' ')}"`)
  }
  const required = (name: 'email' | 'workspace-id' | 'name' | 'acs-system-id'): string => {
    const value = values[name]
    if (!value)
      throw new UsageError(
        `${command} needs --${name} <${name === 'name' ? 'name' : name.replaceAll('-', ' ')}>`,
      )
    return value
  }
  const admin = <K extends AdminOperation>(operation: K, args: AdminArgs = {}) =>
    adminCall(loadConfig(), operation, args)
  const write = (text: string) => process.stdout.write(text)
  switch (command) {
    case 'start':
      return start()
    case 'encode':
    case 'scan':
    case 'events tail': {
      const target = apiTarget(values)
      if (command === 'events tail') {
        const stop = new AbortController()
        process.once('SIGINT', () => stop.abort())
        process.once('SIGTERM', () => stop.abort())
        await failingAs(() =>
          tailEvents(
            target,
            {
              ...(values.since ? { since: values.since } : {}),
              ...(values.types ? { eventTypes: values.types.split(',').map((t) => t.trim()) } : {}),
              signal: stop.signal,
            },
            (line) => write(`${line}\n`),
          ),
        )
        return
      }
      const outcome = await failingAs(() =>
        command === 'encode'
          ? encodeCommand(target, {
              credential: requiredValue(values.credential, 'encode needs --credential <id>'),
              encoder: requiredValue(values.encoder, 'encode needs --encoder <id>'),
            })
          : scanCommand(target, {
              encoder: requiredValue(values.encoder, 'scan needs --encoder <id>'),
            }),
      )
      write(outcome.text)
      if (!outcome.ok) process.exitCode = 1
      return
    }
    case 'bridge':
      return bridge(values)
    case 'bridge cards place': {
      if (values.blank && values.file)
        throw new UsageError('cards place takes --blank or --file, not both')
      const { cardsPlace } = await import('./bridge/agent/command.js')
      const placed = await failingAs(() =>
        cardsPlace({
          stateDir: values['state-dir'],
          reader: values.encoder,
          type: values.type,
          file: values.file,
        }),
      )
      write(placed)
      return
    }
    case 'bridge cards take': {
      const { cardsTake } = await import('./bridge/agent/command.js')
      const taken = await failingAs(() =>
        cardsTake({ stateDir: values['state-dir'], reader: values.encoder, file: values.file }),
      )
      write(taken)
      return
    }
    case 'cards verify': {
      const [dumpFile, ...extra] = operands
      const publicKeyFile = values['public-key']
      if (!dumpFile || extra.length > 0 || !publicKeyFile || values.entrance === undefined) {
        throw new UsageError(
          'cards verify needs --public-key <file> --entrance <number> [--at <time>] <card-dump-file>',
        )
      }
      let result: { exitCode: number; text: string }
      try {
        result = verifyCardDump({
          publicKeyFile,
          entrance: values.entrance,
          at: values.at,
          dumpFile,
        })
      } catch (error) {
        // A file that cannot be read or a bad option: say which, no stack trace.
        throw new UsageError(`cards verify: ${(error as Error).message}`)
      }
      write(result.text)
      process.exitCode = result.exitCode
      return
    }
    case 'migrate':
      await withDatabase(async (database) => {
        write(`Database is up to date (${database.kind}: ${database.location})\n`)
      })
      return
    case 'workspaces list':
      for (const w of await admin('workspaces.list')) {
        write(`${w.workspace_id}  ${w.is_sandbox ? 'sandbox' : 'production'}  ${w.name}\n`)
      }
      return
    case 'workspaces create': {
      const created = await admin('workspaces.create', {
        name: required('name'),
        sandbox: values.sandbox ?? false,
      })
      write(`Workspace: ${created.workspace_id}\nAPI key: ${created.api_key}\n`)
      return
    }
    case 'api-keys create': {
      const created = await admin('api-keys.create', {
        workspace_id: required('workspace-id'),
        name: values.name,
      })
      write(`API key: ${created.api_key}\n`)
      return
    }
    case 'api-keys list': {
      const keys = await admin('api-keys.list', { workspace_id: required('workspace-id') })
      if (keys.length === 0) write('No API keys.\n')
      for (const k of keys) {
        const state = k.revoked_at ? `revoked ${k.revoked_at}` : 'active'
        write(`${k.api_key_id}  ${state}  created ${k.created_at}  ${k.name}\n`)
      }
      return
    }
    case 'api-keys revoke': {
      const revoked = await admin('api-keys.revoke', { api_key_id: idOperand() })
      write(
        revoked.already_revoked
          ? `API key ${revoked.api_key_id} was already revoked at ${revoked.revoked_at}\n`
          : `Revoked API key ${revoked.api_key_id}\n`,
      )
      return
    }
    case 'publishable-keys create': {
      const created = await admin('publishable-keys.create', {
        workspace_id: required('workspace-id'),
        name: values.name,
      })
      write(
        `Publishable key ${created.publishable_key_id}\n` +
          `Key: ${created.publishable_key}  (stored only as a hash: keep it now)\n`,
      )
      return
    }
    case 'publishable-keys list': {
      const keys = await admin('publishable-keys.list', { workspace_id: required('workspace-id') })
      if (keys.length === 0) write('No publishable keys.\n')
      for (const k of keys) {
        const state = k.revoked_at ? `revoked ${k.revoked_at}` : 'active'
        write(`${k.publishable_key_id}  ${state}  created ${k.created_at}  ${k.name}\n`)
      }
      return
    }
    case 'publishable-keys revoke': {
      const revoked = await admin('publishable-keys.revoke', { publishable_key_id: idOperand() })
      write(`Revoked publishable key ${revoked.publishable_key_id}\n`)
      return
    }
    case 'users create': {
      const user = await admin('users.create', { email: required('email') })
      write(`User: ${user.user_id}  ${user.email}\n`)
      return
    }
    case 'users add-to-workspace': {
      const workspaceId = required('workspace-id')
      const member = await admin('users.add-to-workspace', {
        email: required('email'),
        workspace_id: workspaceId,
      })
      write(
        member.added
          ? `${member.email} is now a member of workspace ${workspaceId}\n`
          : `${member.email} already was a member of workspace ${workspaceId}\n`,
      )
      return
    }
    case 'pats create': {
      const created = await admin('pats.create', { email: required('email'), name: values.name })
      write(
        `Personal access token ${created.personal_access_token_id} for ${created.email}\n` +
          `Token: ${created.token}  (stored only as a hash: keep it now)\n`,
      )
      return
    }
    case 'pats list': {
      const tokens = await admin('pats.list')
      if (tokens.length === 0) write('No personal access tokens.\n')
      for (const t of tokens) {
        const state = t.revoked_at ? `revoked ${t.revoked_at}` : 'active'
        write(
          `${t.personal_access_token_id}  ${state}  ${t.email}  created ${t.created_at}  ${t.name}\n`,
        )
      }
      return
    }
    case 'pats revoke': {
      const id = idOperand()
      await admin('pats.revoke', { personal_access_token_id: id })
      write(`Revoked personal access token ${id}\n`)
      return
    }
    case 'systems create': {
      const system = await admin('systems.create', {
        workspace_id: required('workspace-id'),
        name: required('name'),
      })
      write(
        `Access system: ${system.acs_system_id}  ${system.name}\n` +
          `Public key (for its locks; again with keysmith systems public-key):\n${system.public_key}`,
      )
      return
    }
    case 'systems public-key': {
      const { public_key } = await admin('systems.public-key', {
        acs_system_id: required('acs-system-id'),
      })
      write(public_key)
      return
    }
    case 'entrances add': {
      const number = values.number === undefined ? undefined : Number(values.number)
      if (number !== undefined && (!Number.isInteger(number) || number < 0 || number > 65_535)) {
        throw new UsageError('--number is a door number from 0 to 65535')
      }
      if (values.kind !== undefined && !['guest', 'common'].includes(values.kind)) {
        throw new UsageError('--kind is guest or common')
      }
      const entrance = await admin('entrances.add', {
        acs_system_id: required('acs-system-id'),
        name: required('name'),
        number,
        kind: values.kind,
      })
      write(
        `Entrance: ${entrance.acs_entrance_id}  door ${entrance.door_number}  ${entrance.kind}  ${entrance.display_name}\n`,
      )
      return
    }
    case 'bridges create': {
      const bridge = await admin('bridges.create', {
        acs_system_id: required('acs-system-id'),
        name: values.name,
      })
      write(
        `Bridge: ${bridge.bridge_id}\n` +
          `Pairing code: ${bridge.pairing_code}  (one use, expires ${bridge.expires_at})\n\n` +
          `On the front-desk computer:\n  keysmith bridge --server <this server's URL> --pairing-code ${bridge.pairing_code} --driver pcsc\n`,
      )
      return
    }
    case 'bridges list': {
      const bridges = await admin('bridges.list', { acs_system_id: required('acs-system-id') })
      if (bridges.length === 0) write('No bridges.\n')
      for (const b of bridges) {
        write(
          `${b.bridge_id}  ${b.state}  ${b.name}${b.driver ? `  (${b.driver})` : ''}${b.last_seen_at ? `  last seen ${b.last_seen_at}` : ''}\n`,
        )
        for (const e of b.encoders) {
          write(
            `    encoder ${e.acs_encoder_id}  ${e.display_name}${e.removed ? '  (removed)' : ''}\n`,
          )
        }
      }
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
      const deliveries = await admin('webhooks.deliveries', {
        webhook_id: values['webhook-id'],
        status,
        limit,
      })
      write(formatDeliveries(deliveries))
      return
    }
    default:
      throw new UsageError(`Unknown command "${command}"`)
  }
}

class UsageError extends Error {}

const requiredValue = (value: string | undefined, message: string): string => {
  if (!value) throw new UsageError(message)
  return value
}

/**
 * Where the API commands send requests: --endpoint, else KEYSMITH_URL, else the server
 * running on this data folder (its admin.json), else http://127.0.0.1:$PORT. The
 * credential: --api-key, else SEAM_API_KEY (a PAT also needs SEAM_WORKSPACE_ID).
 */
const apiTarget = (values: {
  endpoint?: string | undefined
  'api-key'?: string | undefined
}): ApiTarget => {
  const token = values['api-key'] ?? process.env.SEAM_API_KEY
  if (!token) throw new UsageError('API commands need --api-key <key> (or SEAM_API_KEY)')
  const config = loadConfig()
  const endpoint =
    values.endpoint ??
    process.env.KEYSMITH_URL ??
    readAdminFile(config.dataDir)?.url ??
    `http://127.0.0.1:${config.port}`
  return { endpoint, token, workspaceId: process.env.SEAM_WORKSPACE_ID }
}

/** A command that could not do its work for a reason its message gives (no stack trace). */
class CommandFailed extends Error {}

/** Runs `work`; what it throws is reported as the command's failure, in its own words. */
const failingAs = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work()
  } catch (error) {
    if (error instanceof Error) throw new CommandFailed(error.message)
    throw error
  }
}

/** `keysmith bridge`: runs the agent until SIGINT / SIGTERM (exit 0) or its token is refused (exit 1). */
const bridge = async (values: {
  server?: string | undefined
  'pairing-code'?: string | undefined
  driver?: string | undefined
  'state-dir'?: string | undefined
  'card-wait-ms'?: string | undefined
  readers?: string | undefined
  'reconnect-max-ms'?: string | undefined
  'mifare-key'?: string | undefined
}): Promise<void> => {
  const driver = values.driver
  if (driver !== 'pcsc' && driver !== 'virtual') {
    throw new UsageError('bridge needs --driver pcsc or --driver virtual')
  }
  if (values['pairing-code'] !== undefined && !values.server) {
    throw new UsageError('bridge --pairing-code needs --server <url>')
  }
  const cardWaitMs =
    values['card-wait-ms'] === undefined ? undefined : Number(values['card-wait-ms'])
  if (cardWaitMs !== undefined && (!Number.isInteger(cardWaitMs) || cardWaitMs <= 0)) {
    throw new UsageError('--card-wait-ms is a positive number of milliseconds')
  }
  const reconnectMaxMs =
    values['reconnect-max-ms'] === undefined ? undefined : Number(values['reconnect-max-ms'])
  if (reconnectMaxMs !== undefined && (!Number.isInteger(reconnectMaxMs) || reconnectMaxMs <= 0)) {
    throw new UsageError('--reconnect-max-ms is a positive number of milliseconds')
  }
  const { runBridge } = await import('./bridge/agent/command.js')
  const running = await failingAs(() =>
    runBridge({
      driver,
      ...(values.server ? { server: values.server } : {}),
      ...(values['pairing-code'] ? { pairingCode: values['pairing-code'] } : {}),
      ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
      ...(cardWaitMs !== undefined ? { cardWaitMs } : {}),
      ...(reconnectMaxMs !== undefined ? { reconnectMaxMs } : {}),
      ...(values['mifare-key'] ? { mifareKey: values['mifare-key'] } : {}),
      ...(values.readers
        ? {
            readers: values.readers
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean),
          }
        : {}),
    }),
  )
  const stop = () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await failingAs(() => running.done)
}

/** One line per delivery, then one indented line per try. */
const formatDeliveries = (deliveries: AdminResult<'webhooks.deliveries'>): string => {
  if (deliveries.length === 0) return 'No deliveries.\n'
  return deliveries
    .map((d) => {
      const head = `${d.delivery_id}  ${d.status.padEnd(9)}  ${d.event_type}  -> ${d.url}  (webhook ${d.webhook_id})`
      const next = d.status === 'pending' ? `\n    next try at ${d.next_attempt_at}` : ''
      const tries = d.attempts.map(
        (a) =>
          `\n    try ${a.attempt_number}  ${a.attempted_at}  ${a.status_code ?? '---'}  ${a.duration_ms} ms${a.error ? `  ${a.error}` : ''}`,
      )
      return `${head}${tries.join('')}${next}\n`
    })
    .join('')
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof PortInUseError) {
    const next = error.port + 1
    process.stderr.write(
      `keysmith: port ${error.port} is already in use (another Keysmith, or another program); set PORT to another one, e.g. PORT=${next} npm start\n`,
    )
    // The sandbox was created before the port turned out to be taken: its key is shown
    // now, since it is stored only as a hash.
    if (error.sandboxApiKey) {
      process.stderr.write(
        `Sandbox API key: ${error.sandboxApiKey}  (stored only as a hash: keep it now)\n`,
      )
    }
    process.exit(1)
  }
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${usage}\n`)
    process.exit(2)
  }
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseError ||
    error instanceof AdminCallError ||
    error instanceof ApiCallError ||
    error instanceof CommandFailed
  ) {
    process.stderr.write(`keysmith: ${error.message}\n`)
    process.exit(1)
  }
  process.stderr.write(
    `keysmith: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
