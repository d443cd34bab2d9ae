import { type Kysely, sql } from 'kysely'

/**
 * User identities (the people), spaces (named groups of entrances), Access Grants
 * (who may enter where and when, and how) and the access methods they create.
 * An access method lives in one access system and is backed by one ACS credential.
 */
const statements = [
  `create table user_identities (
    user_identity_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    user_identity_key text,
    full_name text,
    email_address text,
    phone_number text,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create unique index user_identities_key on user_identities (workspace_id, user_identity_key)`,
  `create index user_identities_page on user_identities (workspace_id, created_at, user_identity_id)`,
  `create index acs_users_identity on acs_users (user_identity_id)`,
  `create table spaces (
    space_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    name text not null,
    space_key text,
    customer_data jsonb,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create unique index spaces_key on spaces (workspace_id, space_key)`,
  `create index spaces_page on spaces (workspace_id, created_at, space_id)`,
  `create table space_entrances (
    space_id uuid not null references spaces on delete cascade,
    acs_entrance_id uuid not null references acs_entrances on delete cascade,
    primary key (space_id, acs_entrance_id)
  )`,
  `create index space_entrances_entrance on space_entrances (acs_entrance_id)`,
  `create table access_grants (
    access_grant_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    user_identity_id uuid not null references user_identities on delete cascade,
    access_grant_key text,
    reservation_key text,
    name text,
    starts_at timestamptz not null,
    ends_at timestamptz,
    requested_access_methods json not null,
    warnings json not null,
    errors json not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create unique index access_grants_key on access_grants (workspace_id, access_grant_key)`,
  `create index access_grants_page on access_grants (workspace_id, created_at, access_grant_id)`,
  `create index access_grants_identity on access_grants (user_identity_id)`,
  `create table access_grant_entrances (
    access_grant_id uuid not null references access_grants on delete cascade,
    acs_entrance_id uuid not null references acs_entrances on delete cascade,
    primary key (access_grant_id, acs_entrance_id)
  )`,
  `create index access_grant_entrances_entrance on access_grant_entrances (acs_entrance_id)`,
  `create table access_grant_spaces (
    access_grant_id uuid not null references access_grants on delete cascade,
    space_id uuid not null references spaces on delete cascade,
    primary key (access_grant_id, space_id)
  )`,
  `create index access_grant_spaces_space on access_grant_spaces (space_id)`,
  `create table access_methods (
    access_method_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    access_grant_id uuid not null references access_grants on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    acs_credential_id uuid references acs_credentials on delete set null,
    mode text not null,
    display_name text not null,
    is_issued boolean not null,
    issued_at timestamptz,
    encoding_required_since timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create index access_methods_grant on access_methods (access_grant_id, created_at)`,
  `create index access_methods_credential on access_methods (acs_credential_id)`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
