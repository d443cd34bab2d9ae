import { randomBytes, randomInt } from 'node:crypto'
import type { AccessSystemProvider, SandboxSite } from '../access-system.js'
import type { ProviderSettings } from '../settings.js'
import type { CardState } from '../types.js'
import { withoutEncodedCards } from '../unknown.js'
import { createSandboxTagReader } from './sandbox-tag-reader.js'

/**
 * Salto KS: a cloud access system for residential and office buildings. It makes up
 * PIN codes itself (a requested code is refused). Its cards are tags registered in
 * the system and never encoded: `/acs/credentials/create` assigns the credential to a
 * tag Salto KS registers itself (issued at once); a card an Access Grant asks for
 * waits until a registered tag is assigned to it (`/access_methods/assign_card`, by
 * number); a tag read at its encoder is assigned to a user
 * (`/acs/encoders/scan_to_assign_credential`; `salto_ks_metadata.detect_new_tags`
 * registers a tag the system does not know yet).
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

const tag = (card_number: string): CardState => ({
  card_number,
  card_format: 'mifare_desfire',
  contents: null,
})

/**
 * Tags registered in the sandbox site at first: one lying on the leasing office's
 * encoder, three in its drawer (assign them by number with `/access_methods/assign_card`).
 */
export const sandboxTagNumbers = {
  onEncoder: '04A1B2C3D4E500',
  inDrawer: ['04A1B2C3D4E501', '04A1B2C3D4E502', '04A1B2C3D4E503'],
}

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
  encoders: ['Leasing Office Encoder'],
  blankCard: () => tag(sandboxTagNumbers.onEncoder),
  registeredCards: sandboxTagNumbers.inDrawer.map(tag),
}

export const saltoKs = (settings: ProviderSettings): AccessSystemProvider => {
  const sandboxReader = createSandboxTagReader({
    delayMs: settings.sandboxActionDelayMs,
    newTagNumber: generateTagNumber,
  })
  return {
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
      preRegisteredCards: {
        registersNewCards: (body) => body.salto_ks_metadata?.detect_new_tags === true,
        registerHint: 'scan again with salto_ks_metadata.detect_new_tags: true to register it',
      },
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
    encoderDriver: (isSandbox) => (isSandbox ? sandboxReader : undefined),
    sandboxSite: sandboxResidences,
  }
}
