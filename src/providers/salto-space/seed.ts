import type { SandboxSite } from '../access-system.js'
import { blankCard } from './sandbox-driver.js'

/**
 * The sandbox's Salto ProAccess Space site: an office building whose doors are
 * reached through access groups ("user access levels" in Salto Space), with one
 * NCoder at reception. The default sandbox workspace uses fixed ids; the two groups
 * are the ones Seam's Salto Space guides add users to
 * (`44444444-4444-4444-4444-333333333333` and `…-444444444444`), so the guides'
 * group step runs as written.
 */

const door = (name: string, index: number, room: string) => ({
  name,
  category: null,
  metadata: {
    salto_space_metadata: {
      door_id: String(index + 1),
      door_name: name,
      door_description: `${name} access point`,
      room_name: room,
      room_description: `${room}, Sandbox Salto Space Offices`,
      audit_on_keys: true,
    },
  },
  card: true,
  code: false,
  mobileKey: true,
})

const doors: [string, string][] = [
  ['Front Door', 'Lobby'],
  ['Parking', 'Garage'],
  ['Office 101', 'First floor'],
  ['Office 102', 'First floor'],
  ['Meeting Room', 'First floor'],
  ['Server Room', 'Basement'],
]

export const sandboxOffices: SandboxSite = {
  idPrefix: 'salto_space:',
  documentedIds: {
    'salto_space:acs_system': '44444444-4444-4444-4444-111111111111',
    'salto_space:connected_account': '44444444-4444-4444-4444-222222222222',
    'salto_space:access_group:Employees': '44444444-4444-4444-4444-333333333333',
    'salto_space:access_group:Facilities': '44444444-4444-4444-4444-444444444444',
    'salto_space:encoder:Reception NCoder': '44444444-4444-4444-4444-555555555555',
  },
  account: {
    account_type: 'salto_space',
    account_type_display_name: 'Salto Space',
    display_name: 'My Salto Space Site',
  },
  system: {
    name: 'Sandbox Salto Space Offices',
    external_type_display_name: 'Salto Space',
    time_zone: 'Europe/Madrid',
  },
  doors: doors.map(([name, room], index) => door(name, index, room)),
  encoders: ['Reception NCoder'],
  blankCard,
  accessGroups: [
    { name: 'Employees', doors: ['Front Door', 'Parking', 'Office 101', 'Meeting Room'] },
    { name: 'Facilities', doors: ['Front Door', 'Server Room'] },
    { name: 'Visitors', doors: ['Front Door', 'Meeting Room'] },
  ],
}
