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
import { actionAttemptsChannel, releaseAllLeases } from './db/action-attempts.js'
import { type Database, openDatabase } from './db/database.js'
import { deliveriesChannel } from './db/webhooks.js'
import type { DomainContext } from './domain/context.js'
import { ensureSandboxWorkspace } from './domain/workspaces.js'
import { WebhookDeliveryWorker } from './events/webhook-delivery.js'
import { ActionAttemptWorker } from './jobs/runner.js'
import { createProviderRegistry } from './providers/index.js'
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
  const providers = createProviderRegistry({ sandboxActionDelayMs: config.sandboxActionDelayMs })
  const worker = new ActionAttemptWorker({
    db: database.db,
    providers,
    pollMs: config.workerPollMs,
    now,
    log: logger.child({ component: 'worker' }),
    concurrency: config.workerConcurrency,
    leaseMs: config.actionLeaseMs,
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
    providers,
    settings: {
      actionAttemptTimeoutMs: config.actionAttemptTimeoutMs,
      rateLimit: config.rateLimit,
    },
    wakeWorker: () => worker.wake(),
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
    // Only one process can open the embedded database: a lease found there was left
    // by a process that is gone, so its attempts are taken up at once.
    if (database.kind === 'pglite') await releaseAllLeases(database.db, now())
    if (config.runWorkers) {
      await database.listen(actionAttemptsChannel, () => worker.wake())
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
