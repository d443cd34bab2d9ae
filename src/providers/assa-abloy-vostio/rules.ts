import type { AcsCredentialRow, AcsEntranceRow } from '../../db/schema.js'
import { type CreateCredentialBody, dataOf, type ReservationRole } from '../access-system.js'

/**
 * Vostio's override and join rule, as pure functions (the provider in index.ts hands
 * them the rows the core gives it).
 *
 * A Vostio guest key either overrides guest doors or joins the keys already there:
 * - `override_all_guest_acs_entrances: true` overrides all of its guest doors;
 *   `override_guest_acs_entrance_ids` overrides those (guest doors of the credential's
 *   `allowed_acs_entrance_ids`). Once such a card is encoded, every other issued Vostio
 *   card for any of those doors stops working (`acs_credential.invalidated`, an
 *   `overridden` error on the credential), except cards that joined it.
 * - `join_all_guest_acs_entrances: true`, or neither flag, makes a joiner: earlier
 *   cards keep working.
 * - `auto_join: true` decides at each encoding from the other working issued cards on
 *   its guest doors: none, it is an override card (of all its guest doors); some, it
 *   joins them (and they keep working when it is encoded again later).
 * Common doors, entrance doors and elevators are never overridden; only guest doors
 * belong to reservations. Contradictory options are refused.
 */

export const key = 'assa_abloy_vostio'

/** The document's `door_type`s of a Vostio entrance, stored as its `door_category`. */
export type VostioDoorType = 'GuestDoor' | 'CommonDoor' | 'EntranceDoor' | 'Elevator'

export const isGuestDoor = (entrance: Pick<AcsEntranceRow, 'door_category'>): boolean =>
  entrance.door_category === 'GuestDoor'

/** What a key does to the other keys of its guest doors, as requested. */
export type KeyRole =
  | { kind: 'override_all' }
  | { kind: 'override'; acs_entrance_ids: string[] }
  | { kind: 'join' }
  | { kind: 'auto_join' }

/** Vostio details of a credential, as requested and as the system assigned them. */
export interface VostioCredentialData {
  key_id: string
  role: KeyRole
  /** `auto_join` as requested, shown on the credential. */
  auto_join?: boolean
  /** Cards it joined: its reservation's earlier cards, or those an auto-join card found. */
  joined_acs_credential_ids?: string[]
  /** What an auto-join card was at its last encoding. */
  auto_join_outcome?: 'override' | 'join'
  card_id?: string
  key_issuing_request_id?: string
  issued_card_count: number
  /** When an override card of one of its guest doors stopped its card, and which. */
  overridden_at?: string
  overridden_by_acs_credential_id?: string
}

/** The requested part of the data (`readCredentialRequest`'s options). */
export type RequestedKey = Pick<VostioCredentialData, 'role' | 'auto_join'>

export const credentialData = (row: Pick<AcsCredentialRow, 'provider_data'>) =>
  dataOf<VostioCredentialData>(row.provider_data, key)

export const parameter = 'assa_abloy_vostio_metadata'
const overrideIdsParameter = `${parameter}.override_guest_acs_entrance_ids`

export type Problem = { message: string; parameter: string }

/** Reads `assa_abloy_vostio_metadata` of `/acs/credentials/create`. */
export const readRequest = (body: CreateCredentialBody): RequestedKey | Problem => {
  const metadata = body.assa_abloy_vostio_metadata ?? {}
  const overrideAll = metadata.override_all_guest_acs_entrances === true
  const joinAll = metadata.join_all_guest_acs_entrances === true
  const overrideIds = [...new Set(metadata.override_guest_acs_entrance_ids ?? [])]
  const autoJoin = metadata.auto_join === true
  const chosen = [
    overrideAll && 'override_all_guest_acs_entrances',
    overrideIds.length > 0 && 'override_guest_acs_entrance_ids',
    joinAll && 'join_all_guest_acs_entrances',
    autoJoin && 'auto_join',
  ].filter((name): name is string => typeof name === 'string')
  if (chosen.length > 1) {
    return {
      message: `${parameter}: ${chosen.join(' and ')} contradict each other; set at most one (override_all_guest_acs_entrances or override_guest_acs_entrance_ids: an override card; join_all_guest_acs_entrances: a joiner; auto_join: Keysmith decides at encoding)`,
      parameter,
    }
  }
  const role: KeyRole = overrideAll
    ? { kind: 'override_all' }
    : overrideIds.length > 0
      ? { kind: 'override', acs_entrance_ids: overrideIds }
      : autoJoin
        ? { kind: 'auto_join' }
        : { kind: 'join' }
  return metadata.auto_join !== undefined ? { role, auto_join: metadata.auto_join } : { role }
}

export const isProblem = (value: RequestedKey | Problem): value is Problem => 'message' in value

/** Override ids must be guest doors among the credential's entrances. */
export const entranceProblem = (
  requested: RequestedKey,
  entrances: readonly Pick<AcsEntranceRow, 'acs_entrance_id' | 'door_category'>[],
): Problem | undefined => {
  if (requested.role.kind !== 'override') return undefined
  for (const id of requested.role.acs_entrance_ids) {
    const entrance = entrances.find((e) => e.acs_entrance_id === id)
    if (!entrance) {
      return {
        message: `${overrideIdsParameter}: entrance ${id} is not among the credential's allowed_acs_entrance_ids`,
        parameter,
      }
    }
    if (!isGuestDoor(entrance)) {
      return {
        message: `${overrideIdsParameter}: entrance ${id} is not a guest door (only guest doors can be overridden)`,
        parameter,
      }
    }
  }
  return undefined
}

/** A card of an Access Grant: the first of a stay overrides, later ones join it; plain cards join. */
export const fromReservation = (
  role: ReservationRole | undefined,
): Partial<VostioCredentialData> =>
  role?.role === 'first_of_stay'
    ? { role: { kind: 'override_all' } }
    : role?.role === 'joins'
      ? { role: { kind: 'join' }, joined_acs_credential_ids: role.acs_credential_ids }
      : {}

const guestIds = (
  entrances: readonly Pick<AcsEntranceRow, 'acs_entrance_id' | 'door_category'>[],
) => entrances.filter(isGuestDoor).map((e) => e.acs_entrance_id)

/** The guest doors the card overrides (as decided so far: an auto-join card once encoded). */
export const overriddenDoors = (
  data: VostioCredentialData,
  entrances: readonly Pick<AcsEntranceRow, 'acs_entrance_id' | 'door_category'>[],
): string[] => {
  const guest = guestIds(entrances)
  switch (data.role.kind) {
    case 'override_all':
      return guest
    case 'override': {
      const ids = data.role.acs_entrance_ids
      return guest.filter((id) => ids.includes(id))
    }
    case 'auto_join':
      return data.auto_join_outcome === 'override' ? guest : []
    case 'join':
      return []
  }
}

/** The doors whose other cards the card may stop when encoded (an auto-join card: all its guest doors). */
export const doorsAtStake = (
  data: VostioCredentialData,
  entrances: readonly Pick<AcsEntranceRow, 'acs_entrance_id' | 'door_category'>[],
): string[] =>
  data.role.kind === 'auto_join' ? guestIds(entrances) : overriddenDoors(data, entrances)

const works = (row: AcsCredentialRow): boolean => {
  const data = credentialData(row)
  return data !== undefined && data.overridden_at === undefined
}

/**
 * An auto-join card just encoded, given the other issued cards on its guest doors:
 * with none working it is an override card, else it joins them.
 */
export const settleAutoJoin = (
  encoded: AcsCredentialRow,
  others: readonly AcsCredentialRow[],
): VostioCredentialData | undefined => {
  const data = credentialData(encoded)
  if (data?.role.kind !== 'auto_join') return undefined
  const working = others
    .filter((o) => o.acs_credential_id !== encoded.acs_credential_id && works(o))
    .map((o) => o.acs_credential_id)
  return working.length > 0
    ? { ...data, auto_join_outcome: 'join', joined_acs_credential_ids: working }
    : { ...data, auto_join_outcome: 'override', joined_acs_credential_ids: [] }
}

const overrides = (data: VostioCredentialData): boolean =>
  data.role.kind === 'override_all' ||
  data.role.kind === 'override' ||
  (data.role.kind === 'auto_join' && data.auto_join_outcome === 'override')

/** The other card's data once the encoded card stops it; undefined: it keeps working. */
export const stopCard = (
  encoded: AcsCredentialRow,
  other: AcsCredentialRow,
  now: Date,
): VostioCredentialData | undefined => {
  const card = credentialData(encoded)
  const stopped = credentialData(other)
  if (
    !card ||
    !stopped ||
    !overrides(card) ||
    other.acs_credential_id === encoded.acs_credential_id ||
    stopped.overridden_at !== undefined ||
    stopped.joined_acs_credential_ids?.includes(encoded.acs_credential_id) ||
    card.joined_acs_credential_ids?.includes(other.acs_credential_id)
  ) {
    return undefined
  }
  return {
    ...stopped,
    overridden_at: now.toISOString(),
    overridden_by_acs_credential_id: encoded.acs_credential_id,
  }
}

/** Its data once encoded anew: a card encoded again works again. */
export const afterEncoding = (
  data: VostioCredentialData,
  encoding: { cardId: string; issuedCardCount: number; keyIssuingRequestId: string },
): VostioCredentialData => {
  const { overridden_at: _at, overridden_by_acs_credential_id: _by, ...rest } = data
  return {
    ...rest,
    card_id: encoding.cardId,
    issued_card_count: encoding.issuedCardCount,
    key_issuing_request_id: encoding.keyIssuingRequestId,
  }
}
