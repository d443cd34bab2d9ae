import {
  blankDesfireCard,
  createSandboxDesfireEncoder,
  type DesfireKeyCardScheme,
} from '../desfire-key-card.js'

/**
 * A virtual Salto NCoder: the sandbox card encoder with Salto Space's cards (MIFARE
 * DESFire, `../desfire-key-card.ts`). Salto Space keeps one key per user, so updating
 * a key rewrites that user's card.
 */
export const saltoSpaceCards: DesfireKeyCardScheme = {
  key: 'salto_space',
  dataIdField: 'key_id',
  keyIdField: 'salto_space_key_id',
  cardIdField: 'salto_space_card_id',
  encoderName: 'the NCoder',
  strangerHolder: 'Visitor',
  systemName: 'Salto Space',
}

export const blankCard = blankDesfireCard

export const createSandboxSaltoSpaceDriver = (options: { delayMs: number }) =>
  createSandboxDesfireEncoder(saltoSpaceCards, options)
