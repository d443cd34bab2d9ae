import type { Executor } from './schema.js'

/** Entrances granted to ACS users directly (`/acs/entrances/grant_access`). */

/** Grants an entrance to a user; false when the user had it already. */
export const grantUserEntrance = async (
  db: Executor,
  acsUserId: string,
  acsEntranceId: string,
  now: Date,
): Promise<boolean> => {
  const inserted = await db
    .insertInto('acs_user_entrances')
    .values({ acs_user_id: acsUserId, acs_entrance_id: acsEntranceId, created_at: now })
    .onConflict((oc) => oc.columns(['acs_user_id', 'acs_entrance_id']).doNothing())
    .returning('acs_entrance_id')
    .executeTakeFirst()
  return inserted !== undefined
}

/** The entrances granted to a user directly. */
export const userEntranceIds = async (db: Executor, acsUserId: string): Promise<string[]> => {
  const rows = await db
    .selectFrom('acs_user_entrances')
    .select('acs_entrance_id')
    .where('acs_user_id', '=', acsUserId)
    .orderBy('created_at')
    .orderBy('acs_entrance_id')
    .execute()
  return rows.map((row) => row.acs_entrance_id)
}

/** Takes back every entrance granted to a user directly; returns how many. */
export const revokeUserEntrances = async (db: Executor, acsUserId: string): Promise<number> => {
  const result = await db
    .deleteFrom('acs_user_entrances')
    .where('acs_user_id', '=', acsUserId)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
