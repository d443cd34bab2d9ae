import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import pinoPretty from 'pino-pretty'
import { localUrl, newAdminToken, removeAdminFile, writeAdminFile } from './admin/channel.js'
import { registerAdminRoutes } from './admin/routes.js'
import { createBridgeDispatch } from './bridge/server/dispatch.js'
import { BridgeHub } from './bridge/server/hub.js'
import type { Config } from './config.js'
import { warmUpContracts } from './contract/validation.js'
import { actionAttemptsChannel, releaseAllLeases } from './db/action-attempts.js'
import { bridgeJobsChannel, bridgeResultsChannel } from './db/bridges.js'
import { type Database, openDatabase } from './db/database.js'
import { deliveriesChannel } from './db/webhooks.js'
import { authChannel } from './db/workspaces.js'
import { AuthCache } from './domain/auth-cache.js'
import { CatalogCache, catalogChannel } from './domain/catalog-cache.js'
import type { DomainContext } from './domain/context.js'
import { ensureSandboxWorkspace } from './domain/workspaces.js'
import { WebhookDeliveryWorker } from './events/webhook-delivery.js'
import { ActionAttemptWorker } from './jobs/runner.js'
import { createMetrics } from './observability/metrics.js'
import { PortInUseError } from './port-in-use.js'
import { createProviderRegistry } from './providers/index.js'
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
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true)
  const logger = pretty
    ? pino(
        { level: config.logLevel },
        pinoPretty({
          colorize: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,reqId',
          singleLine: true,
        }),
      )
    : pino({ level: config.logLevel })
  // A statement outliving the request deadline by this margin is cancelled.
  const database = await openDatabase({
    ...config,
    statementTimeoutMs: config.requestTimeoutMs + Math.min(5_000, config.requestTimeoutMs),
    // PostgreSQL may be starting beside this process (a machine booting, a compose file).
    waitForDatabaseMs: config.databaseWaitMs,
    onWaiting: (error, retryInMs) =>
      logger.warn(
        { err: error, retry_in_ms: retryInMs },
        'waiting for the database to accept connections',
      ),
  })
  let ready = false
  let draining = false
  let workersRunning = false
  const now = () => new Date()
  const bridgeStaleMs = 3 * config.bridgeHeartbeatMs
  const bridgeDispatch = createBridgeDispatch({
    db: database.db,
    now,
    pollMs: config.workerPollMs,
    staleMs: bridgeStaleMs,
    graceMs: config.bridgeGraceMs,
    jobTimeoutMs: config.bridgeJobTimeoutMs,
  })
  const hub = new BridgeHub({
    db: database.db,
    log: logger.child({ component: 'bridges' }),
    now,
    heartbeatMs: config.bridgeHeartbeatMs,
    jobMaxAgeMs: config.bridgeJobTimeoutMs + config.actionLeaseMs,
  })
  const providers = createProviderRegistry({
    sandboxActionDelayMs: config.sandboxActionDelayMs,
    bridges: bridgeDispatch,
  })
  const metrics = createMetrics(database)
  const worker = new ActionAttemptWorker({
    onFinished: (finished) => metrics.attemptFinished(finished),
    db: database.db,
    providers,
    pollMs: config.workerPollMs,
    now,
    log: logger.child({ component: 'worker' }),
    concurrency: config.workerConcurrency,
    leaseMs: config.actionLeaseMs,
    allocateNumber: database.allocateNumber,
  })
  const deliveries = new WebhookDeliveryWorker({
    db: database.db,
    log: logger.child({ component: 'webhooks' }),
    now,
    pollMs: config.workerPollMs,
    timeoutMs: config.webhookTimeoutMs,
    retryScheduleMs: config.webhookRetryScheduleMs,
  })
  const authCache = new AuthCache()
  const catalogCache = new CatalogCache()
  // A change this process commits is forgotten before it answers, not when its own
  // notification comes back (db/catalog-watch.ts).
  database.catalogWatch.onChange = () => catalogCache.invalidate()
  const ctx: DomainContext = {
    db: database.db,
    now,
    providers,
    settings: {
      actionAttemptTimeoutMs: config.actionAttemptTimeoutMs,
      rateLimit: config.rateLimit,
      bridgeStaleMs,
    },
    authCache,
    catalogCache,
    allocateNumber: database.allocateNumber,
    wakeWorker: () => worker.wake(),
  }
  // On the embedded database the CLI cannot open the data folder while this process
  // holds it: it sends its operations to this server instead (admin/channel.ts).
  const adminToken = database.kind === 'pglite' ? newAdminToken() : undefined
  const unpublish = () => {
    if (adminToken) removeAdminFile(config.dataDir, adminToken)
  }
  const app = buildServer({
    ctx,
    logger,
    isReady: () => ready,
    extend: (server) => {
      metrics.register(server)
      hub.registerRoutes(server)
      if (adminToken) registerAdminRoutes(server, { db: database.db, token: adminToken, now })
    },
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
  let sandboxApiKey: string | undefined
  try {
    const sandbox = await ensureSandboxWorkspace(database.db, {
      apiKey: config.seedApiKey,
      now: now(),
      providers,
    })
    sandboxApiKey = sandbox.apiKey
    // Only one process can open the embedded database: a lease found there was left
    // by a process that is gone, so its attempts are taken up at once.
    if (database.kind === 'pglite') await releaseAllLeases(database.db, now())
    if (config.runWorkers) {
      await database.listen(actionAttemptsChannel, () => worker.wake())
      worker.start()
      deliveries.start()
      workersRunning = true
      // Deliveries are announced when their transaction commits, in any process.
      await database.listen(deliveriesChannel, () => deliveries.wake())
      await database.listen(bridgeResultsChannel, () => bridgeDispatch.wake())
    } else {
      logger.info('KEYSMITH_WORKERS=off: this process serves the API and runs no background work')
    }
    // Credential lookups are kept in the process while it hears every change to them.
    await database.listen(
      authChannel,
      () => authCache.invalidate(),
      () => {
        authCache.disable()
        logger.warn(
          'lost the LISTEN connection: credential lookups are not cached until it is back',
        )
      },
      // Listening again (the missed notifications were made up for by an invalidation).
      () => {
        authCache.invalidate()
        authCache.enable()
      },
    )
    authCache.enable()
    // Access systems, entrances and encoders too (migrations 0013 and 0014's triggers
    // announce every change to them).
    await database.listen(
      catalogChannel,
      () => catalogCache.invalidate(),
      () => catalogCache.disable(),
      () => {
        catalogCache.invalidate()
        catalogCache.enable()
      },
    )
    catalogCache.enable()
    // Bridge agents connect to every process (API-only ones too): jobs reach them
    // from any process through bridge_jobs.
    await database.listen(bridgeJobsChannel, () => void hub.deliverJobs())
    hub.attach(app.server)
    const url = await app.listen({ port: config.port, host: config.host }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError(config.port, config.host, sandboxApiKey)
      }
      throw error
    })
    if (adminToken) {
      writeAdminFile(config.dataDir, {
        url: localUrl(app.server.address() as AddressInfo),
        token: adminToken,
        pid: process.pid,
      })
    }
    ready = true
    // Request validators compile on first use; the rest now, in the background.
    warmUpContracts()
    return {
      url,
      database,
      sandbox: {
        workspaceId: sandbox.workspace.workspace_id,
        ...(sandbox.apiKey ? { apiKey: sandbox.apiKey } : {}),
      },
      close: async () => {
        logger.info('shutting down: draining in-flight requests, then stopping the workers')
        ready = false
        unpublish()
        draining = true
        // Fastify stops listening, closes idle connections and waits for in-flight
        // requests; the onRequest hook answers anything new with 503.
        await hub.close()
        await app.close()
        await Promise.all([worker.stop(), deliveries.stop()])
        workersRunning = false
        await database.close()
        logger.info('stopped')
      },
    }
  } catch (error) {
    unpublish()
    await hub.close()
    await app.close()
    await Promise.all([worker.stop(), deliveries.stop()])
    await database.close()
    throw error
  }
}
