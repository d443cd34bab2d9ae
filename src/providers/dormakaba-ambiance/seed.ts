import type { SandboxSite } from '../access-system.js'
import { blankCard } from './sandbox-driver.js'

/**
 * The sandbox's dormakaba Ambiance site: a resort whose doors (Ambiance's access
 * points) are reached through access groups, with one card encoder at the concierge
 * desk. The default sandbox workspace uses the fixed `66666666-…` ids below; other
 * sandbox workspaces get ids derived from their workspace id.
 */

const door = (name: string) => ({
  name,
  category: null,
  metadata: { dormakaba_ambiance_metadata: { access_point_name: name } },
  card: true,
  code: false,
  // Ambiance locks open with a plastic card or a mobile key (Bluetooth), never remotely.
  mobileKey: true,
})

export const sandboxResort: SandboxSite = {
  idPrefix: 'dormakaba_ambiance:',
  documentedIds: {
    'dormakaba_ambiance:acs_system': '66666666-6666-6666-6666-111111111111',
    'dormakaba_ambiance:connected_account': '66666666-6666-6666-6666-222222222222',
    'dormakaba_ambiance:access_group:Guests': '66666666-6666-6666-6666-333333333333',
    'dormakaba_ambiance:access_group:Staff': '66666666-6666-6666-6666-444444444444',
    'dormakaba_ambiance:encoder:Concierge Encoder': '66666666-6666-6666-6666-555555555555',
  },
  account: {
    account_type: 'dormakaba_ambiance',
    account_type_display_name: 'dormakaba Ambiance',
    display_name: 'My Ambiance Site',
  },
  system: {
    name: 'Sandbox Ambiance Resort',
    external_type_display_name: 'dormakaba Ambiance',
    time_zone: 'America/New_York',
  },
  doors: [
    'Suite 301',
    'Suite 302',
    'Suite 303',
    'Suite 304',
    'Business Lounge',
    'Spa',
    'Staff Entrance',
    'Parking Garage',
  ].map(door),
  encoders: ['Concierge Encoder'],
  blankCard,
  accessGroups: [
    {
      name: 'Guests',
      doors: ['Suite 301', 'Suite 302', 'Suite 303', 'Suite 304', 'Business Lounge'],
    },
    { name: 'Staff', doors: ['Staff Entrance', 'Parking Garage', 'Business Lounge', 'Spa'] },
  ],
}
