import { type Kysely, sql } from 'kysely'

/**
 * Access-system data moves out of brand-named columns into `provider_data` jsonb
 * columns keyed by provider (`{ "visionline": {...} }`), the way entrances keep
 * `provider_metadata`; the sandbox-only simulate state of encoders moves into
 * `sandbox_state`. Every value is kept: the old columns are copied, then dropped.
 * (Migrations are history: the old column names stay written here.)
 */
const statements = [
  `alter table acs_credentials add column provider_data jsonb not null default '{}'::jsonb`,
  `update acs_credentials set provider_data = jsonb_build_object('visionline', visionline)
    where jsonb_typeof(visionline) = 'object'`,
  `alter table acs_credentials drop column visionline`,
  `alter table acs_systems add column provider_data jsonb not null default '{}'::jsonb`,
  `update acs_systems set provider_data = jsonb_build_object('visionline', visionline_metadata)
    where jsonb_typeof(visionline_metadata) = 'object'`,
  `alter table acs_systems drop column visionline_metadata`,
  `alter table acs_encoders add column sandbox_state jsonb not null default '{}'::jsonb`,
  `update acs_encoders set sandbox_state = jsonb_strip_nulls(
      jsonb_build_object('next_encode', next_encode, 'next_scan', next_scan))
    where next_encode is not null or next_scan is not null`,
  `alter table acs_encoders drop column next_encode`,
  `alter table acs_encoders drop column next_scan`,
]

export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
