import { type Kysely, sql } from 'kysely'

/**
 * Entrances and encoders join the rows `keysmith_catalog` announces (migration 0013,
 * domain/catalog-cache.ts): an entrance added, removed or changed, an entrance put in
 * or taken out of a space (its `space_ids`), an encoder added, removed or changed. An
 * encoder's card (`acs_card_id`, which every encoding sets) and its sandbox
 * simulations (`sandbox_state`) are not part of the resource and notify nothing.
 *
 * Every notifying trigger now also marks its transaction (`keysmith.catalog_changed`,
 * a setting local to it), which the process that made the change reads before it
 * commits, so that it forgets its own kept rows before it answers (db/catalog-watch.ts).
 */
const statements = [
  `create or replace function keysmith_catalog_changed() returns trigger language plpgsql as $$
  begin
    perform pg_notify('keysmith_catalog', '');
    perform set_config('keysmith.catalog_changed', 'on', true);
    return null;
  end
  $$`,
  `create trigger acs_entrances_catalog after insert or delete or update on acs_entrances
    for each statement execute function keysmith_catalog_changed()`,
  `create trigger space_entrances_catalog after insert or delete or update on space_entrances
    for each statement execute function keysmith_catalog_changed()`,
  `create trigger acs_encoders_catalog after insert or delete on acs_encoders
    for each statement execute function keysmith_catalog_changed()`,
  `create trigger acs_encoders_catalog_update after update on acs_encoders
    for each row
    when ((to_jsonb(old) - 'acs_card_id' - 'sandbox_state') is distinct from (to_jsonb(new) - 'acs_card_id' - 'sandbox_state'))
    execute function keysmith_catalog_changed()`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
