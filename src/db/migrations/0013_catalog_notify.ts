import { type Kysely, sql } from 'kysely'

/**
 * Every change to what a workspace's access systems look like sends NOTIFY on
 * `keysmith_catalog` (domain/catalog-cache.ts keeps those rows per process): a system
 * added, removed or changed (but not its id counter, which every card credential
 * advances), and a bridge added, removed, paired or unpaired (`has_bridges`). Triggers
 * catch every writer, cascades (a sandbox reset) and other processes included; the
 * notification is delivered when the transaction commits.
 */
const statements = [
  `create function keysmith_catalog_changed() returns trigger language plpgsql as $$
  begin
    perform pg_notify('keysmith_catalog', '');
    return null;
  end
  $$`,
  `create trigger acs_systems_catalog after insert or delete on acs_systems
    for each statement execute function keysmith_catalog_changed()`,
  `create trigger acs_systems_catalog_update after update on acs_systems
    for each row
    when ((to_jsonb(old) - 'last_external_number') is distinct from (to_jsonb(new) - 'last_external_number'))
    execute function keysmith_catalog_changed()`,
  `create trigger bridges_catalog after insert or delete or update of token_hash, acs_system_id on bridges
    for each statement execute function keysmith_catalog_changed()`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
