import { sql } from 'kysely'
import { isUuid } from './pagination.js'
import type {
  DeliveryStatus,
  Executor,
  WebhookDeliveryAttemptRow,
  WebhookDeliveryRow,
  WebhookRow,
} from './schema.js'
import { json } from './schema.js'

/** Channel on which committed transactions announce new webhook deliveries. */
export const deliveriesChannel = 'keysmith_webhook_deliveries'

export const insertWebhook = async (
  db: Executor,
  row: {
    webhook_id: string
    workspace_id: string
    url: string
    event_types: string[]
    secret: string
    created_at: Date
  },
): Promise<WebhookRow> =>
  db
    .insertInto('webhooks')
    .values({ ...row, event_types: json(row.event_types) })
    .returningAll()
    .executeTakeFirstOrThrow()

export const findWebhook = async (
  db: Executor,
  workspaceId: string,
  webhookId: string,
): Promise<WebhookRow | undefined> => {
  if (!isUuid(webhookId)) return undefined
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirst()
}

export const listWebhooks = async (db: Executor, workspaceId: string): Promise<WebhookRow[]> =>
  db
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('webhook_id')
    .execute()

export const updateWebhookEventTypes = async (
  db: Executor,
  webhookId: string,
  eventTypes: string[],
): Promise<void> => {
  await db
    .updateTable('webhooks')
    .set({ event_types: json(eventTypes) })
    .where('webhook_id', '=', webhookId)
    .execute()
}

export const deleteWebhook = async (db: Executor, webhookId: string): Promise<void> => {
  await db.deleteFrom('webhooks').where('webhook_id', '=', webhookId).execute()
}

/** Wakes the delivery workers of every process (sent when the transaction commits). */
export const announceDeliveries = async (db: Executor): Promise<void> => {
  await sql`select pg_notify(${deliveriesChannel}, '')`.execute(db)
}

/** A claimed delivery with what is needed to send it. */
export interface ClaimedDelivery {
  delivery_id: string
  webhook_id: string
  url: string
  secret: string
  payload: Record<string, unknown>
  attempt_count: number
  lease_token: string
}

/**
 * Leases due deliveries for sending: the oldest due delivery of each webhook that
 * has nothing in flight. The UPDATE re-checks the lease under the row lock, so two
 * processes never lease the same delivery; a lease left by a crash runs out and the
 * delivery is sent again (at least once).
 */
export const claimDueDeliveries = async (
  db: Executor,
  options: { now: Date; leaseUntil: Date; leaseToken: string; limit: number },
): Promise<ClaimedDelivery[]> => {
  const { now, leaseUntil, leaseToken, limit } = options
  const claimed = await sql<{ delivery_id: string }>`
    update webhook_deliveries d
    set lease_until = ${leaseUntil}, lease_token = ${leaseToken}::uuid
    where d.delivery_id in (
      select distinct on (c.webhook_id) c.delivery_id
      from webhook_deliveries c
      where c.status = 'pending'
        and c.next_attempt_at <= ${now}
        and (c.lease_until is null or c.lease_until < ${now})
        and not exists (
          select 1 from webhook_deliveries busy
          where busy.webhook_id = c.webhook_id and busy.status = 'pending' and busy.lease_until >= ${now}
        )
      order by c.webhook_id, c.next_attempt_at, c.created_at
      limit ${limit}
    )
    and d.status = 'pending'
    and (d.lease_until is null or d.lease_until < ${now})
    returning d.delivery_id
  `.execute(db)
  const ids = claimed.rows.map((row) => row.delivery_id)
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.webhook_id', 'webhook_deliveries.webhook_id')
    .innerJoin('events', 'events.event_id', 'webhook_deliveries.event_id')
    .select([
      'webhook_deliveries.delivery_id',
      'webhook_deliveries.webhook_id',
      'webhook_deliveries.attempt_count',
      'webhooks.url',
      'webhooks.secret',
      'events.payload',
    ])
    .where('webhook_deliveries.delivery_id', 'in', ids)
    .execute()
  return rows.map((row) => ({ ...row, lease_token: leaseToken }))
}

export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'failed' }
  | { status: 'pending'; next_attempt_at: Date }

/**
 * Records one try and what follows from it, if this process still holds the lease.
 * Returns false when the lease was lost (the delivery was already re-sent).
 */
export const recordDeliveryAttempt = async (
  db: Executor,
  attempt: Omit<WebhookDeliveryAttemptRow, 'attempt_number'> & {
    lease_token: string
    attempt_number: number
  },
  outcome: AttemptOutcome,
): Promise<boolean> => {
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      attempt_count: attempt.attempt_number,
      lease_until: null,
      lease_token: null,
      ...(outcome.status === 'pending'
        ? { next_attempt_at: outcome.next_attempt_at }
        : { finished_at: attempt.attempted_at }),
    })
    .where('delivery_id', '=', attempt.delivery_id)
    .where('lease_token', '=', attempt.lease_token)
    .returning('delivery_id')
    .executeTakeFirst()
  if (!updated) return false
  await db
    .insertInto('webhook_delivery_attempts')
    .values({
      delivery_id: attempt.delivery_id,
      attempt_number: attempt.attempt_number,
      attempted_at: attempt.attempted_at,
      duration_ms: attempt.duration_ms,
      status_code: attempt.status_code,
      error: attempt.error,
    })
    .execute()
  return true
}

export interface DeliveryReport extends WebhookDeliveryRow {
  url: string
  event_type: string
  attempts: WebhookDeliveryAttemptRow[]
}

/** Deliveries, newest first, with every try: what `keysmith webhooks deliveries` prints. */
export const listDeliveries = async (
  db: Executor,
  filters: {
    /** Only this workspace's webhooks (the API); every workspace's when absent (the CLI). */
    workspace_id?: string | undefined
    webhook_id?: string | undefined
    status?: DeliveryStatus | undefined
    limit: number
  },
): Promise<DeliveryReport[]> => {
  let query = db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.webhook_id', 'webhook_deliveries.webhook_id')
    .innerJoin('events', 'events.event_id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries')
    .select(['webhooks.url', 'events.event_type'])
  if (filters.workspace_id !== undefined) {
    query = query.where('webhooks.workspace_id', '=', filters.workspace_id)
  }
  if (filters.webhook_id !== undefined) {
    if (!isUuid(filters.webhook_id)) return []
    query = query.where('webhook_deliveries.webhook_id', '=', filters.webhook_id)
  }
  if (filters.status !== undefined)
    query = query.where('webhook_deliveries.status', '=', filters.status)
  const deliveries = await query
    .orderBy('webhook_deliveries.created_at', 'desc')
    .limit(filters.limit)
    .execute()
  if (deliveries.length === 0) return []
  const attempts = await db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      deliveries.map((d) => d.delivery_id),
    )
    .orderBy('attempt_number')
    .execute()
  return deliveries.map((d) => ({
    ...d,
    attempts: attempts.filter((a) => a.delivery_id === d.delivery_id),
  }))
}

/** How many deliveries wait to be sent and how many were given up (for /metrics). */
export const countUnsettledDeliveries = async (
  db: Executor,
): Promise<{ pending: number; failed: number }> => {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
    .where('status', 'in', ['pending', 'failed'])
    .groupBy('status')
    .execute()
  const count = (status: DeliveryStatus) =>
    Number(rows.find((row) => row.status === status)?.count ?? 0)
  return { pending: count('pending'), failed: count('failed') }
}
