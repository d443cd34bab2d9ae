import { randomBytes, randomInt } from 'node:crypto'
import type { AccessSystemProvider, SandboxSite } from '../access-system.js'
import { withoutEncodedCards } from '../unknown.js'

/**
 * Salto KS: a cloud access system for residential and office buildings. It makes up
 * PIN codes itself (a requested code is refused), and assigns a card credential to a
 * tag it registers itself: both are issued at once, and nothing is encoded.
 */

/** A PIN as Salto KS makes them: six digits, not starting with 0. */
export const generatePinCode = (): string => String(randomInt(100_000, 1_000_000))

/** The number of a tag Salto KS assigns itself, as it reports them. */
export const generateTagNumber = (): string => randomBytes(7).toString('hex').toUpperCase()

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

const sandboxResidences: SandboxSite = {
  idPrefix: 'salto_ks:',
  account: {
    account_type: 'salto_ks',
    account_type_display_name: 'Salto KS',
    display_name: 'jane@example.com',
  },
  system: {
    name: 'Sandbox Salto KS Residences',
    external_type_display_name: 'Salto KS',
    time_zone: 'Europe/Madrid',
  },
  doors: ['Main Entrance', 'Bike Room', 'Rooftop', 'Apartment 1A', 'Apartment 1B'].map(saltoKsDoor),
  encoders: [],
}

export const saltoKs = (): AccessSystemProvider => ({
  externalType: 'salto_ks_site',
  key: 'salto_ks',
  traits: {
    accessMethods: ['code', 'card'],
    credentials: {
      code: { type: 'salto_ks_credential', name: 'Salto KS Credential' },
      card: { type: 'salto_ks_tag', name: 'Salto KS Tag' },
    },
    user: { type: 'salto_site_user', name: 'Salto site user' },
    generatesCodes: true,
    encodesCards: false,
  },
  readCredentialRequest: () => ({
    options: undefined,
    linkedCredentialIds: [],
    linkedParameter: '',
  }),
  newCredential: async (request) => ({
    code: request.accessMethod === 'code' ? generatePinCode() : null,
    cardNumber: request.accessMethod === 'card' ? generateTagNumber() : null,
    // A PIN, or a tag the system assigns itself, is held as soon as it syncs.
    issuedAtOnce: request.accessMethod === 'code' || request.accessMethod === 'card',
    data: undefined,
  }),
  ...withoutEncodedCards,
  sandboxSite: sandboxResidences,
})
