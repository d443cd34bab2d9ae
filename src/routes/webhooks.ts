import {
  createWebhook,
  getWebhook,
  listWebhooksOf,
  removeWebhook,
  updateWebhook,
} from '../domain/webhooks.js'
import { route } from '../http/route.js'

/** Webhooks; delivery itself is in events/webhook-delivery.ts. */
export const webhookRoutes = [
  route('/webhooks/create', async ({ ctx, scope, input }) => ({
    webhook: await createWebhook(ctx, scope, input),
  })),

  route('/webhooks/get', async ({ ctx, scope, input }) => ({
    webhook: await getWebhook(ctx, scope, input.webhook_id),
  })),

  route('/webhooks/list', async ({ ctx, scope }) => ({
    webhooks: await listWebhooksOf(ctx, scope),
  })),

  route('/webhooks/update', async ({ ctx, scope, input }) => {
    await updateWebhook(ctx, scope, input)
    return {}
  }),

  route('/webhooks/delete', async ({ ctx, scope, input }) => {
    await removeWebhook(ctx, scope, input.webhook_id)
    return {}
  }),
]
