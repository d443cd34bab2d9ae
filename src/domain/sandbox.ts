import { insertAccessGroup } from '../db/access-groups.js'
import { insertAcsCard, insertAcsEncoders } from '../db/acs-encoders.js'
import { findAcsSystemsByIds, insertAcsEntrances } from '../db/acs-systems.js'
import { insertAcsUser } from '../db/acs-users.js'
import { type Executor, json } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import {
  type AccessSystemProvider,
  type SandboxSite,
  withData,
} from '../providers/access-system.js'
import type { ProviderRegistry } from '../providers/index.js'
import { insertCredential } from './acs-credentials.js'
import { newId, stableId } from './ids.js'
import { connectAccessSystem } from './system-connection.js'

/**
 * The sandbox a new Keysmith starts with: one site of every access system whose
 * provider has a `sandboxSite` (a hotel with key cards and encoders, a residential
 * building with PIN codes), as Seam's sandbox offers them. The sites themselves are
 * their providers' (src/providers/<system>/).
 *
 * The workspace created on first start uses the ids that appear in Seam's own
 * guides (each site's `documentedIds`), so those snippets run as written. Other
 * sandbox workspaces get ids derived from their workspace id. Either way a reset
 * restores the same ids.
 */
export const SANDBOX_WORKSPACE_ID = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'

interface Seeding {
  db: Executor
  providers: ProviderRegistry
  workspaceId: string
  now: Date
  /** The id of a site's thing by name (prefix included). */
  id(site: SandboxSite, key: string): string
  /** Distinct creation times keep lists in the order things are seeded. */
  at(): Date
}

/** Seeds every sandbox site, recording the events a real connection would. */
export const seedSandbox = async (
  db: Executor,
  providers: ProviderRegistry,
  workspaceId: string,
  now: Date,
): Promise<void> => {
  let tick = 0
  const seeding: Seeding = {
    db,
    providers,
    workspaceId,
    now,
    id: (site, key) => {
      const name = `${site.idPrefix}${key}`
      return (
        (workspaceId === SANDBOX_WORKSPACE_ID ? site.documentedIds?.[name] : undefined) ??
        stableId(workspaceId, name)
      )
    },
    at: () => new Date(now.getTime() + tick++),
  }
  const sites = providers
    .all()
    .flatMap((provider) => (provider.sandboxSite ? [{ provider, site: provider.sandboxSite }] : []))
  for (const { provider, site } of sites) await seedSite(seeding, provider, site)
  for (const { site } of sites) await seedGuests(seeding, site)
}

/**
 * Guests already booked when the sandbox connects, each with a key card waiting to
 * be encoded. They came with the system, so no creation events are recorded.
 */
const seedGuests = async (seeding: Seeding, site: SandboxSite): Promise<void> => {
  const { db, providers, workspaceId, now, at } = seeding
  const id = (key: string) => seeding.id(site, key)
  for (const guest of site.guests ?? []) {
    const system = (await findAcsSystemsByIds(db, [id('acs_system')])).get(id('acs_system'))
    if (!system) throw new Error(`the sandbox site ${site.system.name} was not seeded`)
    const user = await insertAcsUser(db, {
      acs_user_id: id(`acs_user:${guest.name}`),
      workspace_id: workspaceId,
      acs_system_id: system.acs_system_id,
      connected_account_id: system.connected_account_id,
      full_name: guest.name,
      email_address: null,
      phone_number: null,
      access_starts_at: null,
      access_ends_at: null,
      user_identity_id: null,
      created_at: at(),
      updated_at: now,
    })
    await insertCredential(db, providers, {
      acsCredentialId: id(`acs_credential:${guest.name}`),
      system,
      user,
      accessMethod: 'card',
      code: undefined,
      entranceIds: guest.card.doors.map((door) => id(`entrance:${door}`)),
      startsAt: guest.card.startsAt,
      endsAt: guest.card.endsAt,
      now: at(),
    })
  }
}

const seedSite = async (
  seeding: Seeding,
  provider: AccessSystemProvider,
  site: SandboxSite,
): Promise<void> => {
  const { db, workspaceId, now, at } = seeding
  const key = (name: string) => seeding.id(site, name)
  const connectedAccountId = key('connected_account')
  const acsSystemId = key('acs_system')
  await connectAccessSystem(db, {
    workspaceId,
    account: { ...site.account, connected_account_id: connectedAccountId },
    system: {
      acs_system_id: acsSystemId,
      name: site.system.name,
      external_type: provider.externalType,
      external_type_display_name: site.system.external_type_display_name,
      time_zone: site.system.time_zone,
      provider_data: json(withData({}, provider.key, site.system.data)),
    },
    createdAt: at(),
    now,
  })
  const system = { acs_system_id: acsSystemId, connected_account_id: connectedAccountId }

  const entrances = site.doors.map((door) => ({
    acs_entrance_id: key(`entrance:${door.name}`),
    workspace_id: workspaceId,
    acs_system_id: acsSystemId,
    connected_account_id: connectedAccountId,
    display_name: door.name,
    door_category: door.category,
    provider_metadata: json(door.metadata),
    can_unlock_with_card: door.card,
    can_unlock_with_code: door.code,
    can_unlock_with_mobile_key: door.mobileKey,
    created_at: at(),
  }))
  await insertAcsEntrances(db, entrances)
  for (const { acs_entrance_id } of entrances) {
    await recordEvent(db, workspaceId, 'acs_entrance.added', { ...system, acs_entrance_id }, now)
  }

  // Each encoder starts with a blank card lying on it.
  const encoders = []
  for (const name of site.encoders) {
    const blank = site.blankCard?.()
    const card = blank
      ? await insertAcsCard(db, {
          acs_card_id: newId(),
          workspace_id: workspaceId,
          acs_system_id: acsSystemId,
          card_number: blank.card_number,
          card_format: blank.card_format,
          acs_credential_id: null,
          contents: json(null),
          created_at: now,
          updated_at: now,
        })
      : undefined
    encoders.push({
      acs_encoder_id: key(`encoder:${name}`),
      workspace_id: workspaceId,
      acs_system_id: acsSystemId,
      connected_account_id: connectedAccountId,
      display_name: name,
      acs_card_id: card?.acs_card_id ?? null,
      created_at: at(),
    })
  }
  await insertAcsEncoders(db, encoders)
  for (const card of site.registeredCards ?? []) {
    await insertAcsCard(db, {
      acs_card_id: newId(),
      workspace_id: workspaceId,
      acs_system_id: acsSystemId,
      card_number: card.card_number,
      card_format: card.card_format,
      acs_credential_id: null,
      contents: json(card.contents),
      created_at: now,
      updated_at: now,
    })
  }
  for (const group of site.accessGroups ?? []) {
    await insertAccessGroup(
      db,
      {
        acs_access_group_id: key(`access_group:${group.name}`),
        workspace_id: workspaceId,
        acs_system_id: acsSystemId,
        connected_account_id: connectedAccountId,
        name: group.name,
        created_at: at(),
      },
      group.doors.map((door) => key(`entrance:${door}`)),
    )
  }
  for (const { acs_encoder_id } of encoders) {
    await recordEvent(db, workspaceId, 'acs_encoder.added', { ...system, acs_encoder_id }, now)
  }
}
