import { pino } from 'pino'
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
  /**
   * Drains: stops accepting connections, answers new requests on open ones with
   * 503, lets in-flight requests finish, then stops the workers and the database.
   */
  close(): Promise<void>
}

/** How long /ready waits for the database before calling it unreachable. */
const readinessTimeoutMs = 2_000

const withinTime = async <T>(ms: number, work: Promise<T>, fallback: T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
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
  let draining = false
  let workersRunning = false
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
  const app = buildServer({
    ctx,
    logger,
    isReady: () => ready,
    isDraining: () => draining,
    readiness: async () => {
      const dbCheck = await withinTime(readinessTimeoutMs, database.check(), {
        reachable: false,
        migrated: false,
      })
      const workers = !config.runWorkers ? 'off' : workersRunning ? 'running' : 'stopped'
      const checks = {
        database: dbCheck.reachable ? 'reachable' : 'unreachable',
        migrations: dbCheck.migrated ? 'applied' : 'pending',
        workers,
      }
      return {
        ready: ready && !draining && dbCheck.reachable && dbCheck.migrated && workers !== 'stopped',
        checks: { ...checks, ...(draining ? { server: 'draining' } : {}) },
      }
    },
    timeouts: {
      requestMs: config.requestTimeoutMs,
      headersMs: config.headersTimeoutMs,
      keepAliveMs: config.keepAliveTimeoutMs,
    },
  })
  try {
    const sandbox = await ensureSandboxWorkspace(database.db, {
      apiKey: config.seedApiKey,
      now: now(),
    })
    if (config.runWorkers) {
      worker.start()
      deliveries.start()
      workersRunning = true
      // Deliveries are announced when their transaction commits, in any process.
      await database.listen(deliveriesChannel, () => deliveries.wake())
    } else {
      logger.info('KEYSMITH_WORKERS=off: this process serves the API and runs no background work')
    }
    const url = await app.listen({ port: config.port, host: config.host })
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
        draining = true
        // Fastify stops listening, closes idle connections and waits for in-flight
        // requests; the onRequest hook answers anything new with 503.
        await app.close()
        await Promise.all([worker.stop(), deliveries.stop()])
        workersRunning = false
        await database.close()
      },
    }
  } catch (error) {
    await app.close()
    await Promise.all([worker.stop(), deliveries.stop()])
    await database.close()
    throw error
  }
}
