import { randomUUID } from 'node:crypto'
import type { CredentialImage, KnownCard } from '../../src/providers/types.js'
import type { VisionlineCredentialImage } from '../../src/providers/visionline/card.js'
import {
  blankCard,
  createSandboxVisionlineDriver,
} from '../../src/providers/visionline/sandbox-driver.js'
import { runDriverContract } from '../support/driver-contract.js'

/** Every encoder driver passes the contract; add a `runDriverContract` line per new driver. */

const visionlineCredential = (): VisionlineCredentialImage => ({
  acs_credential_id: randomUUID(),
  card_holder: 'Jane Doe',
  card_format: 'rfid48',
  card_function_type: 'guest',
  visionline_credential_id: '15',
  starts_at: '2025-07-13T15:00:00.000Z',
  ends_at: '2025-07-15T11:00:00.000Z',
  guest_acs_entrance_ids: ['48ebfb50-c531-43c5-b9ea-409f26dabbd7'],
  common_acs_entrance_ids: ['5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f'],
})

runDriverContract('sandbox Visionline', {
  createDriver: ({ slow }) => createSandboxVisionlineDriver({ delayMs: slow ? 10_000 : 0 }),
  blankCard: (): KnownCard => ({ ...blankCard(), acs_card_id: randomUUID() }),
  // The sandbox's card is virtual: it is the card the server says lies on the encoder.
  placeCard: () => {},
  takeCard: () => {},
  credential: visionlineCredential,
  changed: (credential: CredentialImage) => ({
    ...credential,
    ends_at: '2025-07-16T11:00:00.000Z',
  }),
})
