import { type Insertable, sql } from 'kysely'
import { inPageOrder, isUuid, type Page, type PageRequest, paginate } from './pagination.js'
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

/** An attempt a process has leased: only the holder of `lease_token` may finish it. */
export interface LeasedActionAttempt {
  attempt: ActionAttemptRow
  leaseToken: string
  /** The attempt was started before and cut off (a crash, or a shutdown mid-run). */
  recovering: boolean
}

/**
 * Leases up to `limit` attempts that are ready to run, oldest first, in one
 * statement. An attempt is ready when it is pending and nobody holds a live lease
 * on it, and, if it waits in a queue (an encoder), no older attempt of that queue is
 * still pending: one attempt at a time per queue, in order, across every process.
 * SKIP LOCKED lets any number of processes claim at once; each claim gets a new
 * `lease_token`, which fences a process whose lease ran out. An attempt never
 * started by its `expires_at` is left to `expireUnstartedAttempts`.
 */
export const claimActionAttempts = async (
  db: Executor,
  options: {
    now: Date
    owner: string
    leaseUntil: Date
    limit: number
    /**
     * Attempts the claiming process is still running itself, whose leases may have run
     * out while the database was away: not taken again, so their results (the card is
     * written) are applied rather than the work done twice.
     */
    exclude?: readonly string[]
  },
): Promise<LeasedActionAttempt[]> => {
  const { now, owner, leaseUntil, limit, exclude = [] } = options
  if (limit <= 0) return []
  const notRunningHere =
    exclude.length > 0
      ? sql`and c.action_attempt_id not in (${sql.join(exclude.map((id) => sql`${id}::uuid`))})`
      : sql``
  // 1. Candidates, locked (SKIP LOCKED), each holding its queue's advisory lock for
  //    this transaction: a process claiming from the same queue right now skips it.
  //    (A CTE is evaluated once: `in (select … limit n)` may be re-run and take more.)
  const candidates = await sql<{ action_attempt_id: string }>`
    with picked as (
      select c.action_attempt_id, c.queue_key from action_attempts c
      where c.status = 'pending'
        and c.run_after <= ${now}
        and (c.lease_expires_at is null or c.lease_expires_at <= ${now})
        and (c.lease_token is not null or c.expires_at > ${now})
        ${notRunningHere}
        and (c.queue_key is null or not exists (
          select 1 from action_attempts older
          where older.queue_key = c.queue_key
            and older.status = 'pending'
            and (older.created_at, older.action_attempt_id) < (c.created_at, c.action_attempt_id)
        ))
      order by c.created_at, c.action_attempt_id
      limit ${limit}
      for update of c skip locked
    )
    select action_attempt_id from picked
    where queue_key is null or pg_try_advisory_xact_lock(hashtext(queue_key))
  `.execute(db)
  if (candidates.rows.length === 0) return []
  // 2. Leased in a statement of its own, which sees every claim committed before the
  //    advisory locks were taken: an attempt whose queue already has one running (say
  //    an older attempt that committed after a newer one was claimed) waits.
  const claimed = await sql<ActionAttemptRow>`
    update action_attempts a
    set lease_owner = ${owner},
      lease_token = gen_random_uuid(),
      lease_expires_at = ${leaseUntil},
      started_at = coalesce(a.started_at, ${now}),
      run_count = a.run_count + 1
    where a.action_attempt_id in (${sql.join(candidates.rows.map((row) => sql`${row.action_attempt_id}::uuid`))})
      and a.status = 'pending'
      and (a.queue_key is null or not exists (
        select 1 from action_attempts busy
        where busy.queue_key = a.queue_key
          and busy.status = 'pending'
          and busy.lease_expires_at > ${now}
          and busy.action_attempt_id <> a.action_attempt_id
      ))
    returning a.*
  `.execute(db)
  return claimed.rows.sort(inPageOrder('action_attempt_id')).map((attempt) => ({
    attempt,
    leaseToken: attempt.lease_token ?? '',
    recovering: Number(attempt.run_count) > 1,
  }))
}

/**
 * Ends attempts that no process started before their `expires_at` (the server was
 * down, or the work waited too long) as `action_attempt_expired`. Returns them.
 */
export const expireUnstartedAttempts = async (
  db: Executor,
  now: Date,
  error: { type: string; message: string },
): Promise<Pick<ActionAttemptRow, 'action_attempt_id' | 'action_type' | 'created_at'>[]> => {
  const expired = await sql<
    Pick<ActionAttemptRow, 'action_attempt_id' | 'action_type' | 'created_at'>
  >`
    with due as (
      select action_attempt_id from action_attempts
      where status = 'pending' and lease_token is null and expires_at <= ${now}
      limit 100
      for update skip locked
    )
    update action_attempts a
    set status = 'error', error = ${json(error)}::json, updated_at = ${now}, completed_at = ${now}
    from due
    where a.action_attempt_id = due.action_attempt_id
    returning a.action_attempt_id, a.action_type, a.created_at
  `.execute(db)
  return expired.rows
}

/** Extends a lease this process still holds. False: the lease was lost (or the attempt ended). */
export const renewLease = async (
  db: Executor,
  actionAttemptId: string,
  leaseToken: string,
  leaseUntil: Date,
): Promise<boolean> => {
  const result = await db
    .updateTable('action_attempts')
    .set({ lease_expires_at: leaseUntil })
    .where('action_attempt_id', '=', actionAttemptId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Hands a lease back at once (a shutdown): another process may take the attempt up now. */
export const releaseLease = async (
  db: Executor,
  actionAttemptId: string,
  leaseToken: string,
  now: Date,
): Promise<void> => {
  await db
    .updateTable('action_attempts')
    .set({ lease_expires_at: now })
    .where('action_attempt_id', '=', actionAttemptId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'pending')
    .execute()
}

/**
 * Hands back a lease whose attempt was not started (its physical step never ran; the
 * database went away first): the run does not count, so the attempt is taken up as
 * new, not as one cut off midway.
 */
export const returnUnstartedLease = async (
  db: Executor,
  actionAttemptId: string,
  leaseToken: string,
  now: Date,
): Promise<void> => {
  await db
    .updateTable('action_attempts')
    .set((eb) => ({ lease_expires_at: now, run_count: eb('run_count', '-', 1) }))
    .where('action_attempt_id', '=', actionAttemptId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'pending')
    .execute()
}

/**
 * Hands back every lease (at start on the embedded database, which only one
 * process can open: any lease found was left by a process that is gone).
 */
export const releaseAllLeases = async (db: Executor, now: Date): Promise<void> => {
  await db
    .updateTable('action_attempts')
    .set({ lease_expires_at: now })
    .where('status', '=', 'pending')
    .where('lease_expires_at', '>', now)
    .execute()
}

/**
 * Locks an attempt for its result if it is still pending and this lease still holds
 * it. False: another process took it over (or it ended); apply nothing.
 */
export const lockLeasedAttempt = async (
  db: Executor,
  actionAttemptId: string,
  leaseToken: string,
): Promise<boolean> => {
  const row = await db
    .selectFrom('action_attempts')
    .select('action_attempt_id')
    .where('action_attempt_id', '=', actionAttemptId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'pending')
    .forUpdate()
    .executeTakeFirst()
  return row !== undefined
}

/** Channel on which committed transactions announce new action attempts. */
export const actionAttemptsChannel = 'keysmith_action_attempts'

/** Tells every process's worker, once the caller's transaction commits, that work was queued. */
export const announceActionAttempts = async (db: Executor): Promise<void> => {
  await sql`select pg_notify(${actionAttemptsChannel}, '')`.execute(db)
}
