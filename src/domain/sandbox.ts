import { insertAcsCard, insertAcsEncoders } from '../db/acs-encoders.js'
import {
  findAcsSystemsByIds,
  insertAcsEntrances,
  insertAcsSystem,
  insertConnectedAccount,
} from '../db/acs-systems.js'
import { insertAcsUser } from '../db/acs-users.js'
import { type Executor, json } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import { blankCard } from '../providers/sandbox-visionline.js'
import { insertCredential } from './acs-credentials.js'
import { newId, stableId } from './ids.js'

/**
 * The sandbox a new Keysmith starts with: a hotel on a virtual ASSA ABLOY
 * Visionline system (key cards, two encoders), as Seam's sandbox offers it, and a
 * residential building on a virtual Salto KS site (PIN codes, no encoders).
 *
 * The workspace created on first start uses the ids that appear in Seam's own
 * guides (`11111111-…` for the access system, the encoder and entrance ids of the
 * encoding and Access Grant pages), so those snippets run as written. Other sandbox
 * workspaces get ids derived from their workspace id. Either way a reset restores
 * the same ids.
 */
export const SANDBOX_WORKSPACE_ID = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'

const documentedIds: Record<string, string> = {
  connected_account: '11111111-1111-1111-1111-222222222222',
  acs_system: '11111111-1111-1111-1111-111111111111',
  'encoder:Front Desk': '18ad521a-308e-4182-b1a6-2338b46a2763',
  'encoder:Back Office': 'b062df92-91c6-482c-a3f9-6e578f062d36',
  'entrance:Room 101': '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
  'entrance:Room 102': 'f74e4879-5991-4e2f-a368-888983dcfbfc',
  'entrance:Lobby': '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f',
  // The guest room and the card of the encode_credential and scan_credential pages.
  'entrance:Room 103': 'a1b2c3d4-e5f6-4a3b-2c1d-0e9f8a7b6c5d',
  'acs_user:Sandbox Guest': '0fc82df4-391b-4d00-a234-86378f1c3952',
  'acs_credential:Sandbox Guest': 'a383871c-331a-42ae-af66-146824505187',
}

/** One connected access system of the sandbox, with its doors and encoders. */
interface SiteSpec {
  /** Prefix of the names its stable ids are derived from. */
  idPrefix: string
  account: { account_type: string; account_type_display_name: string; display_name: string }
  system: {
    name: string
    external_type: string
    external_type_display_name: string
    time_zone: string
    visionline_metadata: Record<string, string> | null
  }
  doors: {
    name: string
    category: string | null
    metadata: Record<string, unknown>
    card: boolean
    code: boolean
    mobileKey: boolean
  }[]
  encoders: string[]
}

const visionlineDoor = (name: string, category: string) => ({
  name,
  category,
  metadata: {
    visionline_metadata: {
      door_name: name,
      door_category: category,
      profiles: [{ visionline_door_profile_id: name, visionline_door_profile_type: 'BLE' }],
    },
  },
  card: true,
  code: false,
  mobileKey: true,
})

const saltoKsDoor = (name: string) => ({
  name,
  category: null,
  metadata: {
    salto_ks_metadata: {
      door_name: name,
      lock_type: name.startsWith('Apartment') ? 'lock' : 'wall_reader',
      locked_state: 'locked',
      online: true,
      battery_level: 'high',
      privacy_mode: false,
      intrusion_alarm: false,
      left_open_alarm: false,
    },
  },
  card: true,
  code: true,
  mobileKey: true,
})

export const sandboxSites: SiteSpec[] = [
  {
    idPrefix: '',
    account: {
      account_type: 'visionline',
      account_type_display_name: 'ASSA ABLOY Visionline',
      display_name: 'Sandbox Visionline Hotel',
    },
    system: {
      name: 'Sandbox Visionline Hotel',
      external_type: 'visionline_system',
      external_type_display_name: 'Visionline',
      time_zone: 'America/Los_Angeles',
      visionline_metadata: {
        lan_address: 'https://192.168.1.100',
        mobile_access_uuid: '1',
        system_id: '1',
      },
    },
    doors: [
      ...Array.from({ length: 20 }, (_, i) => visionlineDoor(`Room ${101 + i}`, 'guest')),
      visionlineDoor('Lobby', 'common'),
      visionlineDoor('Pool', 'common'),
      visionlineDoor('Gym', 'common'),
      visionlineDoor('Elevator', 'elevator reader'),
    ],
    encoders: ['Front Desk', 'Back Office'],
  },
  {
    idPrefix: 'salto_ks:',
    account: {
      account_type: 'salto_ks',
      account_type_display_name: 'Salto KS',
      display_name: 'jane@example.com',
    },
    system: {
      name: 'Sandbox Salto KS Residences',
      external_type: 'salto_ks_site',
      external_type_display_name: 'Salto KS',
      time_zone: 'Europe/Madrid',
      visionline_metadata: null,
    },
    doors: ['Main Entrance', 'Bike Room', 'Rooftop', 'Apartment 1A', 'Apartment 1B'].map(
      saltoKsDoor,
    ),
    encoders: [],
  },
]

interface Seeding {
  db: Executor
  workspaceId: string
  now: Date
  id(key: string): string
  /** Distinct creation times keep lists in the order things are seeded. */
  at(): Date
}

/** Seeds every sandbox site, recording the events a real connection would. */
export const seedSandbox = async (db: Executor, workspaceId: string, now: Date): Promise<void> => {
  let tick = 0
  const seeding: Seeding = {
    db,
    workspaceId,
    now,
    id: (key) =>
      (workspaceId === SANDBOX_WORKSPACE_ID ? documentedIds[key] : undefined) ??
      stableId(workspaceId, key),
    at: () => new Date(now.getTime() + tick++),
  }
  for (const site of sandboxSites) await seedSite(seeding, site)
  await seedGuest(seeding)
}

/**
 * A guest already booked at the hotel when the sandbox connects: "Sandbox Guest",
 * with a key card for Room 103 and the Lobby waiting to be encoded, so that Seam's
 * `encode_credential` page (`acs_credential_id: "a383871c-…"`) runs as written.
 * It came with the system, so no creation events are recorded.
 */
const seedGuest = async ({ db, workspaceId, now, id, at }: Seeding): Promise<void> => {
  const system = (await findAcsSystemsByIds(db, [id('acs_system')])).get(id('acs_system'))
  if (!system) throw new Error('the sandbox hotel was not seeded')
  const user = await insertAcsUser(db, {
    acs_user_id: id('acs_user:Sandbox Guest'),
    workspace_id: workspaceId,
    acs_system_id: system.acs_system_id,
    connected_account_id: system.connected_account_id,
    full_name: 'Sandbox Guest',
    email_address: null,
    phone_number: null,
    access_starts_at: null,
    access_ends_at: null,
    user_identity_id: null,
    created_at: at(),
    updated_at: now,
  })
  await insertCredential(db, {
    acsCredentialId: id('acs_credential:Sandbox Guest'),
    system,
    user,
    accessMethod: 'card',
    code: null,
    entranceIds: [id('entrance:Room 103'), id('entrance:Lobby')],
    startsAt: new Date('2025-07-10T16:54:17.946Z'),
    endsAt: new Date('2025-07-12T16:54:17.946Z'),
    now: at(),
  })
}

const seedSite = async (
  { db, workspaceId, now, id, at }: Seeding,
  site: SiteSpec,
): Promise<void> => {
  const key = (name: string) => id(`${site.idPrefix}${name}`)
  const connectedAccountId = key('connected_account')
  await insertConnectedAccount(db, {
    ...site.account,
    connected_account_id: connectedAccountId,
    workspace_id: workspaceId,
    created_at: at(),
  })
  await recordEvent(
    db,
    workspaceId,
    'connected_account.connected',
    { connected_account_id: connectedAccountId },
    now,
  )

  const acsSystemId = key('acs_system')
  await insertAcsSystem(db, {
    ...site.system,
    visionline_metadata: json(site.system.visionline_metadata),
    acs_system_id: acsSystemId,
    workspace_id: workspaceId,
    connected_account_id: connectedAccountId,
    created_at: at(),
  })
  const system = { acs_system_id: acsSystemId, connected_account_id: connectedAccountId }
  await recordEvent(db, workspaceId, 'acs_system.added', system, now)

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
    const blank = blankCard()
    const card = await insertAcsCard(db, {
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
    encoders.push({
      acs_encoder_id: key(`encoder:${name}`),
      workspace_id: workspaceId,
      acs_system_id: acsSystemId,
      connected_account_id: connectedAccountId,
      display_name: name,
      acs_card_id: card.acs_card_id,
      next_encode: json(null),
      next_scan: json(null),
      created_at: at(),
    })
  }
  await insertAcsEncoders(db, encoders)
  for (const { acs_encoder_id } of encoders) {
    await recordEvent(db, workspaceId, 'acs_encoder.added', { ...system, acs_encoder_id }, now)
  }
}
