import type { Insertable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type { ActionAttemptRow, ActionAttemptsTable, Executor } from './schema.js'
import { json } from './schema.js'

export const insertActionAttempt = async (
  db: Executor,
  row: Insertable<ActionAttemptsTable>,
): Promise<ActionAttemptRow> =>
  db.insertInto('action_attempts').values(row).returningAll().executeTakeFirstOrThrow()

export const findActionAttempt = async (
  db: Executor,
  workspaceId: string,
  actionAttemptId: string,
): Promise<ActionAttemptRow | undefined> => {
  if (!isUuid(actionAttemptId)) return undefined
  return db
    .selectFrom('action_attempts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('action_attempt_id', '=', actionAttemptId)
    .executeTakeFirst()
}

export const listActionAttempts = async (
  db: Executor,
  workspaceId: string,
  filters: { action_attempt_ids?: string[] | undefined },
  page: PageRequest,
): Promise<Page<ActionAttemptRow>> => {
  let query = db.selectFrom('action_attempts').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.action_attempt_ids !== undefined) {
    const ids = filters.action_attempt_ids.filter(isUuid)
    if (ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where('action_attempt_id', 'in', ids)
  }
  return paginate(query, 'action_attempts', 'action_attempt_id', page)
}

/**
 * Locks one pending attempt that is due (or overdue to expire) for the calling
 * transaction. SKIP LOCKED lets any number of processes poll the same table: a
 * row being worked on is invisible to the others, and a crashed worker's lock
 * disappears with its connection, so the attempt is picked up again.
 */
export const claimDueActionAttempt = async (
  db: Executor,
  now: Date,
): Promise<ActionAttemptRow | undefined> =>
  db
    .selectFrom('action_attempts')
    .selectAll()
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('run_after', '<=', now), eb('expires_at', '<=', now)]))
    .orderBy('run_after')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst()

export type ActionAttemptOutcome =
  | { status: 'success'; result: unknown }
  | { status: 'error'; error: { type: string; message: string } }

export const completeActionAttempt = async (
  db: Executor,
  actionAttemptId: string,
  outcome: ActionAttemptOutcome,
  now: Date,
): Promise<ActionAttemptRow> =>
  db
    .updateTable('action_attempts')
    .set({
      status: outcome.status,
      result: json(outcome.status === 'success' ? outcome.result : null),
      error: json(outcome.status === 'error' ? outcome.error : null),
      updated_at: now,
      completed_at: now,
    })
    .where('action_attempt_id', '=', actionAttemptId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirstOrThrow()

/** Locks an attempt if it is still pending and nobody else holds it. */
export const lockPendingActionAttempt = async (
  db: Executor,
  actionAttemptId: string,
): Promise<boolean> => {
  const row = await db
    .selectFrom('action_attempts')
    .select('action_attempt_id')
    .where('action_attempt_id', '=', actionAttemptId)
    .where('status', '=', 'pending')
    .forUpdate()
    .skipLocked()
    .executeTakeFirst()
  return row !== undefined
}
