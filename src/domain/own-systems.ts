import { findAcsSystem, insertAcsEntrances } from '../db/acs-systems.js'
import { type AcsSystemRow, type Executor, json } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import { type AccessSystemProvider, withData } from '../providers/access-system.js'
import type { ProviderRegistry } from '../providers/index.js'
import { ownSystem } from './bridges.js'
import { DomainError, invalidInput, notFound } from './errors.js'
import { newId, parseId } from './ids.js'
import { connectAccessSystem } from './system-connection.js'
import { storeSystemSecret } from './system-secrets.js'

/**
 * Access systems Keysmith runs itself (their provider has `ownSystem`): an operator
 * creates one in a workspace, adds its doors with the numbers their locks know, and
 * reads its public key for the locks. Each runs in the caller's transaction.
 */

const ownProvider = (
  providers: ProviderRegistry,
): AccessSystemProvider & {
  ownSystem: NonNullable<AccessSystemProvider['ownSystem']>
} => {
  const provider = providers.all().find((p) => p.ownSystem)
  if (!provider?.ownSystem) throw new Error('no provider of an own access system is registered')
  return { ...provider, ownSystem: provider.ownSystem }
}

export const createOwnSystem = async (
  db: Executor,
  providers: ProviderRegistry,
  input: { workspaceId: string; name: string; timeZone?: string | undefined; now: Date },
): Promise<AcsSystemRow> => {
  const workspaceId = parseId(input.workspaceId, 'The workspace id')
  const workspace = await db
    .selectFrom('workspaces')
    .select('workspace_id')
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  if (!workspace) throw notFound('workspace', input.workspaceId)
  const name = input.name.trim()
  if (name === '') throw invalidInput('name must not be empty', 'name')
  const provider = ownProvider(providers)
  const { account, externalTypeDisplayName } = provider.ownSystem
  const { now } = input
  const { data, secret } = provider.ownSystem.newSystem()
  const acsSystemId = newId()
  await connectAccessSystem(db, {
    workspaceId,
    account: { ...account, display_name: name, connected_account_id: newId() },
    system: {
      acs_system_id: acsSystemId,
      name,
      external_type: provider.externalType,
      external_type_display_name: externalTypeDisplayName,
      time_zone: input.timeZone ?? null,
      provider_data: json(withData({}, provider.key, data)),
    },
    createdAt: now,
    now,
  })
  await storeSystemSecret(db, acsSystemId, secret, now)
  const system = await findAcsSystem(db, workspaceId, acsSystemId)
  if (!system) throw new Error('the new access system was not stored')
  return system
}

export const ownSystemPublicKey = async (
  db: Executor,
  providers: ProviderRegistry,
  acsSystemId: string,
): Promise<{ acs_system_id: string; public_key: string }> => {
  const system = await ownSystem(db, providers, acsSystemId)
  const hooks = providers.forSystem(system.external_type).ownSystem
  if (!hooks) throw notFound('acs_system', acsSystemId)
  return { acs_system_id: system.acs_system_id, public_key: hooks.publicKey(system) }
}

const doorKinds = ['guest', 'common'] as const
type DoorKind = (typeof doorKinds)[number]

/** The first door number is 101 (a hotel's first room); then one above the highest. */
const firstDoorNumber = 101

export const addOwnEntrance = async (
  db: Executor,
  providers: ProviderRegistry,
  input: {
    acsSystemId: string
    name: string
    number?: number | undefined
    kind?: string | undefined
    now: Date
  },
): Promise<{
  acs_entrance_id: string
  display_name: string
  door_number: number
  kind: DoorKind
}> => {
  const system = await ownSystem(db, providers, input.acsSystemId)
  const provider = providers.forSystem(system.external_type)
  const hooks = provider.ownSystem
  if (!hooks) throw notFound('acs_system', input.acsSystemId)
  const name = input.name.trim()
  if (name === '') throw invalidInput('name must not be empty', 'name')
  const kind = (input.kind ?? 'guest') as DoorKind
  if (!doorKinds.includes(kind)) throw invalidInput('kind is guest or common', 'kind')
  // Numbers are unique within the system: one lock per number. Serialised per system.
  await db
    .selectFrom('acs_systems')
    .select('acs_system_id')
    .where('acs_system_id', '=', system.acs_system_id)
    .forUpdate()
    .execute()
  const existing = await db
    .selectFrom('acs_entrances')
    .select(['display_name', 'provider_data'])
    .where('acs_system_id', '=', system.acs_system_id)
    .execute()
  const numbers = existing.map((e) => hooks.doorNumber(e)).filter((n) => n !== undefined)
  const number = input.number ?? Math.max(firstDoorNumber - 1, ...numbers) + 1
  if (!Number.isInteger(number) || number < 0 || number > 0xffff) {
    throw invalidInput('number is a door number from 0 to 65535', 'number')
  }
  if (numbers.includes(number)) {
    throw new DomainError(
      'conflict',
      'duplicate_door_number',
      `Door number ${number} is already an entrance of ${system.name}`,
    )
  }
  const door = hooks.newDoor({ number, kind })
  const acsEntranceId = newId()
  await insertAcsEntrances(db, [
    {
      acs_entrance_id: acsEntranceId,
      workspace_id: system.workspace_id,
      acs_system_id: system.acs_system_id,
      connected_account_id: system.connected_account_id,
      display_name: name,
      door_category: door.category,
      provider_metadata: json({}),
      provider_data: json(withData({}, provider.key, door.data)),
      can_unlock_with_card: true,
      can_unlock_with_code: false,
      can_unlock_with_mobile_key: false,
      created_at: input.now,
    },
  ])
  await recordEvent(
    db,
    system.workspace_id,
    'acs_entrance.added',
    {
      acs_system_id: system.acs_system_id,
      connected_account_id: system.connected_account_id,
      acs_entrance_id: acsEntranceId,
    },
    input.now,
  )
  return { acs_entrance_id: acsEntranceId, display_name: name, door_number: number, kind }
}
