import { type Kysely, sql } from 'kysely'

/**
 * Access groups (issue 11): access systems that give access by groups of users rather
 * than by entrances per credential. A group belongs to one access system and is
 * preconfigured with its entrances; its users get those entrances on their cards.
 * Everything cascades from the access system, so a sandbox reset (which deletes the
 * connected accounts) removes groups and memberships too.
 */
const statements = [
  `create table acs_access_groups (
    acs_access_group_id uuid primary key,
    workspace_id uuid not null references workspaces on delete cascade,
    acs_system_id uuid not null references acs_systems on delete cascade,
    connected_account_id uuid not null,
    name text not null,
    provider_data jsonb not null default '{}'::jsonb,
    created_at timestamptz not null
  )`,
  `create index acs_access_groups_page on acs_access_groups (workspace_id, created_at, acs_access_group_id)`,
  `create index acs_access_groups_system on acs_access_groups (acs_system_id, created_at, acs_access_group_id)`,
  `create table acs_access_group_entrances (
    acs_access_group_id uuid not null references acs_access_groups on delete cascade,
    acs_entrance_id uuid not null references acs_entrances on delete cascade,
    primary key (acs_access_group_id, acs_entrance_id)
  )`,
  `create index acs_access_group_entrances_entrance on acs_access_group_entrances (acs_entrance_id)`,
  `create table acs_access_group_users (
    acs_access_group_id uuid not null references acs_access_groups on delete cascade,
    acs_user_id uuid not null references acs_users on delete cascade,
    created_at timestamptz not null,
    primary key (acs_access_group_id, acs_user_id)
  )`,
  `create index acs_access_group_users_user on acs_access_group_users (acs_user_id, acs_access_group_id)`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
