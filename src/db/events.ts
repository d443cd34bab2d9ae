import { sql } from 'kysely'
import { isUuid } from './pagination.js'
import type { EventRow, Executor } from './schema.js'
import { json } from './schema.js'

/**
 * Records an event and, in the same statement, a pending delivery of it to each
 * webhook of its workspace subscribed to its type. Returns how many deliveries.
 */
export const insertEventWithDeliveries = async (
  db: Executor,
  row: {
    event_id: string
    workspace_id: string
    event_type: string
    payload: Record<string, unknown>
    occurred_at: Date
    created_at: Date
  },
): Promise<number> => {
  const result = await sql`
    with recorded as (
      insert into events (event_id, workspace_id, event_type, payload, occurred_at, created_at)
      values (${row.event_id}::uuid, ${row.workspace_id}::uuid, ${row.event_type},
        ${json(row.payload)}::jsonb, ${row.occurred_at}, ${row.created_at})
    )
    insert into webhook_deliveries (delivery_id, webhook_id, event_id, status, next_attempt_at, created_at)
    select gen_random_uuid(), webhook_id, ${row.event_id}::uuid, 'pending', ${row.created_at}, ${row.created_at}
    from webhooks
    where workspace_id = ${row.workspace_id}::uuid
      and (event_types @> '["*"]'::jsonb or event_types @> ${json([row.event_type])}::jsonb)
  `.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

export const findEvent = async (
  db: Executor,
  workspaceId: string,
  filters: { event_id?: string | undefined; event_type?: string | undefined },
): Promise<EventRow | undefined> => {
  let query = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.event_id !== undefined) {
    if (!isUuid(filters.event_id)) return undefined
    query = query.where('event_id', '=', filters.event_id)
  }
  if (filters.event_type !== undefined) query = query.where('event_type', '=', filters.event_type)
  return query.orderBy('created_at', 'desc').orderBy('seq', 'desc').executeTakeFirst()
}

/** One resource-id condition: the event's `key` (or, for arrays, one of its items) is among `values`. */
export interface EventResourceFilter {
  key: string
  values: string[]
}

export interface EventFilters {
  eventTypes?: string[] | undefined
  eventIds?: string[] | undefined
  /** Inclusive lower bound on created_at. */
  since?: Date | undefined
  /** Exclusive bounds on created_at. */
  after?: Date | undefined
  before?: Date | undefined
  resources: EventResourceFilter[]
  limit: number
  offset: number
}

/**
 * Up to this many ids, a resource filter is a containment test per id, which the GIN
 * index on `payload` answers; a longer list is matched in one pass instead (an OR of
 * thousands of terms would exhaust the query builder and PostgreSQL's parameters).
 */
const indexedIdLimit = 100

/**
 * Newest first. Resource filters are jsonb containment tests, which the GIN index on
 * `payload` answers for every id field at once. An id also matches the plural field
 * some events carry (`access_grant_ids` on `access_method.*` events).
 */
export const listEvents = async (
  db: Executor,
  workspaceId: string,
  filters: EventFilters,
): Promise<EventRow[]> => {
  let query = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId)
  if (filters.eventTypes !== undefined) {
    if (filters.eventTypes.length === 0) return []
    query = query.where('event_type', 'in', filters.eventTypes)
  }
  if (filters.eventIds !== undefined) {
    const ids = filters.eventIds.filter(isUuid)
    if (ids.length === 0) return []
    query = query.where('event_id', 'in', ids)
  }
  if (filters.since !== undefined) query = query.where('created_at', '>=', filters.since)
  if (filters.after !== undefined) query = query.where('created_at', '>', filters.after)
  if (filters.before !== undefined) query = query.where('created_at', '<', filters.before)
  for (const { key, values } of filters.resources) {
    if (values.length === 0) return []
    query = query.where((eb) =>
      values.length <= indexedIdLimit
        ? eb.or(
            values.flatMap((value) => [
              sql<boolean>`${eb.ref('payload')} @> ${json({ [key]: value })}::jsonb`,
              sql<boolean>`${eb.ref('payload')} @> ${json({ [`${key}s`]: [value] })}::jsonb`,
            ]),
          )
        : // Beyond that, one array parameter per filter: any number of ids, one scan.
          sql<boolean>`(${eb.ref('payload')}->>${key} = any(${[...values]}::text[]) or ${eb.ref('payload')}->${`${key}s`} ?| ${[...values]}::text[])`,
    )
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(filters.limit)
    .offset(filters.offset)
    .execute()
}
