import { type Kysely, sql } from 'kysely'

/**
 * Action attempts become leased jobs (see src/jobs/runner.ts). `queue_key` names
 * the queue an attempt waits in (an encoder: one card lies on it, so one attempt at
 * a time); the lease columns say which process runs it and until when, and
 * `lease_token` fences a process whose lease ran out from applying anything.
 * `run_count` tells a first run from the recovery of one cut off by a crash.
 */
const statements = [
  `alter table action_attempts add column queue_key text`,
  `alter table action_attempts add column lease_owner text`,
  `alter table action_attempts add column lease_token uuid`,
  `alter table action_attempts add column lease_expires_at timestamptz`,
  `alter table action_attempts add column started_at timestamptz`,
  `alter table action_attempts add column run_count integer not null default 0`,
  // Attempts queued before this migration wait in their encoder's queue too.
  `update action_attempts set queue_key = 'acs_encoder:' || (input->>'acs_encoder_id')
    where status = 'pending' and input->>'acs_encoder_id' is not null`,
  `create index action_attempts_queue on action_attempts (queue_key, created_at, action_attempt_id)
    where status = 'pending'`,
  `create index action_attempts_claimable on action_attempts (created_at, action_attempt_id)
    where status = 'pending'`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
