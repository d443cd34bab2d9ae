import {
  blankDesfireCard,
  createSandboxDesfireEncoder,
  type DesfireKeyCardScheme,
} from '../desfire-key-card.js'

/**
 * A virtual dormakaba Ambiance card encoder: the sandbox card encoder with
 * Ambiance's key cards (MIFARE DESFire, `../desfire-key-card.ts`), each carrying the
 * doors of its holder's access groups.
 */
export const ambianceCards: DesfireKeyCardScheme = {
  key: 'dormakaba_ambiance',
  dataIdField: 'credential_id',
  keyIdField: 'ambiance_credential_id',
  cardIdField: 'ambiance_card_id',
  encoderName: 'the Ambiance encoder',
  strangerHolder: 'Guest',
  systemName: 'dormakaba Ambiance',
}

export const blankCard = blankDesfireCard

export const createSandboxAmbianceDriver = (options: { delayMs: number }) =>
  createSandboxDesfireEncoder(ambianceCards, options)
