import { createHash, randomBytes } from 'node:crypto'
import type { ActionAttempt, Workspace } from '@seamapi/types/connect'
import type { Executor, WorkspaceRow } from '../db/schema.js'
import {
  clearWorkspaceData,
  findWorkspace,
  findWorkspaceByApiKeyHash,
  insertApiKey,
  insertWorkspace,
  listWorkspaces,
} from '../db/workspaces.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import { toWorkspace } from '../resources/workspace.js'
import { type ActionHandler, bookkeeping, queueActionAttempt } from './action-attempts.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { DomainError, notFound } from './errors.js'
import { newId } from './ids.js'
import { SANDBOX_WORKSPACE_ID, seedSandbox } from './sandbox.js'

/**
 * API keys look like Seam's (`seam_…`, which the official SDK checks) and are kept
 * only as a sha256 hash: a leaked database does not leak working keys.
 */
export const generateApiKey = (): string => `seam_ks_${randomBytes(24).toString('base64url')}`

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** The workspace an API key opens, or undefined for an unknown or malformed key. */
export const authenticateApiKey = async (
  db: Executor,
  token: string,
): Promise<WorkspaceRow | undefined> => {
  const isApiKey =
    token.startsWith('seam_') && !/^seam_(at|cst|pk)/.test(token) && token.length <= 512
  if (!isApiKey) return undefined
  return findWorkspaceByApiKeyHash(db, hashToken(token))
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

export const createWorkspace = async (
  db: Executor,
  options: { name: string; isSandbox: boolean; now: Date; workspaceId?: string; apiKey?: string },
): Promise<CreatedWorkspace> =>
  db.transaction().execute(async (tx) => {
    const workspace = await insertWorkspace(tx, {
      workspace_id: options.workspaceId ?? newId(),
      name: options.name,
      company_name: options.name,
      is_sandbox: options.isSandbox,
      created_at: options.now,
    })
    if (options.isSandbox) await seedSandbox(tx, workspace.workspace_id, options.now)
    const apiKey = await createApiKey(tx, workspace.workspace_id, {
      name: 'Default key',
      ...(options.apiKey ? { token: options.apiKey } : {}),
      now: options.now,
    })
    return { workspace, apiKey }
  })

/**
 * Creates the sandbox workspace on first start. Several processes may start at once
 * on one PostgreSQL: the fixed workspace id makes exactly one of them create it.
 */
export const ensureSandboxWorkspace = async (
  db: Executor,
  options: { apiKey?: string | undefined; now: Date },
): Promise<{ workspace: WorkspaceRow; apiKey?: string }> => {
  const existing = await findWorkspace(db, SANDBOX_WORKSPACE_ID)
  if (existing) return { workspace: existing }
  try {
    return await createWorkspace(db, {
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
  prepare: async (_db, attempt) =>
    bookkeeping(async (db, now) => {
      await clearWorkspaceData(db, attempt.workspace_id)
      await seedSandbox(db, attempt.workspace_id, now)
      return { status: 'success', result: {} }
    }),
}
