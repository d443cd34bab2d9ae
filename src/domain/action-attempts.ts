import type { ActionAttempt, RouteRequestBody } from '@seamapi/types/connect'
import {
  findActionAttempt,
  insertActionAttempt,
  listActionAttempts,
} from '../db/action-attempts.js'
import type { Page } from '../db/pagination.js'
import { type ActionAttemptRow, type Executor, json } from '../db/schema.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { notFound } from './errors.js'
import { newId } from './ids.js'

/**
 * The physical, asynchronous operations Keysmith performs through action attempts.
 * ENCODE_ACCESS_METHOD is what Seam's guides show for `/access_methods/encode`; the
 * pinned OpenAPI document does not list it yet (see README).
 */
export type ActionType =
  | 'ENCODE_CREDENTIAL'
  | 'ENCODE_ACCESS_METHOD'
  | 'SCAN_CREDENTIAL'
  | 'RESET_SANDBOX_WORKSPACE'

/**
 * Queues work as a pending action attempt, in the caller's transaction. A worker
 * runs it once `delayMs` has passed; if it is still pending when the attempt
 * timeout passes (say the server was down), it ends as `action_attempt_expired`.
 */
export const queueActionAttempt = async (
  db: Executor,
  ctx: DomainContext,
  scope: WorkspaceScope,
  actionType: ActionType,
  input: Record<string, unknown>,
  delayMs: number,
): Promise<ActionAttemptRow> => {
  const now = ctx.now()
  return insertActionAttempt(db, {
    action_attempt_id: newId(),
    workspace_id: scope.workspace_id,
    action_type: actionType,
    status: 'pending',
    input: json(input),
    result: json(null),
    error: json(null),
    run_after: new Date(now.getTime() + delayMs),
    expires_at: new Date(now.getTime() + Math.max(ctx.settings.actionAttemptTimeoutMs, delayMs)),
    created_at: now,
    updated_at: now,
    completed_at: null,
  })
}

export const getActionAttempt = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  actionAttemptId: string,
): Promise<ActionAttempt> => {
  const row = await findActionAttempt(ctx.db, scope.workspace_id, actionAttemptId)
  if (!row) throw notFound('action_attempt', actionAttemptId)
  return toActionAttempt(row)
}

export const listActionAttemptsPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/action_attempts/list'>,
): Promise<Page<ActionAttempt>> => {
  // Keysmith has no devices, so no action attempt belongs to a device_id.
  if (input.device_id !== undefined) return { items: [], nextPageCursor: null }
  const page = await listActionAttempts(
    ctx.db,
    scope.workspace_id,
    { action_attempt_ids: input.action_attempt_ids },
    { limit: input.limit ?? 500, pageCursor: input.page_cursor },
  )
  return { ...page, items: page.items.map(toActionAttempt) }
}
