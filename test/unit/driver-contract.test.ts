import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { openVirtualDriver, placeCard, takeCard } from '../../src/bridge/drivers/virtual.js'
import { encodeCard, wrapNdef } from '../../src/cards/format.js'
import type { VostioCredentialImage } from '../../src/providers/assa-abloy-vostio/card.js'
import {
  blankCard as blankVostioCard,
  createSandboxVostioDriver,
} from '../../src/providers/assa-abloy-vostio/sandbox-driver.js'
import type { AmbianceCredentialImage } from '../../src/providers/dormakaba-ambiance/card.js'
import {
  blankCard as blankAmbianceCard,
  createSandboxAmbianceDriver,
} from '../../src/providers/dormakaba-ambiance/sandbox-driver.js'
import { createBridgeDriver } from '../../src/providers/keysmith-cards/bridge-driver.js'
import type { KeysmithCardImage } from '../../src/providers/keysmith-cards/card.js'
import { newSystemKeys } from '../../src/providers/keysmith-cards/keys.js'
import type { SaltoSpaceCredentialImage } from '../../src/providers/salto-space/card.js'
import {
  blankCard as blankSaltoSpaceCard,
  createSandboxSaltoSpaceDriver,
} from '../../src/providers/salto-space/sandbox-driver.js'
import type {
  BridgeDispatch,
  CredentialImage,
  EncoderDriver,
  EncoderTarget,
  KnownCard,
} from '../../src/providers/types.js'
import type { VisionlineCredentialImage } from '../../src/providers/visionline/card.js'
import {
  blankCard,
  createSandboxVisionlineDriver,
} from '../../src/providers/visionline/sandbox-driver.js'
import { runDriverContract } from '../support/driver-contract.js'
import { localDispatch } from '../support/local-dispatch.js'

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

runDriverContract('sandbox Salto Space NCoder', {
  createDriver: ({ slow }) =>
    createSandboxSaltoSpaceDriver({ delayMs: slow ? 10_000 : 0 }) as unknown as EncoderDriver,
  blankCard: (): KnownCard => ({ ...blankSaltoSpaceCard(), acs_card_id: randomUUID() }),
  placeCard: () => {},
  takeCard: () => {},
  credential: (): SaltoSpaceCredentialImage => ({
    acs_credential_id: randomUUID(),
    card_format: 'mifare_desfire',
    card_holder: 'Jane Doe',
    salto_space_key_id: '7',
    starts_at: '2025-03-01T09:00:00.000Z',
    ends_at: '2025-09-01T18:00:00.000Z',
    acs_entrance_ids: ['48ebfb50-c531-43c5-b9ea-409f26dabbd7'],
  }),
  // A change of the user's access groups: the card opens other doors.
  changed: (credential: CredentialImage) => ({
    ...credential,
    acs_entrance_ids: [
      '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
      '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f',
    ],
  }),
})

runDriverContract('sandbox Vostio encoder', {
  createDriver: ({ slow }) =>
    createSandboxVostioDriver({ delayMs: slow ? 10_000 : 0 }) as unknown as EncoderDriver,
  blankCard: (): KnownCard => ({ ...blankVostioCard(), acs_card_id: randomUUID() }),
  placeCard: () => {},
  takeCard: () => {},
  credential: (): VostioCredentialImage => ({
    acs_credential_id: randomUUID(),
    card_format: 'mifare_desfire',
    card_holder: 'Jane Doe',
    vostio_key_id: '12',
    starts_at: '2030-06-01T15:00:00.000Z',
    ends_at: '2030-06-04T11:00:00.000Z',
    acs_entrance_ids: ['55555555-5555-5555-5555-666666666601'],
    door_names: ['Room 201'],
  }),
  // The stay is extended.
  changed: (credential: CredentialImage) => ({
    ...credential,
    ends_at: '2030-06-05T11:00:00.000Z',
  }),
})

runDriverContract('sandbox dormakaba Ambiance encoder', {
  createDriver: ({ slow }) =>
    createSandboxAmbianceDriver({ delayMs: slow ? 10_000 : 0 }) as unknown as EncoderDriver,
  blankCard: (): KnownCard => ({ ...blankAmbianceCard(), acs_card_id: randomUUID() }),
  placeCard: () => {},
  takeCard: () => {},
  credential: (): AmbianceCredentialImage => ({
    acs_credential_id: randomUUID(),
    card_format: 'mifare_desfire',
    card_holder: 'Jane Guest',
    ambiance_credential_id: '12',
    starts_at: '2026-05-01T15:00:00.000Z',
    ends_at: '2026-05-04T11:00:00.000Z',
    acs_entrance_ids: ['66666666-6666-6666-6666-000000000001'],
  }),
  // A change of the user's access groups: the card opens other doors.
  changed: (credential: CredentialImage) => ({
    ...credential,
    acs_entrance_ids: [
      '66666666-6666-6666-6666-000000000001',
      '66666666-6666-6666-6666-000000000002',
    ],
  }),
})

// Keysmith Cards: the bridge driver signs the card and has a bridge's reader write
// it; here the reader is a virtual one in this process (see local-dispatch.ts).
const stateDir = mkdtempSync(join(tmpdir(), 'keysmith-contract-'))
const reader = 'Contract reader'
const keys = newSystemKeys()
const emptyReader = 'Empty reader'
const readers = openVirtualDriver({ stateDir, readers: [reader, emptyReader] })
after(async () => {
  await (await readers).close()
  rmSync(stateDir, { recursive: true, force: true })
})
const nfcUid = () => `04${randomBytes(6).toString('hex').toUpperCase()}`

runDriverContract('Keysmith Cards through a bridge (virtual reader)', {
  createDriver: ({ slow }) => {
    const dispatch: BridgeDispatch = {
      jobTimeoutMs: 60_000,
      // Slow: a reader on which no card comes for a long while.
      run: async (job, signal) =>
        localDispatch(await readers, { cardWaitMs: slow ? 30_000 : 1_000 }).run(
          slow ? { ...job, readerName: emptyReader } : job,
          signal,
        ),
    }
    return createBridgeDriver(dispatch) as unknown as EncoderDriver
  },
  blankCard: (): KnownCard => ({
    acs_card_id: randomUUID(),
    card_number: nfcUid(),
    card_format: 'nfc_type2',
    contents: null,
  }),
  placeCard: async (card) => {
    const dump = join(stateDir, 'dump.bin')
    if (card.contents) {
      // A card the driver wrote: the same bytes again, on a card with its UID.
      const memory = wrapNdef(
        encodeCard(
          {
            keyId: Buffer.from(keys.data.key_id, 'hex'),
            acsCredentialId: card.contents.acs_credential_id,
            issueNumber: 1,
            validFrom: new Date(String(card.contents.starts_at)),
            validUntil: new Date(String(card.contents.ends_at)),
            entrances: card.contents.entrances as number[],
            staff: false,
            override: false,
          },
          createPrivateKey({ key: Buffer.from(keys.secret), format: 'der', type: 'pkcs8' }),
        ),
      )
      writeFileSync(dump, memory)
      await placeCard(stateDir, reader, { file: dump, uid: card.card_number })
    } else {
      await placeCard(stateDir, reader, { blank: true, uid: card.card_number })
    }
  },
  takeCard: async () => {
    await takeCard(stateDir, reader, {}).catch(() => {})
  },
  credential: (): KeysmithCardImage => ({
    acs_credential_id: randomUUID(),
    card_format: 'nfc_type2',
    entrances: [1, 101],
    starts_at: '2031-07-01T15:00:00.000Z',
    ends_at: '2031-07-03T11:00:00.000Z',
    staff: false,
    override: false,
  }),
  changed: (credential: CredentialImage) => ({
    ...credential,
    ends_at: '2031-07-04T11:00:00.000Z',
  }),
  target: (): EncoderTarget => ({
    attemptId: randomUUID(),
    acsEncoderId: randomUUID(),
    bridge: { bridgeId: randomUUID(), readerName: reader },
    systemData: { keysmith_cards: keys.data },
    secret: keys.secret,
  }),
})
