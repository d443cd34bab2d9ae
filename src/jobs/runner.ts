import { AsyncResource } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import {
  type ActionAttemptOutcome,
  claimActionAttempts,
  completeActionAttempt,
  expireUnstartedAttempts,
  type LeasedActionAttempt,
  lockLeasedAttempt,
  releaseLease,
  renewLease,
  returnUnstartedLease,
} from '../db/action-attempts.js'
import {
  Backoff,
  isConnectionFailure,
  pollReporter,
  retryWhileUnavailable,
} from '../db/availability.js'
import type { DB } from '../db/schema.js'
import {
  type ActionHandler,
  type ApplyResult,
  failed,
  type PhysicalStep,
} from '../domain/action-attempts.js'
import { assignCardHandler, scanToAssignHandler } from '../domain/card-assignment.js'
import { encodingHandler, scanHandler } from '../domain/encoding.js'
import { sandboxResetHandler } from '../domain/workspaces.js'
import type { ProviderRegistry } from '../providers/index.js'

export const actionHandlers: Record<string, ActionHandler> = {
  ENCODE_CREDENTIAL: encodingHandler,
  ENCODE_ACCESS_METHOD: encodingHandler,
  SCAN_CREDENTIAL: scanHandler,
  SCAN_TO_ASSIGN_CREDENTIAL: scanToAssignHandler,
  ASSIGN_CREDENTIAL: assignCardHandler,
  RESET_SANDBOX_WORKSPACE: sandboxResetHandler,
}

const expired = {
  type: 'action_attempt_expired',
  message:
    'The action was not started in time (the server may have been down, or the encoder busy).',
}

export interface WorkerOptions {
  db: Kysely<DB>
  providers: ProviderRegistry
  pollMs: number
  now: () => Date
  log: Logger
  /** Most attempts this process runs at once (KEYSMITH_WORKER_CONCURRENCY). */
  concurrency: number
  /**
   * How long a lease lasts without renewal (KEYSMITH_ACTION_LEASE_MS). The running
   * process renews it every third of that; one left by a crash runs out after it.
   */
  leaseMs: number
  handlers?: Record<string, ActionHandler>
  /** How long `stop()` lets running attempts finish before handing them back. */
  stopGraceMs?: number
  /** Told of every attempt this process ends (for /metrics). */
  onFinished?: (finished: FinishedAttempt) => void
  /** Takes an access system's next number on connections of its own (Database.allocateNumber). */
  allocateNumber?: ((acsSystemId: string) => Promise<number>) | undefined
}

export interface FinishedAttempt {
  actionType: string
  status: 'success' | 'error'
  errorType?: string
  /** From the request that queued it to its end. */
  durationMs: number
}

interface Running {
  done: Promise<void>
}

class LeaseLost extends Error {}

/** Rejects as soon as `signal` fires, even if `work` never settles (a hung driver). */
const untilAborted = <T>(work: Promise<T>, signal: AbortSignal): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())

/**
 * Runs action attempts as leased jobs. Every process runs one worker; they share
 * the work through the database alone.
 *
 * - A short transaction leases ready attempts (`claimActionAttempts`): at most one at
 *   a time per queue (an encoder), oldest first, up to `concurrency` in this process;
 *   at most once per poll interval it also expires attempts never started in time.
 * - Each leased attempt is prepared (reads, outside a transaction), then its
 *   physical step (the encoder's work) runs with no transaction open, under the
 *   driver's timeout (`encoder_communication_timeout`) and an AbortSignal, while the
 *   lease is renewed.
 * - Its result is applied in a second short transaction that first checks the lease
 *   token: a process that lost its lease applies nothing.
 * - A lease left by a crash runs out; the attempt is then taken up again if its step
 *   may be retried, or ends with the handler's `interrupted` outcome
 *   (`encoding_interrupted`). `stop()` hands running attempts back the same way and
 *   never waits on a hung driver.
 */
export class ActionAttemptWorker {
  readonly #options: WorkerOptions
  readonly #handlers: Record<string, ActionHandler>
  readonly #owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  readonly #inFlight = new Map<string, Running>()
  readonly #stopping = new AbortController()
  /**
   * The worker's own async context. `wake()` is called from inside requests; work
   * started there must not run in the request's context (its deadline, its logger).
   */
  readonly #context = new AsyncResource('keysmith-action-attempt-worker')
  #poll: NodeJS.Timeout | undefined
  #claiming: Promise<void> | undefined
  /** When (performance.now()) this process last swept for expired attempts. */
  #sweptAt = Number.NEGATIVE_INFINITY
  #again = false
  #stopped = true
  readonly #backoff: Backoff
  readonly #polls: ReturnType<typeof pollReporter>

  constructor(options: WorkerOptions) {
    this.#options = options
    this.#handlers = options.handlers ?? actionHandlers
    this.#backoff = new Backoff(options.pollMs, 1_000)
    this.#polls = pollReporter(this.#backoff, options.log, 'action attempt worker')
  }

  /** How many attempts this process is running now. */
  get running(): number {
    return this.#inFlight.size
  }

  start(): void {
    this.#stopped = false
    this.#poll = setInterval(() => this.wake(), this.#options.pollMs)
    this.wake()
  }

  /**
   * Stops claiming, gives running attempts `stopGraceMs` to finish, then aborts the
   * rest and hands their leases back, so another process (or the next start) takes
   * them up at once. Resolves within a bounded time whatever the drivers do.
   */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#poll)
    await this.#claiming
    const running = Promise.allSettled([...this.#inFlight.values()].map((r) => r.done))
    await Promise.race([running, pause(this.#options.stopGraceMs ?? 2_000)])
    this.#stopping.abort(new Error('the worker is stopping'))
    await Promise.race([running, pause(5_000)])
  }

  /** Work may be ready (queued here or announced by another process): claim now. */
  wake(): void {
    // After a failure to reach the database, polls pause for a growing while.
    if (this.#stopped || this.#backoff.waiting) return
    if (this.#claiming) {
      this.#again = true
      return
    }
    this.#claiming = this.#context
      .runInAsyncScope(() => this.#claim())
      .then(this.#polls.succeeded, this.#polls.failed)
      .finally(() => {
        this.#claiming = undefined
        if (this.#again) {
          this.#again = false
          this.wake()
        }
      })
  }

  async #claim(): Promise<void> {
    const { db, now, log, leaseMs, concurrency } = this.#options
    const at = now()
    // Expiring is a sweep of its own: a claim never takes an expired attempt anyway, so
    // the sweep runs once per poll interval, not on every wake (each attempt that
    // finishes wakes the worker).
    const started = performance.now()
    const sweep = started - this.#sweptAt >= this.#options.pollMs
    const room = concurrency - this.#inFlight.size
    if (!sweep && room <= 0) return
    const { ended, leased } = await db.transaction().execute(async (tx) => ({
      ended: sweep ? await expireUnstartedAttempts(tx, at, expired) : [],
      leased: await claimActionAttempts(tx, {
        now: at,
        owner: this.#owner,
        leaseUntil: new Date(at.getTime() + leaseMs),
        limit: room,
        exclude: [...this.#inFlight.keys()],
      }),
    }))
    if (sweep) this.#sweptAt = started
    for (const attempt of ended) {
      log.info(
        {
          action_attempt_id: attempt.action_attempt_id,
          action_type: attempt.action_type,
          status: 'error',
          error_type: expired.type,
        },
        'action attempt finished',
      )
      this.#options.onFinished?.({
        actionType: attempt.action_type,
        status: 'error',
        errorType: expired.type,
        durationMs: at.getTime() - attempt.created_at.getTime(),
      })
    }
    for (const lease of leased) {
      const id = lease.attempt.action_attempt_id
      const done = this.#run(lease).finally(() => {
        this.#inFlight.delete(id)
        this.wake()
      })
      this.#inFlight.set(id, { done })
    }
  }

  async #run(lease: LeasedActionAttempt): Promise<void> {
    const { db, now, log, leaseMs, providers } = this.#options
    const { attempt, leaseToken, recovering } = lease
    const id = attempt.action_attempt_id
    const leaseLost = new AbortController()
    const renewal = setInterval(
      () => {
        const until = new Date(now().getTime() + leaseMs)
        renewLease(db, id, leaseToken, until).then(
          (held) => {
            if (!held) leaseLost.abort(new LeaseLost())
          },
          // The database is unreachable: keep going; applying checks the lease anyway.
          () => {},
        )
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    )
    /** Whether the physical step began (after which the attempt is not handed back unrun). */
    let started = false
    try {
      if (this.#stopping.signal.aborted) {
        await releaseLease(db, id, leaseToken, now())
        return
      }
      const handler = this.#handlers[attempt.action_type]
      if (!handler) {
        await this.#finish(
          lease,
          failed('uncategorized_error', `Unknown action type ${attempt.action_type}`),
        )
        return
      }
      const at = now()
      // No transaction: prepare only reads (and takes a number in a statement of its
      // own), and under READ COMMITTED a transaction would give its reads no common
      // snapshot anyway; applying re-checks what may have changed.
      const prepared = await handler.prepare(db, attempt, {
        providers,
        now: at,
        allocateNumber: this.#options.allocateNumber,
      })
      if ('status' in prepared) {
        await this.#finish(lease, prepared)
        return
      }
      if (recovering && (!prepared.retryable || attempt.expires_at <= at)) {
        log.warn(
          { action_attempt_id: id },
          'action attempt was cut off midway; not running it again',
        )
        await this.#finish(lease, handler.interrupted)
        return
      }
      started = true
      const result = await this.#perform(prepared, leaseLost.signal)
      if (result === 'handed back') {
        await releaseLease(db, id, leaseToken, now())
        return
      }
      if (result === 'lease lost') {
        log.warn({ action_attempt_id: id }, 'action attempt lease was lost; another process has it')
        return
      }
      // The physical step happened: its result is kept through a database restart.
      // While the database is away the lease is renewed on its return; if another
      // process took the attempt meanwhile, applying finds the lease gone and does nothing.
      await retryWhileUnavailable(() => this.#finish(lease, result), {
        forMs: Math.max(30_000, 3 * leaseMs),
        intervalMs: 100,
        signal: this.#stopping.signal,
      })
    } catch (error) {
      if (isConnectionFailure(error)) {
        // Not a defect: the database went away. If nothing physical was done yet the
        // attempt is handed back untouched; otherwise its lease runs out and it is
        // taken up again (or ends as interrupted) like after a crash.
        log.warn(
          { err: error, action_attempt_id: id },
          'action attempt paused: the database cannot be reached',
        )
        if (!started) {
          // Its lease may run out meanwhile: this process does not claim it again while
          // it is here (another may, and then this hands back nothing).
          await retryWhileUnavailable(() => returnUnstartedLease(db, id, leaseToken, now()), {
            forMs: Math.max(30_000, 3 * leaseMs),
            intervalMs: 100,
            signal: this.#stopping.signal,
          }).catch(() => {})
        }
        return
      }
      // A bug in a handler must not leave the attempt pending (or retried forever).
      log.error({ err: error, action_attempt_id: id }, 'action attempt failed')
      await this.#finish(
        lease,
        failed('uncategorized_error', 'The action failed unexpectedly.'),
      ).catch((cause: unknown) => {
        log.error({ err: cause, action_attempt_id: id }, 'could not record the failure')
      })
    } finally {
      clearInterval(renewal)
    }
  }

  /** Runs the physical step with no transaction open, under its timeout. */
  async #perform(
    step: PhysicalStep,
    leaseLost: AbortSignal,
  ): Promise<ApplyResult | ActionAttemptOutcome | 'handed back' | 'lease lost'> {
    const timeout = AbortSignal.timeout(step.timeoutMs)
    const signal = AbortSignal.any([timeout, leaseLost, this.#stopping.signal])
    try {
      return await untilAborted(step.run(signal), signal)
    } catch (error) {
      if (this.#stopping.signal.aborted) return 'handed back'
      if (leaseLost.aborted) return 'lease lost'
      if (timeout.aborted) {
        return failed(
          'encoder_communication_timeout',
          `The encoder did not answer within ${step.timeoutMs} ms.`,
        )
      }
      throw error
    }
  }

  /** Applies a result and ends the attempt, if this process still holds its lease. */
  async #finish(
    lease: LeasedActionAttempt,
    result: ApplyResult | ActionAttemptOutcome,
  ): Promise<void> {
    const { db, now, log } = this.#options
    const { attempt, leaseToken } = lease
    const id = attempt.action_attempt_id
    const outcome = await db.transaction().execute(async (tx) => {
      if (!(await lockLeasedAttempt(tx, id, leaseToken))) return undefined
      const at = now()
      const ended = typeof result === 'function' ? await result(tx, at) : result
      await completeActionAttempt(tx, id, ended, at)
      return ended
    })
    if (!outcome) {
      log.warn({ action_attempt_id: id }, 'action attempt lease was lost; applied nothing')
      return
    }
    log.info(
      {
        action_attempt_id: id,
        action_type: attempt.action_type,
        status: outcome.status,
        ...(outcome.status === 'error' ? { error_type: outcome.error.type } : {}),
        ...(lease.recovering ? { recovered: true } : {}),
      },
      'action attempt finished',
    )
    this.#options.onFinished?.({
      actionType: attempt.action_type,
      status: outcome.status,
      ...(outcome.status === 'error' ? { errorType: outcome.error.type } : {}),
      durationMs: now().getTime() - attempt.created_at.getTime(),
    })
  }
}
