import type { AcsCredential, AcsEntrance, AcsSystem } from '@seamapi/types/connect'
import {
  type AcsEntranceWithExtras,
  entrancesByCredential,
  findAcsSystemsByIds,
} from '../db/acs-systems.js'
import { findAcsUsersByIds } from '../db/acs-users.js'
import type { AcsCredentialRow, AcsEntranceRow, AcsSystemRow, Executor } from '../db/schema.js'
import { spaceIdsByEntrance } from '../db/spaces.js'
import type { ProviderRegistry } from '../providers/index.js'
import { toAcsCredential, toAcsEntrance, toAcsSystem } from '../resources/acs.js'
import { type BridgeError, bridgeErrorsOf, defaultBridgeStaleMs } from './bridges.js'
import type { AcsCredentialWithEntrances } from './credential-entrances.js'

/**
 * Rows as API resources, loading what each shows (its system, doors, user, spaces)
 * in bulk. Every rule module presents through here, so none needs another's. What an
 * access system adds to a resource comes from its provider.
 */

/**
 * Credentials as API resources, loading what they show (system, doors, user) in bulk;
 * rows read with those (AcsCredentialWithEntrances) need no further query.
 */
export const presentCredentials = async (
  db: Executor,
  providers: ProviderRegistry,
  rows: readonly (AcsCredentialRow | AcsCredentialWithEntrances)[],
  now: Date,
): Promise<AcsCredential[]> => {
  if (rows.every(hasExtras)) {
    return rows.map((row) =>
      toAcsCredential(row, {
        provider: providers.forSystem(row.system_external_type ?? ''),
        entrances: row.entrances,
        user: row.acs_user_id ? { user_identity_id: row.user_identity_id_of_user } : undefined,
        now,
      }),
    )
  }
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
      provider: providers.forSystem(system.external_type),
      entrances: entrances.get(row.acs_credential_id) ?? [],
      user: row.acs_user_id ? users.get(row.acs_user_id) : undefined,
      now,
    })
  })
}

const hasExtras = (
  row: AcsCredentialRow | AcsCredentialWithEntrances,
): row is AcsCredentialWithEntrances => 'entrances' in row && 'system_external_type' in row

export const presentCredential = async (
  db: Executor,
  providers: ProviderRegistry,
  row: AcsCredentialRow,
  now: Date,
): Promise<AcsCredential> => {
  const [credential] = await presentCredentials(db, providers, [row], now)
  if (!credential) throw new Error('presentCredentials returned nothing')
  return credential
}

/**
 * Entrances as API resources, with the spaces each belongs to. Rows read with their
 * spaces and system type (db's AcsEntranceWithExtras) need no further query.
 */
export const presentEntrances = async (
  db: Executor,
  providers: ProviderRegistry,
  rows: readonly (AcsEntranceRow & Partial<AcsEntranceWithExtras>)[],
): Promise<AcsEntrance[]> => {
  if (rows.every((row) => Array.isArray(row.space_ids) && row.system_external_type !== undefined)) {
    return rows.map((row) =>
      toAcsEntrance(
        row,
        [...(row.space_ids ?? [])],
        providers.forSystem(row.system_external_type ?? ''),
      ),
    )
  }
  const [spaces, systems] = await Promise.all([
    spaceIdsByEntrance(
      db,
      rows.map((row) => row.acs_entrance_id),
    ),
    findAcsSystemsByIds(
      db,
      rows.map((row) => row.acs_system_id),
    ),
  ])
  return rows.map((row) =>
    toAcsEntrance(
      row,
      spaces.get(row.acs_entrance_id) ?? [],
      providers.forSystem(systems.get(row.acs_system_id)?.external_type ?? ''),
    ),
  )
}

/**
 * Systems as the API returns them, with the errors of their bridges (one query for
 * all, and none when the rows say, `has_bridges: false`, that none has a bridge).
 */
export const presentSystems = async (
  db: Executor,
  providers: ProviderRegistry,
  rows: readonly (AcsSystemRow & { has_bridges?: boolean })[],
  now: Date,
  bridgeStaleMs = defaultBridgeStaleMs,
): Promise<AcsSystem[]> => {
  const withBridges = rows.filter((row) => row.has_bridges !== false)
  const errors =
    withBridges.length === 0
      ? new Map<string, BridgeError[]>()
      : await bridgeErrorsOf(
          db,
          withBridges.map((row) => row.acs_system_id),
          now,
          bridgeStaleMs,
        )
  return rows.map((row) =>
    toAcsSystem(row, providers.forSystem(row.external_type), errors.get(row.acs_system_id) ?? []),
  )
}
