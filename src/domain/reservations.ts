import {
  accessMethodsOfGrants,
  findAccessGrantsByReservation,
  findGrantEntrances,
} from '../db/access-grants.js'
import { findAcsSystemsByIds } from '../db/acs-systems.js'
import type { AccessGrantRow, AcsEntranceRow, Executor } from '../db/schema.js'
import type { ReservationRole } from '../providers/access-system.js'
import type { ProviderRegistry } from '../providers/index.js'
import { DomainError, invalidInput } from './errors.js'

/**
 * Reservations: Access Grants sharing a `reservation_key` are one stay (Seam's
 * "Reservation Access Grants" guide). The first grant of a reservation issues cards
 * that are the first of the stay (on override-based hotel systems they override
 * earlier guests' cards of its guest rooms); later grants of the same reservation
 * issue cards that join them, so every guest of the stay keeps access. Which
 * entrances can belong to a reservation is the access system's provider's rule;
 * the others (common areas) are provisioned as usual.
 */

const overlap = (a: AccessGrantRow, b: AccessGrantRow): boolean =>
  (a.ends_at === null || b.starts_at === null || b.starts_at < a.ends_at) &&
  (b.ends_at === null || a.starts_at === null || a.starts_at < b.ends_at)

const conflict = (type: string, message: string): DomainError =>
  new DomainError('conflict', type, message)

/** The other grants of the reservation, oldest first. */
const otherGrants = async (db: Executor, grant: AccessGrantRow): Promise<AccessGrantRow[]> =>
  grant.reservation_key === null
    ? []
    : (await findAccessGrantsByReservation(db, grant.workspace_id, grant.reservation_key)).filter(
        (g) => g.access_grant_id !== grant.access_grant_id,
      )

const reservationDoors = async (
  db: Executor,
  providers: ProviderRegistry,
  entrances: readonly AcsEntranceRow[],
): Promise<Set<string>> => {
  const systems = await findAcsSystemsByIds(
    db,
    entrances.map((e) => e.acs_system_id),
  )
  return new Set(
    entrances
      .filter((e) =>
        providers
          .forSystem(systems.get(e.acs_system_id)?.external_type ?? '')
          .canBelongToReservation(e),
      )
      .map((e) => e.acs_entrance_id),
  )
}

/**
 * The guide's rules for a new grant with a `reservation_key`: at least one of the
 * entrances it reaches can belong to a reservation (400); its reservation-capable
 * doors are those of the reservation or a subset of them (409); its times overlap
 * those of the reservation's other grants (409).
 */
export const assertReservationRules = async (
  db: Executor,
  providers: ProviderRegistry,
  grant: AccessGrantRow,
): Promise<void> => {
  if (grant.reservation_key === null) return
  const doors = await reservationDoors(db, providers, await findGrantEntrances(db, grant))
  if (doors.size === 0) {
    throw invalidInput(
      'reservation_key not supported: none of the entrances can belong to a reservation. Remove reservation_key or include a reservation-capable entrance (a guest room).',
      'reservation_key',
    )
  }
  const others = await otherGrants(db, grant)
  const [first] = others
  if (!first) return
  const established = await reservationDoors(db, providers, await findGrantEntrances(db, first))
  if (![...doors].every((door) => established.has(door))) {
    throw [...established].every((door) => doors.has(door))
      ? conflict(
          'reservation_joiner_entrance_set_conflict',
          'Joiner access grants must use the same or a subset of the reservation-capable doors.',
        )
      : conflict(
          'reservation_entrance_change_requires_cleanup',
          'To change the doors for this reservation, delete the existing access grants first.',
        )
  }
  assertOverlap(grant, others)
}

/** New times of a grant of a reservation must still overlap its other grants' (409). */
export const assertTimesFitReservation = async (
  db: Executor,
  grant: AccessGrantRow,
): Promise<void> => assertOverlap(grant, await otherGrants(db, grant))

const assertOverlap = (grant: AccessGrantRow, others: readonly AccessGrantRow[]): void => {
  if (!others.every((other) => overlap(grant, other))) {
    throw conflict(
      'reservation_time_frames_must_overlap',
      'Access grants in the same reservation must have overlapping time frames; use another reservation_key for a separate stay.',
    )
  }
}

/**
 * How a new card of the grant in an access system takes part in its reservation: the
 * first grant's cards are the first of the stay; a later grant's cards join the cards
 * the reservation's earlier grants hold in that system. Grants without a reservation
 * get plain cards (none). The access system's provider turns the role into its rule.
 */
export const reservationCardRole = async (
  db: Executor,
  grant: AccessGrantRow,
  acsSystemId: string,
): Promise<ReservationRole | undefined> => {
  if (grant.reservation_key === null) return undefined
  const earlier = (await otherGrants(db, grant)).filter(
    (g) =>
      g.created_at < grant.created_at ||
      (g.created_at.getTime() === grant.created_at.getTime() &&
        g.access_grant_id < grant.access_grant_id),
  )
  const joined = (
    await accessMethodsOfGrants(
      db,
      earlier.map((g) => g.access_grant_id),
    )
  ).flatMap((m) =>
    m.mode === 'card' && m.acs_system_id === acsSystemId && m.acs_credential_id
      ? [m.acs_credential_id]
      : [],
  )
  return joined.length > 0
    ? { role: 'joins', acs_credential_ids: joined }
    : { role: 'first_of_stay' }
}
