import { type Kysely, sql } from 'kysely'

/**
 * Entrances granted to an ACS user directly (`/acs/entrances/grant_access`), beside
 * those of the user's credentials and access groups: each of the user's credentials
 * opens them. Rows go with the user or the entrance.
 */
const statements = [
  `create table acs_user_entrances (
    acs_user_id uuid not null references acs_users on delete cascade,
    acs_entrance_id uuid not null references acs_entrances on delete cascade,
    created_at timestamptz not null,
    primary key (acs_user_id, acs_entrance_id)
  )`,
  `create index acs_user_entrances_entrance on acs_user_entrances (acs_entrance_id)`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
