import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import {
  type ActionAttemptOutcome,
  claimDueActionAttempt,
  completeActionAttempt,
  lockPendingActionAttempt,
} from '../db/action-attempts.js'
import type { ActionAttemptRow, DB, Executor } from '../db/schema.js'
import { performEncoding, performScan } from '../domain/encoding.js'
import { performSandboxReset } from '../domain/workspaces.js'

/** Does the work of one action type, inside the transaction that holds the attempt. */
export type ActionHandler = (
  db: Executor,
  attempt: ActionAttemptRow,
  now: Date,
) => Promise<ActionAttemptOutcome>

export const actionHandlers: Record<string, ActionHandler> = {
  ENCODE_CREDENTIAL: performEncoding,
  ENCODE_ACCESS_METHOD: performEncoding,
  SCAN_CREDENTIAL: performScan,
  RESET_SANDBOX_WORKSPACE: performSandboxReset,
}

const expired: ActionAttemptOutcome = {
  status: 'error',
  error: {
    type: 'action_attempt_expired',
    message: 'The action was not completed in time (the server may have been restarted).',
  },
}

export interface WorkerOptions {
  db: Kysely<DB>
  pollMs: number
  now: () => Date
  log: Logger
  handlers?: Record<string, ActionHandler>
}

/**
 * Runs pending action attempts. Every process runs one; they share the work through
 * the database alone. Each attempt is claimed with FOR UPDATE SKIP LOCKED and run
 * in that same transaction, so:
 * - two processes never run the same attempt (the second skips the locked row);
 * - a crash (even kill -9) rolls the transaction back and releases the lock, and the
 *   attempt is run again by whichever process looks next;
 * - an attempt still pending past its `expires_at` ends as `action_attempt_expired`,
 *   so none stays pending forever.
 * The worker looks every `pollMs`, and right away when this process queues work.
 */
export class ActionAttemptWorker {
  readonly #options: WorkerOptions
  readonly #handlers: Record<string, ActionHandler>
  #poll: NodeJS.Timeout | undefined
  #wakeTimer: NodeJS.Timeout | undefined
  #wakeAt = Number.POSITIVE_INFINITY
  #running: Promise<void> | undefined
  #again = false
  #stopped = true

  constructor(options: WorkerOptions) {
    this.#options = options
    this.#handlers = options.handlers ?? actionHandlers
  }

  start(): void {
    this.#stopped = false
    this.#poll = setInterval(() => this.#kick(), this.#options.pollMs)
    this.#kick()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#poll)
    clearTimeout(this.#wakeTimer)
    await this.#running
  }

  /** Work becomes due at `at`: look then rather than at the next poll. */
  wake(at: Date): void {
    if (this.#stopped) return
    const delay = at.getTime() - this.#options.now().getTime()
    if (delay <= 0) {
      this.#kick()
      return
    }
    if (at.getTime() >= this.#wakeAt) return
    clearTimeout(this.#wakeTimer)
    this.#wakeAt = at.getTime()
    this.#wakeTimer = setTimeout(() => {
      this.#wakeAt = Number.POSITIVE_INFINITY
      this.#kick()
    }, delay)
  }

  #kick(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined
      if (this.#again) {
        this.#again = false
        this.#kick()
      }
    })
  }

  async #drain(): Promise<void> {
    try {
      while (!this.#stopped && (await this.runOne())) {
        // keep going while there is due work
      }
    } catch (error) {
      this.#options.log.error({ err: error }, 'action attempt worker could not reach the database')
    }
  }

  /** Claims and finishes one due attempt. Returns false when nothing was due. */
  async runOne(): Promise<boolean> {
    const { db, now, log } = this.#options
    let claimed: ActionAttemptRow | undefined
    try {
      return await db.transaction().execute(async (tx) => {
        const at = now()
        const attempt = await claimDueActionAttempt(tx, at)
        if (!attempt) return false
        claimed = attempt
        const handler = this.#handlers[attempt.action_type]
        const outcome =
          attempt.expires_at <= at
            ? expired
            : handler
              ? await handler(tx, attempt, at)
              : {
                  status: 'error' as const,
                  error: {
                    type: 'uncategorized_error',
                    message: `Unknown action type ${attempt.action_type}`,
                  },
                }
        await completeActionAttempt(tx, attempt.action_attempt_id, outcome, at)
        log.info(
          {
            action_attempt_id: attempt.action_attempt_id,
            action_type: attempt.action_type,
            status: outcome.status,
            ...(outcome.status === 'error' ? { error_type: outcome.error.type } : {}),
          },
          'action attempt finished',
        )
        return true
      })
    } catch (error) {
      if (!claimed) throw error
      // A bug in a handler must not leave the attempt pending (or retried forever).
      log.error(
        { err: error, action_attempt_id: claimed.action_attempt_id },
        'action attempt failed',
      )
      await this.#failAttempt(claimed.action_attempt_id)
      return true
    }
  }

  async #failAttempt(actionAttemptId: string): Promise<void> {
    const { db, now } = this.#options
    await db.transaction().execute(async (tx) => {
      if (!(await lockPendingActionAttempt(tx, actionAttemptId))) return
      await completeActionAttempt(
        tx,
        actionAttemptId,
        {
          status: 'error',
          error: { type: 'uncategorized_error', message: 'The action failed unexpectedly.' },
        },
        now(),
      )
    })
  }
}
