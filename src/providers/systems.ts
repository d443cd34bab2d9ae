import { randomBytes, randomInt } from 'node:crypto'
import type { AcsCredential, AcsUser } from '@seamapi/types/connect'

/**
 * What each kind of access system can do, by its `external_type`. The domain asks
 * here instead of testing brand names itself.
 */
export interface AccessSystemTraits {
  /** Access methods the system issues credentials for. */
  accessMethods: readonly AcsCredential['access_method'][]
  /** Brand name of the system's credentials of each access method, e.g. Visionline Card. */
  credentials: Partial<
    Record<
      AcsCredential['access_method'],
      { type: NonNullable<AcsCredential['external_type']>; name: string }
    >
  >
  user?: { type: NonNullable<AcsUser['external_type']>; name: string }
  /** The system makes up PIN codes itself; a requested code is refused. */
  generatesCodes: boolean
  /**
   * Cards are written at an encoder (Visionline). Otherwise the system assigns the
   * credential to a registered card or tag itself: it is issued at once, and
   * changing it needs no re-encoding.
   */
  encodesCards: boolean
  /** Cards carry Visionline's split of doors into guest rooms and common areas. */
  visionline: boolean
}

const traits: Record<string, AccessSystemTraits> = {
  visionline_system: {
    accessMethods: ['card'],
    credentials: { card: { type: 'visionline_card', name: 'Visionline Card' } },
    generatesCodes: false,
    encodesCards: true,
    visionline: true,
  },
  salto_ks_site: {
    accessMethods: ['code', 'card'],
    credentials: {
      code: { type: 'salto_ks_credential', name: 'Salto KS Credential' },
      card: { type: 'salto_ks_tag', name: 'Salto KS Tag' },
    },
    user: { type: 'salto_site_user', name: 'Salto site user' },
    generatesCodes: true,
    encodesCards: false,
    visionline: false,
  },
}

const none: AccessSystemTraits = {
  accessMethods: [],
  credentials: {},
  generatesCodes: false,
  encodesCards: false,
  visionline: false,
}

export const systemTraits = (externalType: string): AccessSystemTraits =>
  traits[externalType] ?? none

/**
 * Whether an entrance can belong to a reservation: the guest rooms of override-based
 * systems (Visionline marks its doors guest, common or elevator reader).
 */
export const canBelongToReservation = (entrance: { door_category: string | null }): boolean =>
  entrance.door_category === 'guest'

/** A PIN as Salto KS makes them: six digits, not starting with 0. */
export const generatePinCode = (): string => String(randomInt(100_000, 1_000_000))

/** The number of a tag a system assigns itself, as Salto KS reports them. */
export const generateTagNumber = (): string => randomBytes(7).toString('hex').toUpperCase()
