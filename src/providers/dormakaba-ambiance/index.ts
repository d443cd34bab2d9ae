import type { AccessSystemProvider } from '../access-system.js'
import { desfireKeyCards } from '../desfire-key-card.js'
import type { ProviderSettings } from '../settings.js'
import { ambianceCards, createSandboxAmbianceDriver } from './sandbox-driver.js'
import { sandboxResort } from './seed.js'

/**
 * dormakaba Ambiance: a hospitality access system. What Keysmith does, and why
 * (the OpenAPI document of `@seamapi/types` decides names and fields):
 *
 * - **Access only through access groups.** The document has
 *   `dormakaba_ambiance_access_group`, so Ambiance follows the access group model
 *   (`traits.accessGroups`, `src/domain/access-groups.ts`): a card opens the entrances
 *   of its user's groups, never entrances named on the credential
 *   (`allowed_acs_entrance_ids` is refused), and follows the user's group changes
 *   (an encoded card then needs encoding again).
 * - **Cards only**, written at the site's encoders (MIFARE DESFire). Mobile keys need a
 *   credential manager (LEGIC Connect), which Keysmith does not have.
 * - **Several cards per user.** The document gives `/acs/credentials/create` no
 *   Ambiance parameter to choose between a new card and updating the user's one (as
 *   it does for systems with one key per user), and Ambiance is a hotel system in
 *   which a guest may carry more than one key card, so no one-card-per-user rule: each
 *   card credential is its own card, and every one of them opens the doors of the
 *   user's groups (and the entrances granted to the user).
 * - **No Ambiance fields on resources** but entrances': the document defines none on
 *   `acs_credential`, `acs_system` or `acs_user`, and no Ambiance `acs_user`
 *   `external_type`, so users carry none. Entrances carry
 *   `dormakaba_ambiance_metadata.access_point_name`.
 * - **No remote unlock** (brand guide): entrances report `can_unlock_with_cloud_key:
 *   false` and no `cloud_key` credential is issued; Keysmith serves no unlock endpoint.
 * - Entrances cannot belong to a reservation: Keysmith does not model Ambiance's
 *   override rule, so a grant's `reservation_key` on them is refused rather than
 *   silently giving cards that override nothing.
 */

const key = ambianceCards.key

export interface AmbianceCredentialData {
  /** The credential's id in the Ambiance system. */
  credential_id: string
  /** The card it was last encoded onto. */
  card_id?: string
  issued_card_count: number
}

export const dormakabaAmbiance = (settings: ProviderSettings): AccessSystemProvider => {
  const sandboxDriver = createSandboxAmbianceDriver({ delayMs: settings.sandboxActionDelayMs })
  return {
    externalType: 'dormakaba_ambiance_site',
    key,
    traits: {
      accessMethods: ['card'],
      credentials: {
        card: { type: 'dormakaba_ambiance_credential', name: 'dormakaba Ambiance Credential' },
      },
      accessGroups: {
        type: 'dormakaba_ambiance_access_group',
        name: 'dormakaba Ambiance Access Group',
      },
      generatesCodes: false,
      encodesCards: true,
      remoteUnlock: false,
    },

    // The document defines no Ambiance parameter of /acs/credentials/create.
    readCredentialRequest: () => ({
      options: undefined,
      linkedCredentialIds: [],
      linkedParameter: '',
    }),

    // The document gives acs_credential and acs_system no Ambiance fields.
    presentCredential: () => ({}),
    presentSystem: () => ({}),
    canBelongToReservation: () => false,

    ...desfireKeyCards(ambianceCards),

    // Without reservations no Ambiance card overrides another.
    doorsOverriddenBy: () => [],
    stopCard: () => undefined,

    encoderDriver: (isSandbox) => (isSandbox ? sandboxDriver : undefined),
    sandboxSite: sandboxResort,
  }
}
