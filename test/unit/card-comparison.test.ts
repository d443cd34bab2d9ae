import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AcsCredential } from '@seamapi/types/connect'
import { notOnSeamWarning, outOfSyncWarning } from '../../src/domain/card-comparison.js'
import type { CardState } from '../../src/providers/types.js'
import {
  type VisionlineCardContents as CardContents,
  type VisionlineCredentialOnEncoder as CredentialOnEncoder,
  outOfSyncProperties,
  readCard,
} from '../../src/providers/visionline/card.js'

const now = new Date('2025-07-14T12:00:00.000Z')
const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const room102 = 'f74e4879-5991-4e2f-a368-888983dcfbfc'
const lobby = '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f'
const pool = '0b7c2a1e-3d4f-4a5b-8c6d-7e8f9a0b1c2d'
const credentialId = '73a0a199-024f-454d-a916-9bbda8502c12'
const cardNumber = '164d29dc4a09b65f'

const contents = (overrides: Partial<CardContents> = {}): CardContents => ({
  acs_credential_id: credentialId,
  card_holder: 'Jane Doe',
  card_function_type: 'guest',
  visionline_card_id: '5',
  visionline_credential_id: '15',
  starts_at: '2025-07-13T15:00:00.000Z',
  ends_at: '2025-07-15T11:00:00.000Z',
  guest_acs_entrance_ids: [room101],
  common_acs_entrance_ids: [lobby],
  number_of_issued_cards: 2,
  written_at: '2025-07-13T14:00:00.000Z',
  ...overrides,
})

const writtenCard = (overrides: Partial<CardContents> = {}): CardState => ({
  card_number: cardNumber,
  card_format: 'rfid48',
  contents: contents(overrides),
})

const onCard = (overrides: Partial<CardContents> = {}): CredentialOnEncoder =>
  readCard(writtenCard(overrides), now)

const onSeam = (overrides: Partial<AcsCredential> = {}): AcsCredential => ({
  acs_credential_id: credentialId,
  acs_system_id: '11111111-1111-1111-1111-111111111111',
  connected_account_id: '11111111-1111-1111-1111-222222222222',
  workspace_id: '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63',
  access_method: 'card',
  display_name: 'Room 101, Lobby',
  created_at: '2025-07-13T13:00:00.000Z',
  is_managed: true,
  is_issued: true,
  card_number: cardNumber,
  starts_at: '2025-07-13T15:00:00.000Z',
  ends_at: '2025-07-15T11:00:00.000Z',
  visionline_metadata: { guest_acs_entrance_ids: [room101], common_acs_entrance_ids: [lobby] },
  errors: [],
  warnings: [],
  ...overrides,
})

describe('readCard', () => {
  test('a blank card reports only its number and format', () => {
    assert.deepEqual(
      readCard({ card_number: '0011223344556677', card_format: 'TLCode', contents: null }, now),
      {
        card_number: '0011223344556677',
        created_at: null,
        is_issued: false,
        starts_at: null,
        ends_at: null,
        visionline_metadata: { card_format: 'TLCode' },
      },
    )
  })

  test('a written card reports everything written on it', () => {
    assert.deepEqual(onCard(), {
      card_number: cardNumber,
      created_at: '2025-07-13T14:00:00.000Z',
      is_issued: true,
      starts_at: '2025-07-13T15:00:00.000Z',
      ends_at: '2025-07-15T11:00:00.000Z',
      visionline_metadata: {
        card_format: 'rfid48',
        card_holder: 'Jane Doe',
        card_id: '5',
        cancelled: false,
        discarded: false,
        expired: false,
        overridden: false,
        overwritten: false,
        pending_auto_update: false,
        number_of_issued_cards: 2,
        guest_acs_entrance_ids: [room101],
        common_acs_entrance_ids: [lobby],
      },
    })
  })

  test('expired compares ends_at with the given now, not the wall clock', () => {
    const expired = (endsAt: string | null, at: Date): boolean | undefined =>
      readCard(writtenCard({ ends_at: endsAt }), at).visionline_metadata.expired
    // Before, at and after the end of the stay.
    assert.equal(expired('2025-07-14T12:00:00.001Z', now), false)
    assert.equal(expired('2025-07-14T12:00:00.000Z', now), true)
    assert.equal(expired('2025-07-14T11:59:59.999Z', now), true)
    // The same card read at different times.
    assert.equal(expired('2025-07-15T11:00:00.000Z', new Date('2025-07-15T10:59:59.000Z')), false)
    assert.equal(expired('2025-07-15T11:00:00.000Z', new Date('2025-07-15T11:00:01.000Z')), true)
    // A card without an end never expires, even far in the future.
    assert.equal(expired(null, new Date('9999-12-31T23:59:59.000Z')), false)
    // Times written with an offset are instants too.
    assert.equal(expired('2025-07-14T13:59:59+02:00', now), true)
    assert.equal(expired('2025-07-14T14:00:01+02:00', now), false)
  })
})

describe('outOfSyncProperties', () => {
  test('a card matching the credential has no differences', () => {
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam()), [])
  })

  test('is_issued: a blank card against an issued credential', () => {
    const blank = readCard({ card_number: cardNumber, card_format: 'rfid48', contents: null }, now)
    assert.deepEqual(
      outOfSyncProperties(blank, onSeam({ starts_at: undefined, ends_at: undefined })),
      ['is_issued'],
    )
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ is_issued: false })), ['is_issued'])
  })

  test('card_number differs only when the server knows a number', () => {
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ card_number: 'ffffeeeeddddcccc' })), [
      'card_number',
    ])
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ card_number: null })), [])
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ card_number: undefined })), [])
  })

  test('starts_at and ends_at compare instants, not spellings', () => {
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ starts_at: '2025-07-13T16:00:00Z' })), [
      'starts_at',
    ])
    assert.deepEqual(
      outOfSyncProperties(onCard(), onSeam({ ends_at: '2025-07-16T11:00:00.000Z' })),
      ['ends_at'],
    )
    // One millisecond is a difference.
    assert.deepEqual(
      outOfSyncProperties(onCard(), onSeam({ ends_at: '2025-07-15T11:00:00.001Z' })),
      ['ends_at'],
    )
    // The same instant written differently is no difference.
    assert.deepEqual(
      outOfSyncProperties(
        onCard({ starts_at: '2025-07-13T15:00:00Z', ends_at: '2025-07-15T11:00:00.000Z' }),
        onSeam({ starts_at: '2025-07-13T15:00:00.000Z', ends_at: '2025-07-15T11:00:00Z' }),
      ),
      [],
    )
    assert.deepEqual(
      outOfSyncProperties(
        onCard({ starts_at: '2025-07-13T17:00:00+02:00' }),
        onSeam({ starts_at: '2025-07-13T15:00:00.000Z' }),
      ),
      [],
    )
  })

  test('a time on one side and none on the other is a difference; none on both is not', () => {
    assert.deepEqual(outOfSyncProperties(onCard({ ends_at: null }), onSeam()), ['ends_at'])
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ ends_at: undefined })), ['ends_at'])
    assert.deepEqual(outOfSyncProperties(onCard({ starts_at: null }), onSeam()), ['starts_at'])
    assert.deepEqual(
      outOfSyncProperties(
        onCard({ starts_at: null, ends_at: null }),
        onSeam({ starts_at: undefined, ends_at: undefined }),
      ),
      [],
    )
  })

  test('guest and common entrances are compared as sets', () => {
    const seamDoors = (guest: string[], common: string[]) =>
      onSeam({
        visionline_metadata: { guest_acs_entrance_ids: guest, common_acs_entrance_ids: common },
      })
    const card = onCard({
      guest_acs_entrance_ids: [room101, room102],
      common_acs_entrance_ids: [lobby, pool],
    })
    assert.deepEqual(outOfSyncProperties(card, seamDoors([room102, room101], [pool, lobby])), [])
    assert.deepEqual(outOfSyncProperties(card, seamDoors([room101], [pool, lobby])), [
      'guest_acs_entrance_ids',
    ])
    assert.deepEqual(outOfSyncProperties(card, seamDoors([room102, room101], [lobby])), [
      'common_acs_entrance_ids',
    ])
    // Same size, different members.
    assert.deepEqual(outOfSyncProperties(card, seamDoors([room101, pool], [room102, lobby])), [
      'guest_acs_entrance_ids',
      'common_acs_entrance_ids',
    ])
    // An id missing on the server side counts as an empty list.
    assert.deepEqual(
      outOfSyncProperties(
        onCard({ guest_acs_entrance_ids: [], common_acs_entrance_ids: [] }),
        onSeam({ visionline_metadata: {} }),
      ),
      [],
    )
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ visionline_metadata: {} })), [
      'guest_acs_entrance_ids',
      'common_acs_entrance_ids',
    ])
  })

  test('entrances are not compared when the server has no Visionline metadata or the card is blank', () => {
    assert.deepEqual(outOfSyncProperties(onCard(), onSeam({ visionline_metadata: undefined })), [])
    const blank = readCard({ card_number: cardNumber, card_format: 'rfid48', contents: null }, now)
    assert.deepEqual(
      outOfSyncProperties(
        blank,
        onSeam({ is_issued: false, starts_at: undefined, ends_at: undefined }),
      ),
      [],
    )
  })

  test('every difference is named, in a fixed order', () => {
    const blankElsewhere = readCard(
      { card_number: '0000000000000000', card_format: 'rfid48', contents: null },
      now,
    )
    assert.deepEqual(outOfSyncProperties(blankElsewhere, onSeam()), [
      'is_issued',
      'card_number',
      'starts_at',
      'ends_at',
    ])
    assert.deepEqual(
      outOfSyncProperties(
        onCard({
          starts_at: '2025-07-12T15:00:00.000Z',
          ends_at: '2025-07-14T11:00:00.000Z',
          guest_acs_entrance_ids: [room102],
          common_acs_entrance_ids: [],
        }),
        onSeam({ is_issued: false, card_number: 'ffffeeeeddddcccc' }),
      ),
      [
        'is_issued',
        'card_number',
        'starts_at',
        'ends_at',
        'guest_acs_entrance_ids',
        'common_acs_entrance_ids',
      ],
    )
  })
})

describe('warnings', () => {
  const prefix =
    'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: '

  test('one property', () => {
    assert.deepEqual(outOfSyncWarning(['ends_at']), {
      warning_code: 'acs_credential_on_encoder_out_of_sync',
      warning_message:
        'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at',
    })
  })

  test('several properties are joined with ", " in the order given', () => {
    assert.equal(
      outOfSyncWarning(['starts_at', 'ends_at']).warning_message,
      `${prefix}starts_at, ends_at`,
    )
    assert.equal(
      outOfSyncWarning(['is_issued', 'card_number', 'guest_acs_entrance_ids']).warning_message,
      `${prefix}is_issued, card_number, guest_acs_entrance_ids`,
    )
  })

  test('the warning for a real comparison', () => {
    const differences = outOfSyncProperties(
      onCard({ ends_at: '2025-07-14T11:00:00.000Z' }),
      onSeam(),
    )
    assert.deepEqual(outOfSyncWarning(differences), {
      warning_code: 'acs_credential_on_encoder_out_of_sync',
      warning_message: `${prefix}ends_at`,
    })
  })

  test('a credential unknown to the server', () => {
    assert.deepEqual(notOnSeamWarning(), {
      warning_code: 'acs_credential_on_seam_not_found',
      warning_message:
        'The credential on the card does not exist on Seam: it was deleted or was never created through Seam.',
    })
  })
})
