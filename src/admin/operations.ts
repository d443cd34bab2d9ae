import type { DeliveryStatus, Executor } from '../db/schema.js'
import { listDeliveries } from '../db/webhooks.js'
import { createBridge, listSystemBridges } from '../domain/bridges.js'
import {
  createPublishableKey,
  revokePublishableKey,
  workspacePublishableKeys,
} from '../domain/client-sessions.js'
import { DomainError, invalidInput } from '../domain/errors.js'
import { parseId } from '../domain/ids.js'
import { addOwnEntrance, createOwnSystem, ownSystemPublicKey } from '../domain/own-systems.js'
import {
  addUserToWorkspace,
  allPersonalAccessTokens,
  createPersonalAccessToken,
  createUser,
  revokePersonalAccessToken,
} from '../domain/users.js'
import {
  allWorkspaces,
  createApiKey,
  createWorkspace,
  revokeApiKey,
  workspaceApiKeys,
} from '../domain/workspaces.js'
import { createProviderRegistry } from '../providers/index.js'

/**
 * What an operator does with `keysmith` (users, tokens, keys, workspaces, webhook
 * deliveries), as one table of operations. The CLI runs them on the database itself,
 * or, when a server holds the embedded database, asks that server to run them over
 * its admin channel (admin/channel.ts). Either way the same code runs, and results
 * are plain JSON (times as ISO strings).
 */

/** A value as it looks after JSON.stringify: dates become strings. */
export type Jsonify<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Jsonify<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonify<T[K]> }
      : T

export type AdminArgs = Record<string, string | number | boolean | undefined>

const text = (args: AdminArgs, name: string): string => {
  const value = args[name]
  if (typeof value !== 'string' || value === '') throw invalidInput(`${name} is required`, name)
  return value
}

const optionalText = (args: AdminArgs, name: string): string | undefined => {
  const value = args[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidInput(`${name} must be a string`, name)
  return value
}

const workspaceExists = async (db: Executor, workspaceId: string): Promise<string> => {
  const id = parseId(workspaceId, 'The workspace id')
  if (!(await allWorkspaces(db)).some((w) => w.workspace_id === id)) {
    throw new DomainError('not_found', 'workspace_not_found', `No workspace ${workspaceId}`)
  }
  return id
}

const deliveryStatuses: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed']

/** Reading providers' rules only: no driver runs in an admin operation. */
const adminProviders = () => createProviderRegistry({ sandboxActionDelayMs: 0 })

const optionalNumber = (args: AdminArgs, name: string): number | undefined => {
  const value = args[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidInput(`${name} must be a whole number`, name)
  }
  return value
}

const operations = {
  'workspaces.list': async (db: Executor) =>
    (await allWorkspaces(db)).map((w) => ({
      workspace_id: w.workspace_id,
      name: w.name,
      is_sandbox: w.is_sandbox,
    })),

  'workspaces.create': async (db: Executor, args: AdminArgs, now: Date) => {
    const { workspace, apiKey } = await createWorkspace(db, {
      // Seeding a sandbox reads the providers' sandbox sites; no driver runs here.
      providers: createProviderRegistry({ sandboxActionDelayMs: 0 }),
      name: text(args, 'name'),
      isSandbox: args.sandbox === true,
      now,
    })
    return { workspace_id: workspace.workspace_id, api_key: apiKey }
  },

  'api-keys.create': async (db: Executor, args: AdminArgs, now: Date) => {
    const workspaceId = await workspaceExists(db, text(args, 'workspace_id'))
    const name = optionalText(args, 'name')
    const apiKey = await createApiKey(db, workspaceId, { now, ...(name ? { name } : {}) })
    return { api_key: apiKey }
  },

  'api-keys.list': async (db: Executor, args: AdminArgs) =>
    (await workspaceApiKeys(db, text(args, 'workspace_id'))).map((k) => ({
      api_key_id: k.api_key_id,
      name: k.name,
      created_at: k.created_at,
      revoked_at: k.revoked_at,
    })),

  'api-keys.revoke': async (db: Executor, args: AdminArgs, now: Date) => {
    const { api_key, already_revoked } = await revokeApiKey(db, text(args, 'api_key_id'), now)
    return { api_key_id: api_key.api_key_id, revoked_at: api_key.revoked_at, already_revoked }
  },

  'publishable-keys.create': async (db: Executor, args: AdminArgs, now: Date) =>
    createPublishableKey(db, {
      workspaceId: text(args, 'workspace_id'),
      name: optionalText(args, 'name'),
      now,
    }),

  'publishable-keys.list': async (db: Executor, args: AdminArgs) =>
    workspacePublishableKeys(db, text(args, 'workspace_id')),

  'publishable-keys.revoke': async (db: Executor, args: AdminArgs, now: Date) =>
    revokePublishableKey(db, text(args, 'publishable_key_id'), now),

  'users.create': async (db: Executor, args: AdminArgs, now: Date) => {
    const user = await createUser(db, text(args, 'email'), now)
    return { user_id: user.user_id, email: user.email }
  },

  'users.add-to-workspace': async (db: Executor, args: AdminArgs, now: Date) => {
    const { user, added } = await addUserToWorkspace(db, {
      email: text(args, 'email'),
      workspaceId: text(args, 'workspace_id'),
      now,
    })
    return { user_id: user.user_id, email: user.email, added }
  },

  'pats.create': async (db: Executor, args: AdminArgs, now: Date) => {
    const created = await createPersonalAccessToken(db, {
      email: text(args, 'email'),
      name: optionalText(args, 'name'),
      now,
    })
    return {
      personal_access_token_id: created.personal_access_token_id,
      email: created.user.email,
      token: created.token,
    }
  },

  'pats.list': async (db: Executor) => allPersonalAccessTokens(db),

  'pats.revoke': async (db: Executor, args: AdminArgs, now: Date) =>
    revokePersonalAccessToken(db, text(args, 'personal_access_token_id'), now),

  'systems.create': async (db: Executor, args: AdminArgs, now: Date) => {
    const system = await db.transaction().execute((tx) =>
      createOwnSystem(tx, adminProviders(), {
        workspaceId: text(args, 'workspace_id'),
        name: text(args, 'name'),
        timeZone: optionalText(args, 'time_zone'),
        now,
      }),
    )
    const { public_key } = await ownSystemPublicKey(db, adminProviders(), system.acs_system_id)
    return {
      acs_system_id: system.acs_system_id,
      workspace_id: system.workspace_id,
      name: system.name,
      public_key,
    }
  },

  'systems.public-key': async (db: Executor, args: AdminArgs) =>
    ownSystemPublicKey(db, adminProviders(), text(args, 'acs_system_id')),

  'entrances.add': async (db: Executor, args: AdminArgs, now: Date) =>
    db.transaction().execute((tx) =>
      addOwnEntrance(tx, adminProviders(), {
        acsSystemId: text(args, 'acs_system_id'),
        name: text(args, 'name'),
        number: optionalNumber(args, 'number'),
        kind: optionalText(args, 'kind'),
        now,
      }),
    ),

  'bridges.create': async (db: Executor, args: AdminArgs, now: Date) =>
    createBridge(db, adminProviders(), {
      acsSystemId: text(args, 'acs_system_id'),
      name: optionalText(args, 'name'),
      now,
    }),

  'bridges.list': async (db: Executor, args: AdminArgs, now: Date) =>
    listSystemBridges(db, adminProviders(), text(args, 'acs_system_id'), now),

  'webhooks.deliveries': async (db: Executor, args: AdminArgs) => {
    const status = optionalText(args, 'status')
    if (status !== undefined && !deliveryStatuses.includes(status as DeliveryStatus)) {
      throw invalidInput('status is pending, delivered or failed', 'status')
    }
    const limit = args.limit ?? 50
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw invalidInput('limit is a whole number from 1 to 10000', 'limit')
    }
    return listDeliveries(db, {
      webhook_id: optionalText(args, 'webhook_id'),
      status: status as DeliveryStatus | undefined,
      limit,
    })
  },
} satisfies Record<string, (db: Executor, args: AdminArgs, now: Date) => Promise<unknown>>

export type AdminOperation = keyof typeof operations

export type AdminResult<K extends AdminOperation> = Jsonify<
  Awaited<ReturnType<(typeof operations)[K]>>
>

export const isAdminOperation = (name: string): name is AdminOperation =>
  Object.hasOwn(operations, name)

/** Runs one operation on a database and returns its result as JSON would carry it. */
export const runAdminOperation = async <K extends AdminOperation>(
  db: Executor,
  operation: K,
  args: AdminArgs,
  now: Date,
): Promise<AdminResult<K>> => {
  const run: (db: Executor, args: AdminArgs, now: Date) => Promise<unknown> = operations[operation]
  return JSON.parse(JSON.stringify(await run(db, args, now))) as AdminResult<K>
}
