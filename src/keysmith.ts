import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import {
  localUrl,
  newAdminToken,
  registerAdminRoutes,
  removeAdminFile,
  writeAdminFile,
} from './admin/channel.js'
import type { Config } from './config.js'
import { type Database, openDatabase } from './db/database.js'
import { deliveriesChannel } from './db/webhooks.js'
import type { DomainContext } from './domain/context.js'
import { ensureSandboxWorkspace } from './domain/workspaces.js'
import { WebhookDeliveryWorker } from './events/webhook-delivery.js'
import { ActionAttemptWorker } from './jobs/runner.js'
import { buildServer } from './server.js'

export interface RunningKeysmith {
  url: string
  database: Database
  sandbox: { workspaceId: string; apiKey?: string }
  close(): Promise<void>
}

/**
 * Opens and migrates the database, makes sure the sandbox exists, starts the
 * action-attempt worker and the webhook delivery worker (unless `runWorkers` is off)
 * and the HTTP server. `close()` stops them in reverse order.
 */
export const startKeysmith = async (config: Config): Promise<RunningKeysmith> => {
  const logger = pino({ level: config.logLevel })
  const database = await openDatabase(config)
  let ready = false
  const now = () => new Date()
  const worker = new ActionAttemptWorker({
    db: database.db,
    pollMs: config.workerPollMs,
    now,
    log: logger.child({ component: 'worker' }),
  })
  const deliveries = new WebhookDeliveryWorker({
    db: database.db,
    log: logger.child({ component: 'webhooks' }),
    now,
    pollMs: config.workerPollMs,
    timeoutMs: config.webhookTimeoutMs,
    retryScheduleMs: config.webhookRetryScheduleMs,
  })
  const ctx: DomainContext = {
    db: database.db,
    now,
    settings: {
      sandboxActionDelayMs: config.sandboxActionDelayMs,
      actionAttemptTimeoutMs: config.actionAttemptTimeoutMs,
    },
    wakeWorker: (at) => worker.wake(at),
  }
  // On the embedded database the CLI cannot open the data folder while this process
  // holds it: it sends its operations to this server instead (admin/channel.ts).
  const adminToken = database.kind === 'pglite' ? newAdminToken() : undefined
  const app = buildServer({
    ctx,
    logger,
    isReady: () => ready,
    ...(adminToken
      ? {
          extend: (server) =>
            registerAdminRoutes(server, { db: database.db, token: adminToken, now }),
        }
      : {}),
  })
  const unpublish = () => {
    if (adminToken) removeAdminFile(config.dataDir, adminToken)
  }
  try {
    const sandbox = await ensureSandboxWorkspace(database.db, {
      apiKey: config.seedApiKey,
      now: now(),
    })
    if (config.runWorkers) {
      worker.start()
      deliveries.start()
      // Deliveries are announced when their transaction commits, in any process.
      await database.listen(deliveriesChannel, () => deliveries.wake())
    } else {
      logger.info('KEYSMITH_WORKERS=off: this process serves the API and runs no background work')
    }
    const url = await app.listen({ port: config.port, host: config.host })
    if (adminToken) {
      writeAdminFile(config.dataDir, {
        url: localUrl(app.server.address() as AddressInfo),
        token: adminToken,
        pid: process.pid,
      })
    }
    ready = true
    return {
      url,
      database,
      sandbox: {
        workspaceId: sandbox.workspace.workspace_id,
        ...(sandbox.apiKey ? { apiKey: sandbox.apiKey } : {}),
      },
      close: async () => {
        ready = false
        unpublish()
        await app.close()
        await Promise.all([worker.stop(), deliveries.stop()])
        await database.close()
      },
    }
  } catch (error) {
    unpublish()
    await app.close()
    await Promise.all([worker.stop(), deliveries.stop()])
    await database.close()
    throw error
  }
}
