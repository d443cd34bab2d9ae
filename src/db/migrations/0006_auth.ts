import { type Kysely, sql } from 'kysely'

/**
 * Users, their workspaces and their personal access tokens; revocable API keys; the
 * workspace settings /workspaces/update changes. Tokens are stored only as sha256
 * hashes. Revoking keeps the row (for `api-keys list` and `pats list`) and stops the
 * token at once: every request looks its token up, nothing caches it.
 */
const statements = [
  `create table users (
    user_id uuid primary key,
    email text not null unique,
    created_at timestamptz not null
  )`,
  `create table workspace_members (
    workspace_id uuid not null references workspaces on delete cascade,
    user_id uuid not null references users on delete cascade,
    created_at timestamptz not null,
    primary key (workspace_id, user_id)
  )`,
  `create index workspace_members_user on workspace_members (user_id, workspace_id)`,
  `create table personal_access_tokens (
    personal_access_token_id uuid primary key,
    user_id uuid not null references users on delete cascade,
    name text not null,
    token_hash text not null unique,
    created_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index personal_access_tokens_user on personal_access_tokens (user_id, created_at)`,
  `alter table api_keys add column revoked_at timestamptz`,
  `create index api_keys_workspace on api_keys (workspace_id, created_at)`,
  `alter table workspaces add column connect_webview_customization jsonb not null default '{}'::jsonb`,
  `alter table workspaces add column is_suspended boolean not null default false`,
  `alter table workspaces add column is_publishable_key_auth_enabled boolean not null default false`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
