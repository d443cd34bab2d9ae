import { z } from 'zod'
import type { DomainContext, WorkspaceScope } from '../domain/context.js'
import { DomainError } from '../domain/errors.js'
import { listWebhookDeliveries, maxDeliveriesListed } from '../domain/webhooks.js'
import type { RoutePath } from './route.js'

/**
 * Keysmith's own endpoints beside Seam's, under `/_keysmith/`: what a self-hosted
 * deployment can show that Seam's API has no endpoint for. Each takes the credentials
 * of the Seam endpoint it extends, runs like every route (deadline, rate limit),
 * answers in Seam's shapes (`{ <resources>: [...], ok: true }`, errors as everywhere)
 * and is left out of `/openapi.json`, which stays Seam's document.
 */
export interface ExtensionRoute {
  path: `/_keysmith/${string}`
  /** The Seam endpoint whose credentials it accepts. */
  extends: RoutePath
  handle(request: {
    ctx: DomainContext
    scope: WorkspaceScope
    body: unknown
  }): Promise<Record<string, unknown>>
}

/** zod's first problem as the API's `invalid_input`. */
const invalid = (error: z.ZodError): DomainError => {
  const issue = error.issues[0]
  const parameter = issue?.path[0] !== undefined ? String(issue.path[0]) : undefined
  const message = issue?.message ?? 'Invalid input'
  return new DomainError(
    'invalid_input',
    'invalid_input',
    `Invalid input: ${parameter ? `${parameter}: ` : ''}${message}`,
    parameter ? { _errors: [], [parameter]: { _errors: [message] } } : { _errors: [message] },
  )
}

const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const parsed = schema.safeParse(body ?? {})
  if (!parsed.success) throw invalid(parsed.error)
  return parsed.data
}

const deliveriesQuery = z
  .object({
    webhook_id: z.string().uuid().optional(),
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.number().int().min(1).max(maxDeliveriesListed).optional(),
  })
  .strict()

export const extensionRoutes: readonly ExtensionRoute[] = [
  {
    // `{ webhook_id?, status?, limit? }`: the workspace's webhook deliveries, newest
    // first, each with every try.
    path: '/_keysmith/webhook_deliveries/list',
    extends: '/webhooks/list',
    handle: async ({ ctx, scope, body }) => ({
      webhook_deliveries: await listWebhookDeliveries(ctx, scope, parse(deliveriesQuery, body)),
    }),
  },
]
