import type { ActionAttempt, RouteRequestBody } from '@seamapi/types/connect'
import {
  type ActionAttemptOutcome,
  announceActionAttempts,
  findActionAttempt,
  insertActionAttempt,
  listActionAttempts,
} from '../db/action-attempts.js'
import type { Page } from '../db/pagination.js'
import { type ActionAttemptRow, type Executor, json } from '../db/schema.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import { reachesRecord } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { notFound } from './errors.js'
import { newId } from './ids.js'

/**
 * The physical, asynchronous operations Keysmith performs through action attempts.
 * ENCODE_ACCESS_METHOD is what Seam's guides show for `/access_methods/encode`; the
 * pinned OpenAPI document does not list it yet (see README).
 */
export const actionTypes = [
  'ENCODE_CREDENTIAL',
  'ENCODE_ACCESS_METHOD',
  'SCAN_CREDENTIAL',
  'SCAN_TO_ASSIGN_CREDENTIAL',
  'ASSIGN_CREDENTIAL',
  'RESET_SANDBOX_WORKSPACE',
] as const
export type ActionType = (typeof actionTypes)[number]

/**
 * How the worker (src/jobs/runner.ts) runs an action type. An attempt runs in three
 * steps, so that no transaction is open while an encoder works:
 * 1. `prepare`, outside a transaction: check the attempt still makes sense and load
 *    what the physical work needs; it only reads (an access system's next number is
 *    taken by a statement of its own). It may end the attempt at once with an outcome.
 * 2. the `PhysicalStep` it returns runs with no transaction open, under a timeout
 *    and an AbortSignal;
 * 3. the `ApplyResult` that step resolves with runs in a second short transaction,
 *    once the worker has checked it still holds the attempt's lease. It re-checks
 *    the world (the credential may have been deleted or changed meanwhile).
 */
export interface ActionHandler {
  prepare(
    db: Executor,
    attempt: ActionAttemptRow,
    env: ActionEnvironment,
  ): Promise<ActionAttemptOutcome | PhysicalStep>
  /** The outcome of an attempt cut off midway whose work may not simply run again. */
  interrupted: ActionAttemptOutcome
}

export interface ActionEnvironment {
  providers: ProviderRegistry
  now: Date
  /**
   * Takes an access system's next number on connections of its own (PostgreSQL), so
   * no pool connection waits on the system's row; none: take it with `db`.
   */
  allocateNumber?: ((acsSystemId: string) => Promise<number>) | undefined
}

export interface PhysicalStep {
  /** Longest the step may take; past it the attempt ends as `encoder_communication_timeout`. */
  timeoutMs: number
  /** Whether the step, cut off by a crash or a shutdown, may run again from the start. */
  retryable: boolean
  run(signal: AbortSignal): Promise<ApplyResult>
}

/** Saves what the physical step did, in the transaction that finishes the attempt. */
export type ApplyResult = (db: Executor, now: Date) => Promise<ActionAttemptOutcome>

/** A step that is pure bookkeeping: it does all its work when applied. */
export const bookkeeping = (apply: ApplyResult): PhysicalStep => ({
  timeoutMs: 60_000,
  retryable: true,
  run: async () => apply,
})

export const failed = (type: string, message: string): ActionAttemptOutcome => ({
  status: 'error',
  error: { type, message },
})

/**
 * Queues work as a pending action attempt, in the caller's transaction, and tells
 * every process's worker once it commits. Attempts with the same `queueKey` (an
 * encoder) run one at a time, oldest first. One still not started when the
 * attempt timeout passes (say the server was down) ends as `action_attempt_expired`.
 */
export const queueActionAttempt = async (
  db: Executor,
  ctx: DomainContext,
  scope: WorkspaceScope,
  actionType: ActionType,
  input: Record<string, unknown>,
  queueKey: string | null,
): Promise<ActionAttemptRow> => {
  const now = ctx.now()
  await announceActionAttempts(db)
  return insertActionAttempt(db, {
    action_attempt_id: newId(),
    workspace_id: scope.workspace_id,
    action_type: actionType,
    status: 'pending',
    input: json(input),
    result: json(null),
    error: json(null),
    run_after: now,
    expires_at: new Date(now.getTime() + ctx.settings.actionAttemptTimeoutMs),
    queue_key: queueKey,
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
  // A client session sees an attempt only if everything it names is in its reach.
  if (!row || !reachesRecord(scope, row.input)) throw notFound('action_attempt', actionAttemptId)
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
