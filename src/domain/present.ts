import type { AcsCredential, AcsEntrance } from '@seamapi/types/connect'
import { entrancesByCredential, findAcsSystemsByIds } from '../db/acs-systems.js'
import { findAcsUsersByIds } from '../db/acs-users.js'
import type { AcsCredentialRow, AcsEntranceRow, Executor } from '../db/schema.js'
import { spaceIdsByEntrance } from '../db/spaces.js'
import { toAcsCredential, toAcsEntrance } from '../resources/acs.js'

/**
 * Rows as API resources, loading what each shows (its system, doors, user, spaces)
 * in bulk. Every rule module presents through here, so none needs another's.
 */

/** Credentials as API resources, loading what they show (system, doors, user) in bulk. */
export const presentCredentials = async (
  db: Executor,
  rows: readonly AcsCredentialRow[],
  now: Date,
): Promise<AcsCredential[]> => {
  const ids = rows.map((row) => row.acs_credential_id)
  const [systems, entrances, users] = await Promise.all([
    findAcsSystemsByIds(
      db,
      rows.map((row) => row.acs_system_id),
    ),
    entrancesByCredential(db, ids),
    findAcsUsersByIds(
      db,
      rows.flatMap((row) => (row.acs_user_id ? [row.acs_user_id] : [])),
    ),
  ])
  return rows.map((row) => {
    const system = systems.get(row.acs_system_id)
    if (!system) throw new Error(`access system ${row.acs_system_id} of credential is missing`)
    return toAcsCredential(row, {
      system,
      entrances: entrances.get(row.acs_credential_id) ?? [],
      user: row.acs_user_id ? users.get(row.acs_user_id) : undefined,
      now,
    })
  })
}

export const presentCredential = async (
  db: Executor,
  row: AcsCredentialRow,
  now: Date,
): Promise<AcsCredential> => {
  const [credential] = await presentCredentials(db, [row], now)
  if (!credential) throw new Error('presentCredentials returned nothing')
  return credential
}

/** Entrances as API resources, with the spaces each belongs to. */
export const presentEntrances = async (
  db: Executor,
  rows: readonly AcsEntranceRow[],
): Promise<AcsEntrance[]> => {
  const spaces = await spaceIdsByEntrance(
    db,
    rows.map((row) => row.acs_entrance_id),
  )
  return rows.map((row) => toAcsEntrance(row, spaces.get(row.acs_entrance_id) ?? []))
}
