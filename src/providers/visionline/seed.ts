import type { SandboxSite } from '../access-system.js'
import { blankCard } from './sandbox-driver.js'

/**
 * The sandbox hotel on a virtual ASSA ABLOY Visionline system, as Seam's sandbox
 * offers it. The default sandbox workspace uses the ids that appear in Seam's guides
 * (`11111111-…` for the access system, the encoder and entrance ids of the encoding
 * and Access Grant pages), so those snippets run as written.
 */

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

export const sandboxHotel: SandboxSite = {
  idPrefix: '',
  documentedIds: {
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
  },
  account: {
    account_type: 'visionline',
    account_type_display_name: 'ASSA ABLOY Visionline',
    display_name: 'Sandbox Visionline Hotel',
  },
  system: {
    name: 'Sandbox Visionline Hotel',
    external_type_display_name: 'Visionline',
    time_zone: 'America/Los_Angeles',
    data: {
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
  blankCard,
  // A guest already booked when the sandbox connects, with a key card for Room 103
  // and the Lobby waiting to be encoded, so that Seam's `encode_credential` page
  // (`acs_credential_id: "a383871c-…"`) runs as written.
  guests: [
    {
      name: 'Sandbox Guest',
      card: {
        doors: ['Room 103', 'Lobby'],
        startsAt: new Date('2025-07-10T16:54:17.946Z'),
        endsAt: new Date('2025-07-12T16:54:17.946Z'),
      },
    },
  ],
}
