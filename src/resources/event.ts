import type { SeamEvent } from '@seamapi/types/connect'

const leading = [
  'event_id',
  'event_type',
  'event_description',
  'workspace_id',
  'created_at',
  'occurred_at',
]

/**
 * A stored event as the API returns it. jsonb does not keep key order, so the
 * identifying keys are put first again and the rest follow alphabetically.
 */
export const toEvent = (payload: Record<string, unknown>): SeamEvent => {
  const ordered: Record<string, unknown> = {}
  for (const key of leading) if (key in payload) ordered[key] = payload[key]
  for (const key of Object.keys(payload).sort()) if (!(key in ordered)) ordered[key] = payload[key]
  return ordered as SeamEvent
}
