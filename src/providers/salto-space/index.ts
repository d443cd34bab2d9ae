import type { AccessSystemProvider } from '../access-system.js'
import { desfireKeyCards } from '../desfire-key-card.js'
import type { ProviderSettings } from '../settings.js'
import { createSandboxSaltoSpaceDriver, saltoSpaceCards } from './sandbox-driver.js'
import { sandboxOffices } from './seed.js'

/**
 * Salto ProAccess Space: an on-premises access system. Access is given by access
 * groups preconfigured with entrances, never per credential; a user holds at most
 * one key card, written at an NCoder encoder.
 *
 * `salto_space_metadata.assign_new_key` on `/acs/credentials/create`:
 * - true (or left out): a first card, or a replacement after the user's previous
 *   card credential was deleted (a lost card). A user who still has one is refused.
 * - false: update the user's existing card (after access group changes): the answer
 *   is that existing credential, opening the doors of the user's groups now; when
 *   its card was encoded with other doors it needs encoding again.
 * Seam's guide sends `assign_new_card`, which is not the document's field: refused
 * with a message naming `assign_new_key`. `update_current_key` (undocumented, "not
 * used") is read as the opposite of `assign_new_key` when that is left out.
 */

const key = saltoSpaceCards.key

export interface SaltoSpaceCredentialData {
  /** The key's id in the Salto Space system. */
  key_id: string
  /** The card it was last encoded onto. */
  card_id?: string
  issued_card_count: number
}

const hints = {
  parameter: 'salto_space_metadata',
  updateHint:
    "to update the user's existing card after access group changes, set salto_space_metadata.assign_new_key to false",
  newHint: 'to assign a first card, set salto_space_metadata.assign_new_key to true',
}

export const saltoSpace = (settings: ProviderSettings): AccessSystemProvider => {
  const sandboxDriver = createSandboxSaltoSpaceDriver({ delayMs: settings.sandboxActionDelayMs })
  return {
    externalType: 'salto_space_system',
    key,
    traits: {
      accessMethods: ['card'],
      credentials: { card: { type: 'salto_space_key', name: 'Salto Space Key' } },
      user: { type: 'salto_space_user', name: 'Salto Space User' },
      accessGroups: { type: 'salto_space_group', name: 'Salto Space Group' },
      onePerUser: ['card'],
      generatesCodes: false,
      encodesCards: true,
      image: {
        url: 'https://connect.getseam.com/assets/images/acs_systems/salto_space_logo.png',
        alt: 'Salto Space logo',
      },
    },

    readCredentialRequest(body) {
      const metadata = body.salto_space_metadata as Record<string, unknown> | undefined
      const base = { options: undefined, linkedCredentialIds: [], linkedParameter: hints.parameter }
      if (metadata && 'assign_new_card' in metadata) {
        return {
          ...base,
          problem: {
            message:
              "salto_space_metadata.assign_new_card is not a parameter of /acs/credentials/create: use salto_space_metadata.assign_new_key (true: assign a first or replacement card; false: update the user's existing card)",
            parameter: 'salto_space_metadata',
          },
        }
      }
      const assignNew = body.salto_space_metadata?.assign_new_key
      const updateCurrent = body.salto_space_metadata?.update_current_key
      if (assignNew !== undefined && updateCurrent !== undefined && assignNew === updateCurrent) {
        return {
          ...base,
          problem: {
            message:
              'salto_space_metadata.assign_new_key and update_current_key contradict each other; set only assign_new_key',
            parameter: 'salto_space_metadata',
          },
        }
      }
      const updatesExisting = assignNew === undefined ? updateCurrent === true : !assignNew
      return { ...base, existing: { update: updatesExisting, ...hints } }
    },

    // The document gives acs_credential no Salto Space fields.
    presentCredential: () => ({}),
    presentSystem: () => ({}),
    canBelongToReservation: () => false,

    ...desfireKeyCards(saltoSpaceCards),

    // Salto Space cards do not override one another.
    doorsOverriddenBy: () => [],
    stopCard: () => undefined,

    encoderDriver: (isSandbox) => (isSandbox ? sandboxDriver : undefined),
    sandboxSite: sandboxOffices,
  }
}
