import type { WebhookDeliveryAttemptRow, WebhookDeliveryRow } from '../db/schema.js'

/** A delivery row with its webhook's URL, its event's type and every try. */
type DeliveryReport = WebhookDeliveryRow & {
  url: string
  event_type: string
  attempts: WebhookDeliveryAttemptRow[]
}

/**
 * A webhook delivery as Keysmith's own endpoint shows it (Seam has none): one event
 * sent to one webhook, with every try. `webhook_delivery_id` is the `webhook-id`
 * header every try carries.
 */
export interface WebhookDelivery {
  webhook_delivery_id: string
  webhook_id: string
  url: string
  event_id: string
  event_type: string
  status: 'pending' | 'delivered' | 'failed'
  created_at: string
  /** When the next try is due (pending deliveries only). */
  next_attempt_at: string | null
  finished_at: string | null
  attempts: {
    attempt_number: number
    attempted_at: string
    duration_ms: number
    /** The receiver's HTTP status; null when no answer came (then `error` says why). */
    status_code: number | null
    error: string | null
  }[]
}

export const toWebhookDelivery = (report: DeliveryReport): WebhookDelivery => ({
  webhook_delivery_id: report.delivery_id,
  webhook_id: report.webhook_id,
  url: report.url,
  event_id: report.event_id,
  event_type: report.event_type,
  status: report.status,
  created_at: report.created_at.toISOString(),
  next_attempt_at: report.status === 'pending' ? report.next_attempt_at.toISOString() : null,
  finished_at: report.finished_at?.toISOString() ?? null,
  attempts: report.attempts.map((attempt) => ({
    attempt_number: attempt.attempt_number,
    attempted_at: attempt.attempted_at.toISOString(),
    duration_ms: attempt.duration_ms,
    status_code: attempt.status_code,
    error: attempt.error,
  })),
})
