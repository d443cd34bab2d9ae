import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { Webhook } from 'standardwebhooks'
import {
  Backoff,
  isConnectionFailure,
  pollReporter,
  retryWhileUnavailable,
} from '../db/availability.js'
import type { DB } from '../db/schema.js'
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  recordDeliveryAttempt,
} from '../db/webhooks.js'
import { toEvent } from '../resources/event.js'
import { retryDelayAfter } from './retry-schedule.js'

export interface DeliveryWorkerOptions {
  db: Kysely<DB>
  log: Logger
  now: () => Date
  pollMs: number
  timeoutMs: number
  retryScheduleMs: readonly number[]
  /** Most deliveries this process sends at once (one per webhook at a time). */
  maxInFlight?: number
}

/** The headers of the Standard Webhooks scheme, which `@seamapi/webhook` verifies. */
export const signedHeaders = (
  secret: string,
  messageId: string,
  body: string,
  at: Date,
): Record<string, string> => ({
  'content-type': 'application/json',
  'webhook-id': messageId,
  'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  'webhook-signature': new Webhook(secret).sign(messageId, at, body),
})

/**
 * Sends queued webhook deliveries. Every process runs one; they share the queue
 * through the database. A short transaction leases due deliveries, the HTTP POSTs
 * happen outside any transaction (a slow receiver never holds the database), and a
 * second short transaction records each try and schedules the next one.
 *
 * Each webhook has at most one delivery in flight, and claiming never waits for
 * sends to finish, so a slow or dead receiver delays only its own queue.
 */
export class WebhookDeliveryWorker {
  readonly #options: DeliveryWorkerOptions
  readonly #inFlight = new Map<string, Promise<void>>()
  readonly #stopping = new AbortController()
  #poll: NodeJS.Timeout | undefined
  #claiming = false
  #again = false
  #stopped = true
  readonly #backoff: Backoff
  readonly #polls: ReturnType<typeof pollReporter>

  constructor(options: DeliveryWorkerOptions) {
    this.#options = options
    this.#backoff = new Backoff(options.pollMs, 1_000)
    this.#polls = pollReporter(this.#backoff, options.log, 'webhook delivery worker')
  }

  start(): void {
    this.#stopped = false
    this.#poll = setInterval(() => this.wake(), this.#options.pollMs)
    this.wake()
  }

  /**
   * Stops claiming and gives sends in flight a moment to finish. Any still running
   * are abandoned: their leases run out and they are sent again (at least once).
   */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#poll)
    const pending = Promise.allSettled(this.#inFlight.values())
    const grace = new Promise((resolve) => setTimeout(resolve, 2_000).unref())
    await Promise.race([pending, grace])
    this.#stopping.abort()
    await pending
  }

  /** New deliveries may be due: claim now rather than at the next poll. */
  wake(): void {
    // After a failure to reach the database, polls pause for a growing while.
    if (this.#stopped || this.#backoff.waiting) return
    if (this.#claiming) {
      this.#again = true
      return
    }
    this.#claiming = true
    this.#claim()
      .then(this.#polls.succeeded, this.#polls.failed)
      .finally(() => {
        this.#claiming = false
        if (this.#again) {
          this.#again = false
          this.wake()
        }
      })
  }

  async #claim(): Promise<void> {
    const { db, now, timeoutMs, maxInFlight = 50 } = this.#options
    const room = maxInFlight - this.#inFlight.size
    if (room <= 0) return
    const at = now()
    const deliveries = await db.transaction().execute((tx) =>
      claimDueDeliveries(tx, {
        now: at,
        // The lease outlives the request's timeout, so only a crash lets it run out.
        leaseUntil: new Date(at.getTime() + timeoutMs + 5_000),
        leaseToken: randomUUID(),
        limit: room,
      }),
    )
    for (const delivery of deliveries) {
      const sending = this.#send(delivery).finally(() => {
        this.#inFlight.delete(delivery.delivery_id)
        this.wake()
      })
      this.#inFlight.set(delivery.delivery_id, sending)
    }
  }

  async #send(delivery: ClaimedDelivery): Promise<void> {
    const { db, log, now, timeoutMs, retryScheduleMs } = this.#options
    const attemptNumber = delivery.attempt_count + 1
    const body = JSON.stringify(toEvent(delivery.payload))
    const startedAt = now()
    let statusCode: number | null = null
    let error: string | null = null
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: signedHeaders(delivery.secret, delivery.delivery_id, body, startedAt),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#stopping.signal]),
      })
      statusCode = response.status
      await response.body?.cancel()
      if (!response.ok) error = `the receiver answered ${response.status}`
    } catch (cause) {
      error =
        cause instanceof Error && cause.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : `could not reach the receiver: ${describe(cause)}`
    }
    if (this.#stopping.signal.aborted) return
    const finishedAt = now()
    const delay = retryDelayAfter(retryScheduleMs, attemptNumber)
    const outcome: AttemptOutcome =
      error === null
        ? { status: 'delivered' }
        : delay === undefined
          ? { status: 'failed' }
          : { status: 'pending', next_attempt_at: new Date(finishedAt.getTime() + delay) }
    // The try happened: it is recorded through a database restart (if the lease ran
    // out and another process resent it meanwhile, recording finds it gone).
    const record = () =>
      db.transaction().execute((tx) =>
        recordDeliveryAttempt(
          tx,
          {
            delivery_id: delivery.delivery_id,
            lease_token: delivery.lease_token,
            attempt_number: attemptNumber,
            attempted_at: startedAt,
            duration_ms: finishedAt.getTime() - startedAt.getTime(),
            status_code: statusCode,
            error,
          },
          outcome,
        ),
      )
    let recorded: boolean
    try {
      recorded = await retryWhileUnavailable(record, {
        forMs: 30_000,
        intervalMs: 100,
        signal: this.#stopping.signal,
      })
    } catch (cause) {
      if (!isConnectionFailure(cause)) throw cause
      log.warn(
        { delivery_id: delivery.delivery_id, err: cause },
        'could not record a webhook delivery: the database cannot be reached; it is sent again when its lease runs out',
      )
      return
    }
    const fields = {
      delivery_id: delivery.delivery_id,
      webhook_id: delivery.webhook_id,
      attempt: attemptNumber,
      status: outcome.status,
      ...(statusCode !== null ? { status_code: statusCode } : {}),
      ...(error ? { error } : {}),
    }
    if (!recorded) log.warn(fields, 'webhook delivery lease was lost; another process resends it')
    else if (outcome.status === 'failed') log.warn(fields, 'webhook delivery failed for good')
    else if (error) log.info(fields, 'webhook delivery failed; will retry')
    else log.debug(fields, 'webhook delivered')
  }
}

const describe = (cause: unknown): string => {
  if (!(cause instanceof Error)) return String(cause)
  const inner = (cause as { cause?: unknown }).cause
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message
}
