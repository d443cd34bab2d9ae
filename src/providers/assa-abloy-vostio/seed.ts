import type { SandboxSite } from '../access-system.js'
import type { VostioDoorType } from './rules.js'
import { blankCard } from './sandbox-driver.js'

/**
 * The sandbox's ASSA ABLOY Vostio site: a small hotel ("My Vostio Site", as the
 * brand's sandbox guide names its system) with six guest rooms, a fitness center, the
 * hotel entrance and an elevator, and one encoder at the front desk. The default
 * sandbox workspace uses fixed ids (`55555555-…`), like the other sites.
 */

const door = (name: string, number: number, type: VostioDoorType) => ({
  name,
  category: type,
  metadata: {
    assa_abloy_vostio_metadata: {
      door_name: name,
      door_number: number,
      door_type: type,
      pms_id: `PMS-${number}`,
      // Only the fitness center may be set to stand open by a key.
      stand_open: type === 'CommonDoor',
    },
  },
  card: true,
  code: false,
  mobileKey: true,
})

const rooms = [201, 202, 203, 204, 205, 206]

export const sandboxVostioHotel: SandboxSite = {
  idPrefix: 'assa_abloy_vostio:',
  documentedIds: {
    'assa_abloy_vostio:acs_system': '55555555-5555-5555-5555-111111111111',
    'assa_abloy_vostio:connected_account': '55555555-5555-5555-5555-222222222222',
    'assa_abloy_vostio:encoder:Vostio Front Desk Encoder': '55555555-5555-5555-5555-555555555555',
    ...Object.fromEntries(
      rooms.map((room, index) => [
        `assa_abloy_vostio:entrance:Room ${room}`,
        `55555555-5555-5555-5555-6666666666${String(index + 1).padStart(2, '0')}`,
      ]),
    ),
    'assa_abloy_vostio:entrance:Fitness Center': '55555555-5555-5555-5555-777777777701',
    'assa_abloy_vostio:entrance:Hotel Entrance': '55555555-5555-5555-5555-777777777702',
    'assa_abloy_vostio:entrance:Elevator A': '55555555-5555-5555-5555-777777777703',
  },
  account: {
    account_type: 'assa_abloy_vostio',
    account_type_display_name: 'ASSA ABLOY Vostio',
    display_name: 'My Vostio Site',
  },
  system: {
    name: 'Sandbox Vostio Hotel',
    external_type_display_name: 'ASSA ABLOY Vostio',
    time_zone: 'Europe/Stockholm',
  },
  doors: [
    ...rooms.map((room) => door(`Room ${room}`, room, 'GuestDoor')),
    door('Fitness Center', 10, 'CommonDoor'),
    door('Hotel Entrance', 1, 'EntranceDoor'),
    door('Elevator A', 20, 'Elevator'),
  ],
  encoders: ['Vostio Front Desk Encoder'],
  blankCard,
}
