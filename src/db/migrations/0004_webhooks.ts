import { type Kysely, sql } from 'kysely'

/**
 * Webhooks and their deliveries. A delivery is one event for one webhook; it is
 * queued in the transaction that records the event, and every try is kept in
 * webhook_delivery_attempts for operators. Deleting a webhook, or the event (a
 * sandbox reset), deletes its deliveries.
 */
const statements = [
  `create table webhooks (
    webhook_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    url text not null,
    event_types jsonb not null,
    secret text not null,
    created_at timestamptz not null
  )`,
  `create index webhooks_workspace on webhooks (workspace_id, created_at)`,
  `create table webhook_deliveries (
    delivery_id uuid primary key,
    webhook_id uuid not null references webhooks on delete cascade,
    event_id uuid not null references events on delete cascade,
    status text not null check (status in ('pending', 'delivered', 'failed')),
    attempt_count integer not null default 0,
    next_attempt_at timestamptz not null,
    lease_until timestamptz,
    lease_token uuid,
    created_at timestamptz not null,
    finished_at timestamptz
  )`,
  `create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`,
  `create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, status, next_attempt_at)`,
  `create index webhook_deliveries_event on webhook_deliveries (event_id)`,
  `create table webhook_delivery_attempts (
    delivery_id uuid not null references webhook_deliveries on delete cascade,
    attempt_number integer not null,
    attempted_at timestamptz not null,
    duration_ms integer not null,
    status_code integer,
    error text,
    primary key (delivery_id, attempt_number)
  )`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
