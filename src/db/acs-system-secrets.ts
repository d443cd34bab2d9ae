import type { Executor } from './schema.js'

/** Sealed secrets of access systems (see domain/system-secrets.ts). Never part of a resource. */

export const insertSealedSecret = async (
  db: Executor,
  row: { acs_system_id: string; sealed: string; created_at: Date },
): Promise<void> => {
  await db.insertInto('acs_system_secrets').values(row).execute()
}

export const findSealedSecret = async (
  db: Executor,
  acsSystemId: string,
): Promise<string | undefined> =>
  (
    await db
      .selectFrom('acs_system_secrets')
      .select('sealed')
      .where('acs_system_id', '=', acsSystemId)
      .executeTakeFirst()
  )?.sealed
