import {
  announce,
  bridgeJobsChannel,
  findBridge,
  findBridgeJob,
  insertBridgeJob,
  latestJobOfAttempt,
  updateBridgeJob,
} from '../../db/bridges.js'
import { type Executor, json } from '../../db/schema.js'
import { isBridgeOnline } from '../../domain/bridges.js'
import { newId } from '../../domain/ids.js'
import type { BridgeDispatch, BridgeJob, BridgeJobOutcome } from '../../providers/types.js'
import { jobResultSchema } from '../protocol.js'

/**
 * Runs bridge jobs for the encoder drivers, from whichever process runs the action
 * attempt: the job is written to `bridge_jobs` and announced; the process holding
 * the agent's connection sends it and stores the result; this waits for the
 * result, woken by NOTIFY, polling as a fallback. An attempt taken up again (after a
 * crash or a restart) finds its job and waits for it, or takes the result the agent
 * already gave: a card is applied once.
 *
 * An agent offline for longer than `graceMs` (a clean disconnect at once, a crashed
 * server's connection once it is stale) ends the job as `bridge_disconnected`; the
 * grace lets an agent reconnect across a server restart and hand in a result it
 * held. A reader gone ends it as `encoder_not_online`.
 */

export interface BridgeDispatchOptions {
  db: Executor
  now: () => Date
  pollMs: number
  staleMs: number
  graceMs: number
  jobTimeoutMs: number
}

export interface RunningBridgeDispatch extends BridgeDispatch {
  /** A result was stored somewhere: look again now. */
  wake(): void
}

const failure = (type: string, message: string): BridgeJobOutcome => ({
  ok: false,
  error: { type, message },
})

const outcomeOf = (stored: Record<string, unknown>): BridgeJobOutcome => {
  const parsed = jobResultSchema.safeParse(stored)
  if (!parsed.success)
    return failure('uncategorized_error', 'The bridge gave an unreadable result.')
  const result = parsed.data
  if (!result.ok) return { ok: false, error: result.error }
  return {
    ok: true,
    uid: result.uid,
    ...(result.memory !== undefined
      ? { memory: new Uint8Array(Buffer.from(result.memory, 'base64')) }
      : {}),
  }
}

export const createBridgeDispatch = (options: BridgeDispatchOptions): RunningBridgeDispatch => {
  const { db, now } = options
  const waiters = new Set<() => void>()

  /** Resolves after `ms` or at the next wake; rejects when `signal` fires. */
  const pause = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(done)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        clearTimeout(timer)
        waiters.delete(done)
        reject(signal.reason)
      }
      const timer = setTimeout(done, ms)
      waiters.add(done)
      signal.addEventListener('abort', onAbort, { once: true })
    })

  const cancel = async (jobId: string) => {
    await db.transaction().execute(async (tx) => {
      await updateBridgeJob(tx, jobId, { cancelled_at: now() })
      await announce(tx, bridgeJobsChannel)
    })
  }

  /**
   * The job of this attempt: the one it already has, or the result the agent gave,
   * or a new job. A job given up on (the attempt was stopped, then taken up again)
   * is replaced, unless its card was written all the same.
   */
  const jobFor = async (job: BridgeJob): Promise<string | BridgeJobOutcome> => {
    const existing = await latestJobOfAttempt(db, job.attemptId)
    if (existing?.result) {
      const outcome = outcomeOf(existing.result)
      if (!existing.cancelled_at || outcome.ok) return outcome
    } else if (existing && !existing.cancelled_at) {
      return existing.job_id
    }
    const jobId = newId()
    await db.transaction().execute(async (tx) => {
      await insertBridgeJob(tx, {
        job_id: jobId,
        action_attempt_id: job.attemptId,
        bridge_id: job.bridgeId,
        acs_encoder_id: job.acsEncoderId,
        reader_name: job.readerName,
        operation: job.operation,
        payload: json(
          job.operation === 'encode' ? { memory: Buffer.from(job.memory).toString('base64') } : {},
        ),
        created_at: now(),
      })
      await announce(tx, bridgeJobsChannel)
    })
    return jobId
  }

  const wait = async (
    job: BridgeJob,
    jobId: string,
    signal: AbortSignal,
  ): Promise<BridgeJobOutcome> => {
    let offlineSince: number | undefined
    for (;;) {
      const row = await findBridgeJob(db, jobId)
      if (row?.result) return outcomeOf(row.result)
      const [bridge, encoder] = await Promise.all([
        findBridge(db, job.bridgeId),
        db
          .selectFrom('acs_encoders')
          .select(['removed_at', 'display_name'])
          .where('acs_encoder_id', '=', job.acsEncoderId)
          .executeTakeFirst(),
      ])
      if (!encoder || encoder.removed_at) {
        await cancel(jobId)
        return failure(
          'encoder_not_online',
          `The reader ${encoder?.display_name ?? job.readerName} is not attached to its bridge.`,
        )
      }
      if (!bridge || !isBridgeOnline(bridge, now(), options.staleMs)) {
        offlineSince ??= Date.now()
        if (Date.now() - offlineSince >= options.graceMs) {
          await cancel(jobId)
          return failure(
            'bridge_disconnected',
            `The bridge "${bridge?.name ?? job.bridgeId}" is not connected: start keysmith bridge on its computer.`,
          )
        }
      } else {
        offlineSince = undefined
      }
      await pause(options.pollMs, signal)
    }
  }

  return {
    jobTimeoutMs: options.jobTimeoutMs,
    wake: () => {
      for (const waiter of [...waiters]) waiter()
    },
    async run(job, signal) {
      const jobId = await jobFor(job)
      if (typeof jobId !== 'string') return jobId
      try {
        return await wait(job, jobId, signal)
      } catch (error) {
        // Given up (a timeout, a shutdown): the agent stops waiting for a card.
        if (signal.aborted) await cancel(jobId).catch(() => {})
        throw error
      }
    },
  }
}
