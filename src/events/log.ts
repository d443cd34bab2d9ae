import { randomUUID } from 'node:crypto'
import type { SeamEvent, SeamEventType } from '@seamapi/types/connect'
import { eventDescription } from '../contract/openapi.js'
import { insertEventWithDeliveries } from '../db/events.js'
import type { Executor } from '../db/schema.js'
import { announceDeliveries } from '../db/webhooks.js'

type EventOf<T extends SeamEventType> = Extract<SeamEvent, { event_type: T }>

/** The fields a caller supplies; ids, times and the description are filled in here. */
export type EventFields<T extends SeamEventType> = Omit<
  EventOf<T>,
  'event_id' | 'event_type' | 'workspace_id' | 'created_at' | 'occurred_at' | 'event_description'
>

/**
 * Appends an event to the workspace's log and queues its webhook deliveries. Call it
 * inside the transaction that makes the change it reports, so an event (and its
 * deliveries) exists exactly when its change does.
 */
export const recordEvent = async <T extends SeamEventType>(
  db: Executor,
  workspaceId: string,
  eventType: T,
  fields: EventFields<T>,
  now: Date,
): Promise<void> => {
  const payload = {
    event_id: randomUUID(),
    event_type: eventType,
    event_description: eventDescription(eventType),
    workspace_id: workspaceId,
    created_at: now.toISOString(),
    occurred_at: now.toISOString(),
    ...fields,
  }
  const deliveries = await insertEventWithDeliveries(db, {
    event_id: payload.event_id,
    workspace_id: workspaceId,
    event_type: eventType,
    payload,
    occurred_at: now,
    created_at: now,
  })
  if (deliveries > 0) await announceDeliveries(db)
}
