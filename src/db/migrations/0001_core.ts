import { type Kysely, sql } from 'kysely'

/**
 * Workspaces and keys, the access-control resources, the physical cards, action
 * attempts and the event log. Every list is paged by (workspace_id, created_at, id),
 * so each list has an index in that order. Action attempt payloads are `json`, not
 * `jsonb`, so that results come back with their keys in the order they were written.
 */
const statements = [
  `create table workspaces (
    workspace_id uuid primary key,
    name text not null,
    company_name text not null,
    is_sandbox boolean not null,
    created_at timestamptz not null
  )`,
  `create table api_keys (
    api_key_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    name text not null,
    token_hash text not null unique,
    created_at timestamptz not null
  )`,
  `create table connected_accounts (
    connected_account_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    account_type text not null,
    account_type_display_name text not null,
    display_name text not null,
    created_at timestamptz not null
  )`,
  `create index connected_accounts_page on connected_accounts (workspace_id, created_at, connected_account_id)`,
  `create table acs_systems (
    acs_system_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    connected_account_id uuid not null references connected_accounts on delete cascade,
    name text not null,
    external_type text not null,
    external_type_display_name text not null,
    time_zone text,
    visionline_metadata jsonb,
    last_external_number integer not null default 0,
    created_at timestamptz not null
  )`,
  `create index acs_systems_page on acs_systems (workspace_id, created_at, acs_system_id)`,
  `create table acs_entrances (
    acs_entrance_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    connected_account_id uuid not null references connected_accounts on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    display_name text not null,
    door_category text,
    provider_metadata jsonb not null,
    can_unlock_with_card boolean not null,
    can_unlock_with_code boolean not null,
    can_unlock_with_mobile_key boolean not null,
    created_at timestamptz not null
  )`,
  `create index acs_entrances_page on acs_entrances (workspace_id, created_at, acs_entrance_id)`,
  `create index acs_entrances_system on acs_entrances (acs_system_id, created_at, acs_entrance_id)`,
  `create table acs_users (
    acs_user_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    connected_account_id uuid not null references connected_accounts on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    full_name text,
    email_address text,
    phone_number text,
    access_starts_at timestamptz,
    access_ends_at timestamptz,
    is_suspended boolean not null default false,
    user_identity_id uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create index acs_users_page on acs_users (workspace_id, created_at, acs_user_id)`,
  `create index acs_users_system on acs_users (acs_system_id, created_at, acs_user_id)`,
  `create table acs_credentials (
    acs_credential_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    connected_account_id uuid not null references connected_accounts on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    acs_user_id uuid references acs_users on delete cascade,
    access_method text not null,
    code text,
    starts_at timestamptz,
    ends_at timestamptz,
    is_multi_phone_sync_credential boolean not null,
    visionline jsonb,
    card_number text,
    is_issued boolean not null default false,
    issued_at timestamptz,
    reissue_required_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create index acs_credentials_page on acs_credentials (workspace_id, created_at, acs_credential_id)`,
  `create index acs_credentials_user on acs_credentials (acs_user_id, created_at, acs_credential_id)`,
  `create index acs_credentials_system on acs_credentials (acs_system_id, created_at, acs_credential_id)`,
  `create table acs_credential_entrances (
    acs_credential_id uuid not null references acs_credentials on delete cascade,
    acs_entrance_id uuid not null references acs_entrances on delete cascade,
    primary key (acs_credential_id, acs_entrance_id)
  )`,
  `create index acs_credential_entrances_entrance on acs_credential_entrances (acs_entrance_id)`,
  `create table acs_cards (
    acs_card_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    card_number text not null,
    card_format text not null,
    acs_credential_id uuid,
    contents jsonb,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create index acs_cards_credential on acs_cards (acs_credential_id, updated_at)`,
  `create table acs_encoders (
    acs_encoder_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    connected_account_id uuid not null references connected_accounts on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    display_name text not null,
    acs_card_id uuid references acs_cards on delete set null,
    next_encode jsonb,
    next_scan jsonb,
    created_at timestamptz not null
  )`,
  `create index acs_encoders_page on acs_encoders (workspace_id, created_at, acs_encoder_id)`,
  `create table action_attempts (
    action_attempt_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    action_type text not null,
    status text not null check (status in ('pending', 'success', 'error')),
    input json not null,
    result json,
    error json,
    run_after timestamptz not null,
    expires_at timestamptz not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    completed_at timestamptz
  )`,
  `create index action_attempts_page on action_attempts (workspace_id, created_at, action_attempt_id)`,
  `create index action_attempts_due on action_attempts (run_after) where status = 'pending'`,
  `create index action_attempts_expiring on action_attempts (expires_at) where status = 'pending'`,
  `create table events (
    event_id uuid primary key,
    seq bigint generated always as identity,
    workspace_id uuid not null references workspaces on delete cascade,
    event_type text not null,
    payload jsonb not null,
    occurred_at timestamptz not null,
    created_at timestamptz not null
  )`,
  `create index events_page on events (workspace_id, created_at, seq)`,
  `create index events_payload on events using gin (payload jsonb_path_ops)`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
