import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'

/**
 * Real cards (issue 8): access systems Keysmith runs itself, reached through bridge
 * agents at the front desk.
 * - `acs_system_secrets`: a system's secret (its card-signing key), sealed with
 *   AES-256-GCM under the deployment's `acs_system_secrets` key (made here once, or
 *   KEYSMITH_SECRETS_KEY); only the system's encoder driver sees it opened.
 * - `bridges`: one per agent; the pairing code and the token are stored as hashes.
 *   The connection state is written by the process holding the agent's WebSocket
 *   (`last_seen_at` at every heartbeat), so any process can tell whether it is online.
 * - `bridge_jobs`: encodes and scans on a bridge's readers: the process that runs
 *   the action attempt writes the job, the process holding the connection sends it
 *   and stores the agent's result once. An attempt taken up again finds its job and
 *   its result (so it applies nothing twice); only a job given up on is replaced.
 * - encoders learn which bridge and reader they are, and when they disappeared;
 *   entrances get the provider data a system keeps of them (a door number).
 */
const statements = [
  `alter table acs_entrances add column provider_data jsonb not null default '{}'::jsonb`,
  `create table acs_system_secrets (
    acs_system_id uuid primary key references acs_systems on delete cascade,
    sealed text not null,
    created_at timestamptz not null
  )`,
  `create table bridges (
    bridge_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    name text not null,
    pairing_code_hash text unique,
    pairing_expires_at timestamptz,
    token_hash text unique,
    paired_at timestamptz,
    agent_version text,
    driver text,
    connection_owner text,
    connected_at timestamptz,
    disconnected_at timestamptz,
    last_seen_at timestamptz,
    created_at timestamptz not null
  )`,
  `create index bridges_system on bridges (acs_system_id, created_at)`,
  `alter table acs_encoders add column bridge_id uuid references bridges on delete set null`,
  `alter table acs_encoders add column reader_name text`,
  `alter table acs_encoders add column removed_at timestamptz`,
  `create unique index acs_encoders_reader on acs_encoders (bridge_id, reader_name)`,
  `create table bridge_jobs (
    job_id uuid primary key,
    action_attempt_id uuid not null,
    bridge_id uuid not null references bridges on delete cascade,
    acs_encoder_id uuid not null,
    reader_name text not null,
    operation text not null,
    payload jsonb not null,
    result jsonb,
    created_at timestamptz not null,
    completed_at timestamptz,
    cancelled_at timestamptz
  )`,
  `create index bridge_jobs_attempt on bridge_jobs (action_attempt_id, created_at)`,
  `create index bridge_jobs_open on bridge_jobs (bridge_id, created_at) where completed_at is null`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
  const key = randomBytes(32).toString('base64')
  await sql`insert into server_secrets (name, value) values ('acs_system_secrets', ${key})`.execute(
    db,
  )
}
