import type {
  AccessSystemProvider,
  CredentialOnEncoder,
  ReservationRole,
} from '../access-system.js'
import { dataOf } from '../access-system.js'
import type { ProviderSettings } from '../settings.js'
import {
  outOfSyncProperties,
  readCard,
  splitEntrances,
  type VisionlineCredentialImage,
  type VisionlineCredentialOnEncoder,
} from './card.js'
import { createSandboxVisionlineDriver } from './sandbox-driver.js'
import { sandboxHotel } from './seed.js'

/**
 * ASSA ABLOY Visionline: hotel key cards written at encoders. Its doors are guest
 * rooms, common areas and elevator readers; guest cards follow the override rule
 * (an override card stops the earlier cards of its guest rooms, except cards that
 * join it or that it joins).
 */

const key = 'visionline'

/** Visionline details of a credential, as requested and as assigned by the system. */
export interface VisionlineCredentialData {
  card_format: 'TLCode' | 'rfid48'
  card_function_type: 'guest' | 'staff'
  credential_id: string
  card_id?: string
  override?: boolean
  auto_join?: boolean
  joiner_acs_credential_ids?: string[]
  /** How many cards this credential has been encoded onto. */
  issued_card_count: number
  /** When an override card for one of its guest rooms made its card stop working. */
  overridden_at?: string
}

type RequestedData = Partial<Omit<VisionlineCredentialData, 'credential_id' | 'issued_card_count'>>

const credentialData = (row: { provider_data: Record<string, unknown> }) =>
  dataOf<VisionlineCredentialData>(row.provider_data, key)

const fromReservation = (role: ReservationRole | undefined): RequestedData => {
  if (role?.role === 'first_of_stay') return { override: true }
  if (role?.role === 'joins') return { joiner_acs_credential_ids: role.acs_credential_ids }
  return {}
}

const withoutOverride = ({
  overridden_at: _cleared,
  ...rest
}: VisionlineCredentialData): VisionlineCredentialData => rest

export const visionline = (settings: ProviderSettings): AccessSystemProvider => {
  const sandboxDriver = createSandboxVisionlineDriver({ delayMs: settings.sandboxActionDelayMs })
  return {
    externalType: 'visionline_system',
    key,
    traits: {
      accessMethods: ['card'],
      credentials: { card: { type: 'visionline_card', name: 'Visionline Card' } },
      generatesCodes: false,
      encodesCards: true,
      image: {
        url: 'https://connect.getseam.com/assets/images/acs_systems/assa_abloy_visionline_logo.png',
        alt: 'ASSA ABLOY Visionline logo',
      },
    },

    readCredentialRequest(body) {
      const metadata = body.visionline_metadata
      const joiners = [...new Set(metadata?.joiner_acs_credential_ids ?? [])]
      const options: RequestedData = {
        ...(metadata?.card_format !== undefined ? { card_format: metadata.card_format } : {}),
        ...(metadata?.card_function_type !== undefined
          ? { card_function_type: metadata.card_function_type }
          : {}),
        // is_override_key is the deprecated name of override.
        ...((metadata?.override ?? metadata?.is_override_key) !== undefined
          ? { override: metadata?.override ?? metadata?.is_override_key }
          : {}),
        ...(metadata?.auto_join !== undefined ? { auto_join: metadata.auto_join } : {}),
        ...(joiners.length > 0 ? { joiner_acs_credential_ids: joiners } : {}),
      }
      // A card joins other cards of the same access system (a shared room).
      return { options, linkedCredentialIds: joiners, linkedParameter: 'visionline_metadata' }
    },

    async newCredential(request, allocateNumber) {
      if (request.accessMethod !== 'card') {
        return { code: request.code ?? null, cardNumber: null, issuedAtOnce: true, data: undefined }
      }
      // A card waits for its encoding; it gets the system's next credential number.
      const requested = (request.options as RequestedData | undefined) ?? {}
      const data: VisionlineCredentialData = {
        card_format: 'rfid48',
        card_function_type: 'guest',
        ...requested,
        ...fromReservation(request.reservation),
        credential_id: String(await allocateNumber()),
        issued_card_count: 0,
      }
      return { code: null, cardNumber: null, issuedAtOnce: false, data }
    },

    presentCredential({ row, entrances, now }) {
      const data = credentialData(row)
      if (!data) return {}
      const { guest, common } = splitEntrances(entrances)
      return {
        visionline_metadata: {
          card_function_type: data.card_function_type,
          credential_id: data.credential_id,
          ...(data.card_id !== undefined ? { card_id: data.card_id } : {}),
          ...(data.auto_join !== undefined ? { auto_join: data.auto_join } : {}),
          ...(data.joiner_acs_credential_ids
            ? { joiner_acs_credential_ids: data.joiner_acs_credential_ids }
            : {}),
          guest_acs_entrance_ids: guest,
          common_acs_entrance_ids: common,
          is_valid: (row.ends_at === null || row.ends_at > now) && data.overridden_at === undefined,
        },
      }
    },

    presentSystem(row) {
      const data = dataOf<Record<string, string>>(row.provider_data, key)
      return data ? { visionline_metadata: data } : {}
    },

    // Guest rooms belong to a reservation; common areas and elevators do not.
    canBelongToReservation: (entrance) => entrance.door_category === 'guest',

    cardImage({ row, entrances, cardHolder }): VisionlineCredentialImage {
      const data = credentialData(row)
      const { guest, common } = splitEntrances(entrances)
      return {
        acs_credential_id: row.acs_credential_id,
        card_holder: cardHolder,
        card_format: data?.card_format ?? 'rfid48',
        card_function_type: data?.card_function_type ?? 'guest',
        visionline_credential_id: data?.credential_id ?? row.acs_credential_id,
        starts_at: row.starts_at?.toISOString() ?? null,
        ends_at: row.ends_at?.toISOString() ?? null,
        guest_acs_entrance_ids: guest,
        common_acs_entrance_ids: common,
      }
    },

    issuedCardCount: (row) => credentialData(row)?.issued_card_count ?? 0,

    afterEncoding(row, { externalCardId, issuedCardCount }) {
      const data = credentialData(row)
      // A card encoded anew works again, even if an override had stopped its last one.
      return data
        ? { ...withoutOverride(data), card_id: externalCardId, issued_card_count: issuedCardCount }
        : undefined
    },

    readCard: (card, now, credential): CredentialOnEncoder =>
      readCard(card, now, {
        overridden: credential ? credentialData(credential)?.overridden_at !== undefined : false,
      }),

    outOfSyncProperties: (onEncoder, onSeam) =>
      outOfSyncProperties(onEncoder as VisionlineCredentialOnEncoder, onSeam),

    // The override rule: an override card stops every other issued card of its guest rooms.
    doorsOverriddenBy({ row, entrances }) {
      if (!credentialData(row)?.override) return []
      return splitEntrances(entrances).guest
    },

    stopCard(encoded, other, now) {
      const card = credentialData(other)
      const joined = credentialData(encoded)?.joiner_acs_credential_ids ?? []
      if (
        !card ||
        other.acs_credential_id === encoded.acs_credential_id ||
        card.overridden_at !== undefined ||
        joined.includes(other.acs_credential_id) ||
        card.joiner_acs_credential_ids?.includes(encoded.acs_credential_id)
      ) {
        return undefined
      }
      return { ...card, overridden_at: now.toISOString() }
    },

    encoderDriver: (isSandbox) => (isSandbox ? sandboxDriver : undefined),
    sandboxSite: sandboxHotel,
  }
}
