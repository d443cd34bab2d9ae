import { randomBytes } from 'node:crypto'
import type { RouteRequestBody, Webhook } from '@seamapi/types/connect'
import { eventTypes } from '../contract/openapi.js'
import type { Executor, WebhookRow } from '../db/schema.js'
import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhookEventTypes,
} from '../db/webhooks.js'
import { toWebhook } from '../resources/webhook.js'
import { toWebhookDelivery, type WebhookDelivery } from '../resources/webhook-delivery.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`

/** Webhooks only POST to http(s) URLs. */
export const assertWebhookUrl = (url: string): void => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidInput('url must be an absolute http or https URL', 'url')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidInput(`url must use http or https, not ${parsed.protocol.replace(':', '')}`, 'url')
  }
}

/** `*` or event types the OpenAPI document names; duplicates removed. */
export const checkEventTypes = (requested: readonly string[] | undefined): string[] => {
  const types = [...new Set(requested && requested.length > 0 ? requested : ['*'])]
  const unknown = types.filter((type) => type !== '*' && !eventTypes.has(type))
  if (unknown.length > 0) {
    throw invalidInput(`Unknown event types: ${unknown.join(', ')}`, 'event_types')
  }
  return types
}

const requireWebhook = async (
  db: Executor,
  scope: WorkspaceScope,
  webhookId: string,
): Promise<WebhookRow> => {
  const row = await findWebhook(db, scope.workspace_id, webhookId)
  if (!row) throw notFound('webhook', webhookId)
  return row
}

export const createWebhook = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/webhooks/create'>,
): Promise<Webhook> => {
  assertWebhookUrl(input.url)
  const row = await insertWebhook(ctx.db, {
    webhook_id: newId(),
    workspace_id: scope.workspace_id,
    url: input.url,
    event_types: checkEventTypes(input.event_types),
    secret: generateWebhookSecret(),
    created_at: ctx.now(),
  })
  return toWebhook(row)
}

export const getWebhook = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  webhookId: string,
): Promise<Webhook> => toWebhook(await requireWebhook(ctx.db, scope, webhookId))

export const listWebhooksOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
): Promise<Webhook[]> => (await listWebhooks(ctx.db, scope.workspace_id)).map(toWebhook)

/** New event types apply to events recorded from now on. */
export const updateWebhook = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/webhooks/update'>,
): Promise<void> => {
  const row = await requireWebhook(ctx.db, scope, input.webhook_id)
  await updateWebhookEventTypes(ctx.db, row.webhook_id, checkEventTypes(input.event_types))
}

/** Deleting a webhook drops its queued deliveries too. */
export const removeWebhook = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  webhookId: string,
): Promise<void> => {
  const row = await requireWebhook(ctx.db, scope, webhookId)
  await deleteWebhook(ctx.db, row.webhook_id)
}

/** The most deliveries one call of `/_keysmith/webhook_deliveries/list` returns. */
export const maxDeliveriesListed = 100

/**
 * The workspace's webhook deliveries, newest first, each with every try (Keysmith's
 * own endpoint: Seam's API has none). A webhook of another workspace is not found.
 */
export const listWebhookDeliveries = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: {
    webhook_id?: string | undefined
    status?: 'pending' | 'delivered' | 'failed' | undefined
    limit?: number | undefined
  },
): Promise<WebhookDelivery[]> => {
  if (input.webhook_id !== undefined) await requireWebhook(ctx.db, scope, input.webhook_id)
  const reports = await listDeliveries(ctx.db, {
    workspace_id: scope.workspace_id,
    webhook_id: input.webhook_id,
    status: input.status,
    limit: input.limit ?? 50,
  })
  return reports.map(toWebhookDelivery)
}
