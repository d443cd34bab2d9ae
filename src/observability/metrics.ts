import type { FastifyInstance } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Database } from '../db/database.js'
import { countUnsettledDeliveries } from '../db/webhooks.js'
import type { FinishedAttempt } from '../jobs/runner.js'

/**
 * `GET /metrics`, in Prometheus' text format (prom-client): requests by route and
 * status with their latency, action attempts by type and outcome with their
 * duration, the webhook queue (pending and failed deliveries, read from the
 * database at each scrape, so every process reports the shared queue), the database
 * pool, and the process itself (memory, CPU, event loop). Figures are per process:
 * scrape each one.
 */

const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const attemptSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export interface Metrics {
  /** Serves `/metrics` and counts every request `app` answers. */
  register(app: FastifyInstance): void
  attemptFinished(finished: FinishedAttempt): void
}

export const createMetrics = (database: Database): Metrics => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'keysmith_' })
  const requests = new Counter({
    name: 'keysmith_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'keysmith_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: seconds,
    registers: [registry],
  })
  const attempts = new Counter({
    name: 'keysmith_action_attempts_total',
    help: 'Action attempts this process ended, by type, status and error type',
    labelNames: ['action_type', 'status', 'error_type'],
    registers: [registry],
  })
  const attemptDuration = new Histogram({
    name: 'keysmith_action_attempt_duration_seconds',
    help: 'From the request that queued an action attempt to its end, by type and status',
    labelNames: ['action_type', 'status'],
    buckets: attemptSeconds,
    registers: [registry],
  })
  new Gauge({
    name: 'keysmith_webhook_deliveries',
    help: 'Webhook deliveries in the database, by status (pending: the queue; failed: given up)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      // While the database is away /metrics still answers (an outage is when it is
      // read most), with the figures last read.
      const counts = await countUnsettledDeliveries(database.db).catch(() => undefined)
      if (!counts) return
      this.reset()
      for (const status of ['pending', 'failed'] as const) this.set({ status }, counts[status])
    },
  })
  new Gauge({
    name: 'keysmith_db_pool_connections',
    help: 'Database connections of this process, by state (in_use, idle, waiting: requests queued for one)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { total, idle, waiting } = database.poolStats()
      this.set({ state: 'in_use' }, total - idle)
      this.set({ state: 'idle' }, idle)
      this.set({ state: 'waiting' }, waiting)
    },
  })

  return {
    register(app) {
      app.addHook('onResponse', async (request, reply) => {
        // The route's pattern, not the URL: a bounded set of labels.
        const route = request.routeOptions.url ?? 'unmatched'
        const labels = { route, method: request.method, status: String(reply.statusCode) }
        requests.inc(labels)
        latency.observe(labels, reply.elapsedTime / 1000)
      })
      app.get('/metrics', async (_request, reply) => {
        reply.header('content-type', registry.contentType)
        return registry.metrics()
      })
    },
    attemptFinished({ actionType, status, errorType, durationMs }) {
      attempts.inc({ action_type: actionType, status, error_type: errorType ?? '' })
      attemptDuration.observe({ action_type: actionType, status }, durationMs / 1000)
    },
  }
}
