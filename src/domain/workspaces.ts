import { createHash, randomBytes } from 'node:crypto'
import type { ActionAttempt, RouteRequestBody, Workspace } from '@seamapi/types/connect'
import type { ApiKeyRow, Executor, WebviewCustomization, WorkspaceRow } from '../db/schema.js'
import { json } from '../db/schema.js'
import { insertMember, listUserWorkspaces } from '../db/users.js'
import {
  clearWorkspaceData,
  findApiKey,
  findWorkspace,
  findWorkspaceByApiKeyHash,
  insertApiKey,
  insertWorkspace,
  listApiKeys,
  listWorkspaces,
  revokeApiKey as revokeApiKeyRow,
  updateWorkspace as updateWorkspaceRow,
} from '../db/workspaces.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import { toWorkspace } from '../resources/workspace.js'
import { type ActionHandler, bookkeeping, queueActionAttempt } from './action-attempts.js'
import type { AuthCache, CachedApiKey } from './auth-cache.js'
import type { DomainContext, Principal, WorkspaceScope } from './context.js'
import { DomainError, invalidInput, notFound } from './errors.js'
import { newId, parseId } from './ids.js'
import { SANDBOX_WORKSPACE_ID, seedSandbox } from './sandbox.js'

/**
 * API keys look like Seam's (`seam_…`, which the official SDK checks) and are kept
 * only as a sha256 hash: a leaked database does not leak working keys.
 */
export const generateApiKey = (): string => `seam_ks_${randomBytes(24).toString('base64url')}`

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** The workspace an API key opens, or undefined for an unknown, revoked or malformed key. */
export const authenticateApiKey = async (
  db: Executor,
  token: string,
  cache?: AuthCache,
): Promise<CachedApiKey | undefined> => {
  const isApiKey =
    token.startsWith('seam_') && !/^seam_(at|cst|pk)/.test(token) && token.length <= 512
  if (!isApiKey) return undefined
  const tokenHash = hashToken(token)
  const load = async (): Promise<CachedApiKey | undefined> => {
    const row = await findWorkspaceByApiKeyHash(db, tokenHash)
    return row
      ? { api_key_id: row.api_key_id, workspace_id: row.workspace_id, is_sandbox: row.is_sandbox }
      : undefined
  }
  return cache ? cache.apiKey(tokenHash, load) : load()
}

export const createApiKey = async (
  db: Executor,
  workspaceId: string,
  options: { name?: string; token?: string; now: Date },
): Promise<string> => {
  const token = options.token ?? generateApiKey()
  await insertApiKey(db, {
    api_key_id: newId(),
    workspace_id: workspaceId,
    name: options.name ?? 'API key',
    token_hash: hashToken(token),
    created_at: options.now,
  })
  return token
}

export interface CreatedWorkspace {
  workspace: WorkspaceRow
  apiKey: string
}

export interface NewWorkspace {
  /** The access systems a sandbox is seeded with. */
  providers: ProviderRegistry
  name: string
  companyName?: string | undefined
  isSandbox: boolean
  webviewCustomization?: WebviewCustomization
  now: Date
  workspaceId?: string
}

const insertNewWorkspace = async (tx: Executor, options: NewWorkspace): Promise<WorkspaceRow> => {
  const name = requireName(options.name)
  const workspace = await insertWorkspace(tx, {
    workspace_id: options.workspaceId ?? newId(),
    name,
    company_name: options.companyName?.trim() || name,
    is_sandbox: options.isSandbox,
    connect_webview_customization: json(options.webviewCustomization ?? {}),
    created_at: options.now,
  })
  // A sandbox is seeded like the default one (the hotel and the site, own ids).
  if (options.isSandbox)
    await seedSandbox(tx, options.providers, workspace.workspace_id, options.now)
  return workspace
}

/** A workspace made by an operator (the CLI), with its first API key. */
export const createWorkspace = async (
  db: Executor,
  options: NewWorkspace & { apiKey?: string },
): Promise<CreatedWorkspace> =>
  db.transaction().execute(async (tx) => {
    const workspace = await insertNewWorkspace(tx, options)
    const apiKey = await createApiKey(tx, workspace.workspace_id, {
      name: 'Default key',
      ...(options.apiKey ? { token: options.apiKey } : {}),
      now: options.now,
    })
    return { workspace, apiKey }
  })

const requireName = (name: string, parameter = 'name'): string => {
  const trimmed = name.trim()
  if (!trimmed) throw invalidInput(`${parameter} must not be empty`, parameter)
  return trimmed
}

const noOrganizations = (organizationId: string | undefined): void => {
  if (organizationId !== undefined) {
    throw invalidInput(
      'Keysmith has no organizations: leave organization_id out',
      'organization_id',
    )
  }
}

type WebviewInput = {
  [K in keyof WebviewCustomization]?: WebviewCustomization[K] | null
}

/** Applies a request's webview settings: a value sets a setting, null removes it. */
const mergeWebview = (
  current: WebviewCustomization,
  changes: WebviewInput,
): WebviewCustomization => {
  const merged: Record<string, string> = { ...current }
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged as WebviewCustomization
}

/**
 * /workspaces/create through a personal access token: the workspace (seeded when a
 * sandbox), with the token's user as its member. No API key is made: the user
 * reaches it with the same token (and `keysmith api-keys create` makes keys).
 */
export const createWorkspaceFor = async (
  ctx: DomainContext,
  principal: Principal,
  input: RouteRequestBody<'/workspaces/create'>,
): Promise<Workspace> => {
  if (principal.kind !== 'personal_access_token') {
    throw new DomainError('unauthorized', 'unauthorized', 'Only a user can create workspaces')
  }
  noOrganizations(input.organization_id)
  const now = ctx.now()
  const webview = mergeWebview(
    mergeWebview(
      {},
      {
        primary_button_color: input.webview_primary_button_color,
        primary_button_text_color: input.webview_primary_button_text_color,
        success_message: input.webview_success_message,
        logo_shape: input.webview_logo_shape,
      },
    ),
    input.connect_webview_customization ?? {},
  )
  const row = await ctx.db.transaction().execute(async (tx) => {
    const workspace = await insertNewWorkspace(tx, {
      providers: ctx.providers,
      name: input.name,
      companyName: input.company_name ?? input.connect_partner_name ?? undefined,
      isSandbox: input.is_sandbox ?? false,
      webviewCustomization: webview,
      now,
    })
    await insertMember(tx, {
      workspace_id: workspace.workspace_id,
      user_id: principal.user_id,
      created_at: now,
    })
    return workspace
  })
  return toWorkspace(row)
}

/**
 * /workspaces/list: a user's workspaces for a personal access token (with or without
 * seam-workspace), the key's own workspace for an API key.
 */
export const listWorkspacesFor = async (
  ctx: DomainContext,
  principal: Principal,
): Promise<Workspace[]> => {
  if (principal.kind === 'personal_access_token') {
    return (await listUserWorkspaces(ctx.db, principal.user_id)).map(toWorkspace)
  }
  const row = await findWorkspace(ctx.db, principal.workspace.workspace_id)
  return row ? [toWorkspace(row)] : []
}

/** /workspaces/update: name, company name, webview settings and the two flags. */
export const updateWorkspace = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/workspaces/update'>,
): Promise<void> => {
  noOrganizations(input.organization_id)
  await ctx.db.transaction().execute(async (tx) => {
    const current = await findWorkspace(tx, scope.workspace_id)
    if (!current) throw notFound('workspace', scope.workspace_id)
    await updateWorkspaceRow(tx, scope.workspace_id, {
      ...(input.name !== undefined ? { name: requireName(input.name) } : {}),
      ...(input.connect_partner_name !== undefined
        ? { company_name: requireName(input.connect_partner_name, 'connect_partner_name') }
        : {}),
      ...(input.connect_webview_customization !== undefined
        ? {
            connect_webview_customization: json(
              mergeWebview(
                current.connect_webview_customization,
                input.connect_webview_customization,
              ),
            ),
          }
        : {}),
      ...(input.is_suspended !== undefined ? { is_suspended: input.is_suspended } : {}),
      ...(input.is_publishable_key_auth_enabled !== undefined
        ? { is_publishable_key_auth_enabled: input.is_publishable_key_auth_enabled }
        : {}),
    })
  })
}

export const workspaceApiKeys = async (db: Executor, workspaceId: string): Promise<ApiKeyRow[]> => {
  const id = parseId(workspaceId, 'The workspace id')
  if (!(await findWorkspace(db, id))) throw notFound('workspace', id)
  return listApiKeys(db, id)
}

/** Revokes an API key: the next request with it, in any process, is refused. */
export const revokeApiKey = async (
  db: Executor,
  apiKeyId: string,
  now: Date,
): Promise<{ api_key: ApiKeyRow; already_revoked: boolean }> =>
  db.transaction().execute(async (tx) => {
    const id = parseId(apiKeyId, 'The API key id')
    const before = await findApiKey(tx, id)
    const after = before ? await revokeApiKeyRow(tx, id, now) : undefined
    if (!before || !after) throw notFound('api_key', id)
    return { api_key: after, already_revoked: before.revoked_at !== null }
  })

/**
 * Creates the sandbox workspace on first start. Several processes may start at once
 * on one PostgreSQL: the fixed workspace id makes exactly one of them create it.
 */
export const ensureSandboxWorkspace = async (
  db: Executor,
  options: { apiKey?: string | undefined; now: Date; providers: ProviderRegistry },
): Promise<{ workspace: WorkspaceRow; apiKey?: string }> => {
  const existing = await findWorkspace(db, SANDBOX_WORKSPACE_ID)
  if (existing) return { workspace: existing }
  try {
    return await createWorkspace(db, {
      providers: options.providers,
      name: 'Keysmith Sandbox',
      isSandbox: true,
      workspaceId: SANDBOX_WORKSPACE_ID,
      now: options.now,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    })
  } catch (error) {
    const winner = await findWorkspace(db, SANDBOX_WORKSPACE_ID)
    if (winner) return { workspace: winner }
    throw error
  }
}

export const allWorkspaces = (db: Executor): Promise<WorkspaceRow[]> => listWorkspaces(db)

export const getWorkspace = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
): Promise<Workspace> => {
  const row = await findWorkspace(ctx.db, scope.workspace_id)
  if (!row) throw notFound('workspace', scope.workspace_id)
  return toWorkspace(row)
}

/** Queues a reset: the worker empties the sandbox and seeds it again (same ids). */
export const requestSandboxReset = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
): Promise<ActionAttempt> => {
  if (!scope.is_sandbox) {
    throw new DomainError('forbidden', 'sandbox_only', 'Only a sandbox workspace can be reset')
  }
  const attempt = await ctx.db.transaction().execute((db) =>
    // Resets of one workspace run one at a time (each clears and seeds it all).
    queueActionAttempt(
      db,
      ctx,
      scope,
      'RESET_SANDBOX_WORKSPACE',
      {},
      `sandbox_reset:${scope.workspace_id}`,
    ),
  )
  ctx.wakeWorker()
  return toActionAttempt(attempt)
}

/** RESET_SANDBOX_WORKSPACE: no hardware involved, so all of it happens when applied. */
export const sandboxResetHandler: ActionHandler = {
  interrupted: {
    status: 'error',
    error: { type: 'uncategorized_error', message: 'The reset was interrupted.' },
  },
  prepare: async (_db, attempt, { providers }) =>
    bookkeeping(async (db, now) => {
      await clearWorkspaceData(db, attempt.workspace_id)
      await seedSandbox(db, providers, attempt.workspace_id, now)
      return { status: 'success', result: {} }
    }),
}
