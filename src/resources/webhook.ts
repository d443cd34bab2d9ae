import type { Webhook } from '@seamapi/types/connect'
import type { WebhookRow } from '../db/schema.js'

export const toWebhook = (row: WebhookRow): Webhook => ({
  webhook_id: row.webhook_id,
  url: row.url,
  event_types: row.event_types,
  secret: row.secret,
})
