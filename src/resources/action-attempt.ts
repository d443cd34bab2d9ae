import type { ActionAttempt } from '@seamapi/types/connect'
import type { ActionAttemptRow } from '../db/schema.js'

/**
 * The stored result and error are already in API shape (they are written when the
 * attempt finishes); the document's union is keyed by action type and status.
 */
export const toActionAttempt = (row: ActionAttemptRow): ActionAttempt =>
  ({
    action_attempt_id: row.action_attempt_id,
    action_type: row.action_type,
    status: row.status,
    result: row.status === 'success' ? row.result : null,
    error: row.status === 'error' ? row.error : null,
  }) as ActionAttempt
