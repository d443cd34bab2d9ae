import type { RouteRequestBody, SeamEvent } from '@seamapi/types/connect'
import { type EventResourceFilter, findEvent, listEvents } from '../db/events.js'
import { toEvent } from '../resources/event.js'
import { reachesRecord } from './client-session-scope.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { invalidInput, notFound } from './errors.js'
import { parseTime } from './time.js'

type ListInput = RouteRequestBody<'/events/list'>

/** Singular and plural id filters of /events/list, by the event property they match. */
const resourceFilters: [keyof ListInput, keyof ListInput | undefined, string][] = [
  ['acs_system_id', 'acs_system_ids', 'acs_system_id'],
  ['acs_credential_id', undefined, 'acs_credential_id'],
  ['acs_user_id', undefined, 'acs_user_id'],
  ['acs_encoder_id', undefined, 'acs_encoder_id'],
  ['acs_entrance_id', undefined, 'acs_entrance_id'],
  ['acs_access_group_id', undefined, 'acs_access_group_id'],
  ['connected_account_id', undefined, 'connected_account_id'],
  ['connect_webview_id', undefined, 'connect_webview_id'],
  ['device_id', 'device_ids', 'device_id'],
  ['access_code_id', 'access_code_ids', 'access_code_id'],
  ['access_grant_id', 'access_grant_ids', 'access_grant_id'],
  ['access_method_id', 'access_method_ids', 'access_method_id'],
  ['space_id', 'space_ids', 'space_id'],
  ['user_identity_id', undefined, 'user_identity_id'],
]

const idsOf = (input: ListInput, key: keyof ListInput | undefined): string[] | undefined => {
  if (key === undefined) return undefined
  const value = input[key]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

/**
 * The workspace's events, newest first. As Seam documents, a time range is
 * required: `since` (inclusive) or `between` (exclusive on both ends).
 */
export const listEventsOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: ListInput,
): Promise<SeamEvent[]> => {
  if (input.since === undefined && input.between === undefined) {
    throw invalidInput('Provide since or between to choose the events to list', 'since')
  }
  const [after, before] = (input.between ?? []).map((value) => parseTime(value, 'between'))
  if (after && before && before <= after) {
    throw invalidInput('between must list the earlier time first', 'between')
  }
  const resources: EventResourceFilter[] = []
  for (const [singular, plural, key] of resourceFilters) {
    const values = [...(idsOf(input, singular) ?? []), ...(idsOf(input, plural) ?? [])]
    if (input[singular] !== undefined || (plural && input[plural] !== undefined)) {
      resources.push({ key, values })
    }
  }
  const eventTypes =
    input.event_type !== undefined || input.event_types !== undefined
      ? [...(input.event_type ? [input.event_type] : []), ...(input.event_types ?? [])]
      : undefined
  const limit = Math.max(1, Math.min(Math.floor(input.limit ?? 500), 1000))
  const offset = Math.max(0, Math.floor(input.unstable_offset ?? 0))
  const filters = {
    eventTypes,
    eventIds: input.event_ids,
    since: input.since !== undefined ? parseTime(input.since, 'since') : undefined,
    after,
    before,
    resources,
  }
  if (!scope.reach) {
    const rows = await listEvents(ctx.db, scope.workspace_id, { ...filters, limit, offset })
    return rows.map((row) => toEvent(row.payload))
  }
  // A client session: only events about what it reaches (client-session-scope.ts),
  // read in batches until `offset + limit` visible events are found.
  const visible: SeamEvent[] = []
  const batch = 1000
  // At most 20,000 events are read: a session sees recent events about its guest.
  for (let skip = 0; visible.length < offset + limit && skip < 20 * batch; skip += batch) {
    const rows = await listEvents(ctx.db, scope.workspace_id, {
      ...filters,
      limit: batch,
      offset: skip,
    })
    for (const row of rows) {
      if (reachesRecord(scope, row.payload)) visible.push(toEvent(row.payload))
    }
    if (rows.length < batch) break
  }
  return visible.slice(offset, offset + limit)
}

export const getEvent = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/events/get'>,
): Promise<SeamEvent> => {
  if (input.event_id === undefined && input.event_type === undefined) {
    throw invalidInput('Provide event_id (or event_type) of the event to get', 'event_id')
  }
  // Keysmith has no devices: no event matches a device_id.
  const row =
    input.device_id === undefined
      ? await findEvent(ctx.db, scope.workspace_id, {
          event_id: input.event_id,
          event_type: input.event_type,
        })
      : undefined
  if (!row || !reachesRecord(scope, row.payload)) throw notFound('event', input.event_id)
  return toEvent(row.payload)
}
