import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'

/**
 * Publishable keys and client sessions (issue 9), the connected accounts' settings
 * /connected_accounts/update changes, and the token buckets of the rate limit.
 *
 * Publishable keys are stored as sha256 hashes. A client session's token is never
 * stored either: it is an HMAC of the session id under the deployment's secret
 * (`server_secrets`, made here once), so /client_sessions/get can answer it, as the
 * document requires, while the table holds only its hash for the lookup.
 */
const statements = [
  `create table server_secrets (
    name text primary key,
    value text not null
  )`,
  `create table publishable_keys (
    publishable_key_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    name text not null,
    key_hash text not null unique,
    created_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index publishable_keys_workspace on publishable_keys (workspace_id, created_at)`,
  `create table client_sessions (
    client_session_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    token_hash text not null unique,
    user_identifier_key text,
    user_identity_ids jsonb not null default '[]'::jsonb,
    connected_account_ids jsonb not null default '[]'::jsonb,
    publishable_key_id uuid references publishable_keys on delete set null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index client_sessions_workspace on client_sessions (workspace_id, created_at)`,
  `create index client_sessions_key on client_sessions (workspace_id, user_identifier_key, created_at)`,
  `alter table connected_accounts add column automatically_manage_new_devices boolean not null default true`,
  `alter table connected_accounts add column custom_metadata jsonb not null default '{}'::jsonb`,
  `alter table connected_accounts add column accepted_capabilities jsonb not null default '["access_control"]'::jsonb`,
  `create table rate_limit_buckets (
    credential_key text primary key,
    tokens double precision not null,
    updated_at timestamptz not null
  )`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
  const secret = randomBytes(32).toString('base64url')
  await sql`insert into server_secrets (name, value) values ('client_session_token', ${secret})`.execute(
    db,
  )
}
