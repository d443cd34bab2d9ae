import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type {
  EncodeRequest as AnyEncodeRequest,
  EncodeResult as AnyEncodeResult,
  KnownCard as AnyKnownCard,
  ScanRequest as AnyScanRequest,
  ScanResult as AnyScanResult,
  DriverError,
} from '../../src/providers/types.js'
import type {
  VisionlineCardContents as CardContents,
  VisionlineCredentialImage as CredentialImage,
} from '../../src/providers/visionline/card.js'
import {
  blankCard,
  createSandboxVisionlineDriver,
} from '../../src/providers/visionline/sandbox-driver.js'
import { plainTarget } from '../support/driver-contract.js'

type EncodeRequest = AnyEncodeRequest<CredentialImage, CardContents>
type EncodeResult = AnyEncodeResult<CardContents>
type KnownCard = AnyKnownCard<CardContents>
type ScanRequest = AnyScanRequest<CredentialImage, CardContents>
type ScanResult = AnyScanResult<CardContents>

const now = new Date('2025-07-14T12:00:00.000Z')
const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const lobby = '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f'
const hex16 = /^[0-9a-f]{16}$/
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const image: CredentialImage = {
  acs_credential_id: '73a0a199-024f-454d-a916-9bbda8502c12',
  card_holder: 'Jane Doe',
  card_format: 'TLCode',
  card_function_type: 'guest',
  visionline_credential_id: '15',
  starts_at: '2025-07-13T15:00:00.000Z',
  ends_at: '2025-07-15T11:00:00.000Z',
  guest_acs_entrance_ids: [room101],
  common_acs_entrance_ids: [lobby],
}

/** What encoding `image` with external card id '7' and 1 issued card writes at `now`. */
const written: CardContents = {
  acs_credential_id: image.acs_credential_id,
  card_holder: 'Jane Doe',
  card_function_type: 'guest',
  visionline_card_id: '7',
  visionline_credential_id: '15',
  starts_at: '2025-07-13T15:00:00.000Z',
  ends_at: '2025-07-15T11:00:00.000Z',
  guest_acs_entrance_ids: [room101],
  common_acs_entrance_ids: [lobby],
  number_of_issued_cards: 1,
  written_at: '2025-07-14T12:00:00.000Z',
}

const otherGuestContents: CardContents = {
  acs_credential_id: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
  card_holder: 'John Roe',
  card_function_type: 'guest',
  visionline_card_id: '3',
  visionline_credential_id: '9',
  starts_at: '2025-07-10T15:00:00.000Z',
  ends_at: '2025-07-12T11:00:00.000Z',
  guest_acs_entrance_ids: [room101],
  common_acs_entrance_ids: [],
  number_of_issued_cards: 1,
  written_at: '2025-07-10T14:00:00.000Z',
}

const blank: KnownCard = {
  acs_card_id: 'a0000000-0000-4000-8000-000000000001',
  card_number: '0011223344556677',
  card_format: 'rfid48',
  contents: null,
}

const othersCard: KnownCard = {
  acs_card_id: 'a0000000-0000-4000-8000-000000000002',
  card_number: '8899aabbccddeeff',
  card_format: 'rfid48',
  contents: otherGuestContents,
}

const ownCard: KnownCard = {
  acs_card_id: 'a0000000-0000-4000-8000-000000000003',
  card_number: 'aaaabbbbccccdddd',
  card_format: 'TLCode',
  contents: { ...written, visionline_card_id: '4', ends_at: '2025-07-14T11:00:00.000Z' },
}

const driver = createSandboxVisionlineDriver({ delayMs: 0 })
const signal = new AbortController().signal

const encode = (request: Partial<EncodeRequest> = {}): Promise<EncodeResult> =>
  driver.encode(
    {
      cardOnEncoder: blank,
      cardOfCredential: null,
      credential: image,
      externalCardId: '7',
      numberOfIssuedCards: 1,
      simulation: null,
      target: plainTarget(),
      now,
      ...request,
    },
    signal,
  )

const scan = (request: Partial<ScanRequest> = {}): Promise<ScanResult> =>
  driver.scan(
    {
      cardOnEncoder: blank,
      simulation: null,
      simulatedCredential: null,
      simulatedCard: null,
      target: plainTarget(),
      now,
      ...request,
    },
    signal,
  )

const errorOf = (result: EncodeResult | ScanResult): DriverError => {
  if (result.ok) assert.fail(`expected an error, got ${JSON.stringify(result.card)}`)
  return result.error
}

describe('sandbox encoder: encoding', () => {
  test('onto the blank card on the encoder: same card, credential written, format set', async () => {
    const result = await encode()
    assert.deepEqual(result, {
      ok: true,
      card: {
        acs_card_id: blank.acs_card_id,
        card_number: '0011223344556677',
        card_format: 'TLCode',
        contents: written,
      },
    })
  })

  test('the entrance lists on the card are copies of the credential’s', async () => {
    const result = await encode()
    assert.ok(result.ok)
    assert.notEqual(result.card.contents?.guest_acs_entrance_ids, image.guest_acs_entrance_ids)
    assert.notEqual(result.card.contents?.common_acs_entrance_ids, image.common_acs_entrance_ids)
  })

  test('external card id, issued-card count and time are the request’s', async () => {
    const at = new Date('2025-08-01T08:30:00.000Z')
    const result = await encode({ externalCardId: '42', numberOfIssuedCards: 3, now: at })
    assert.ok(result.ok)
    assert.equal(result.card.contents?.visionline_card_id, '42')
    assert.equal(result.card.contents?.number_of_issued_cards, 3)
    assert.equal(result.card.contents?.written_at, '2025-08-01T08:30:00.000Z')
  })

  test("when the card on the encoder carries another guest's credential, a fresh card is used", async () => {
    const result = await encode({ cardOnEncoder: othersCard })
    assert.ok(result.ok)
    assert.equal(result.card.acs_card_id, undefined)
    assert.deepEqual(Object.keys(result.card).sort(), ['card_format', 'card_number', 'contents'])
    assert.match(result.card.card_number, hex16)
    assert.notEqual(result.card.card_number, othersCard.card_number)
    assert.equal(result.card.card_format, 'TLCode')
    assert.deepEqual(result.card.contents, written)
    // The other guest's card is left as it was.
    assert.equal(othersCard.contents, otherGuestContents)
    assert.equal(otherGuestContents.acs_credential_id, 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b')
  })

  test('fresh cards get different numbers', async () => {
    const numbers = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const result = await encode({ cardOnEncoder: othersCard })
      assert.ok(result.ok)
      numbers.add(result.card.card_number)
    }
    assert.equal(numbers.size, 20)
  })

  test("a reissue rewrites the credential's own card, wherever it lies", async () => {
    for (const cardOnEncoder of [blank, othersCard, null]) {
      const result = await encode({
        cardOnEncoder,
        cardOfCredential: ownCard,
        externalCardId: '8',
        numberOfIssuedCards: 2,
      })
      assert.deepEqual(result, {
        ok: true,
        card: {
          acs_card_id: ownCard.acs_card_id,
          card_number: 'aaaabbbbccccdddd',
          card_format: 'TLCode',
          contents: { ...written, visionline_card_id: '8', number_of_issued_cards: 2 },
        },
      })
    }
  })

  test('with no card on the encoder and none of its own: no_credential_on_encoder', async () => {
    assert.deepEqual(errorOf(await encode({ cardOnEncoder: null })), {
      type: 'no_credential_on_encoder',
      message: 'No card was placed on the encoder.',
    })
  })

  test('a simulated error wins, with its message', async () => {
    const expected: Record<string, string> = {
      no_credential_on_encoder: 'No card was placed on the encoder.',
      encoding_interrupted: 'The card was removed from the encoder before encoding finished.',
      uncategorized_error: 'The encoder reported an error.',
      action_attempt_expired: 'The encoder did not answer in time.',
      incompatible_card_format:
        'The card on the encoder has a different format than the credential.',
      something_new: 'The encoder reported an error.',
    }
    for (const [code, message] of Object.entries(expected)) {
      for (const cardOfCredential of [null, ownCard]) {
        const error = errorOf(
          await encode({ cardOfCredential, simulation: { outcome: 'error', error_code: code } }),
        )
        assert.deepEqual(error, { type: code, message })
      }
    }
  })

  test('a simulated success encodes as usual', async () => {
    const result = await encode({ simulation: { outcome: 'success' } })
    assert.ok(result.ok)
    assert.equal(result.card.card_number, blank.card_number)
    assert.deepEqual(result.card.contents, written)
  })

  test('blankCard makes an empty rfid48 card with a 16-hex-digit number', () => {
    const card = blankCard()
    assert.equal(card.card_format, 'rfid48')
    assert.equal(card.contents, null)
    assert.match(card.card_number, hex16)
  })
})

describe('sandbox encoder: scanning', () => {
  const laterCard: KnownCard = {
    acs_card_id: 'a0000000-0000-4000-8000-000000000004',
    card_number: '1234123412341234',
    card_format: 'TLCode',
    contents: { ...written, visionline_card_id: '21', number_of_issued_cards: 3 },
  }

  test('returns the card on the encoder as it is', async () => {
    assert.deepEqual(await scan({ cardOnEncoder: othersCard }), { ok: true, card: othersCard })
    assert.deepEqual(await scan({ cardOnEncoder: blank }), { ok: true, card: blank })
  })

  test('with no card on the encoder: no_credential_on_encoder', async () => {
    assert.deepEqual(errorOf(await scan({ cardOnEncoder: null })), {
      type: 'no_credential_on_encoder',
      message: 'No card was placed on the encoder.',
    })
  })

  test('a simulated error wins, with its message', async () => {
    assert.deepEqual(
      errorOf(
        await scan({
          cardOnEncoder: othersCard,
          simulation: { outcome: 'error', error_code: 'uncategorized_error' },
        }),
      ),
      { type: 'uncategorized_error', message: 'The encoder reported an error.' },
    )
    assert.deepEqual(
      errorOf(
        await scan({ simulation: { outcome: 'error', error_code: 'action_attempt_expired' } }),
      ),
      { type: 'action_attempt_expired', message: 'The encoder did not answer in time.' },
    )
  })

  test('empty_card: the card on the encoder, read as blank', async () => {
    assert.deepEqual(
      await scan({ cardOnEncoder: othersCard, simulation: { outcome: 'empty_card' } }),
      { ok: true, card: { ...othersCard, contents: null } },
    )
  })

  test('empty_card with no card on the encoder: a blank rfid48 card', async () => {
    const result = await scan({ cardOnEncoder: null, simulation: { outcome: 'empty_card' } })
    assert.ok(result.ok)
    assert.equal(result.card.contents, null)
    assert.equal(result.card.card_format, 'rfid48')
    assert.match(result.card.card_number, hex16)
  })

  test('unknown_credential: a two-day stay of a credential nobody knows', async () => {
    const result = await scan({
      cardOnEncoder: blank,
      simulation: { outcome: 'unknown_credential' },
    })
    assert.ok(result.ok)
    assert.equal(result.card.card_number, blank.card_number)
    const contents = result.card.contents
    assert.ok(contents)
    assert.match(contents.acs_credential_id, uuid)
    assert.notEqual(contents.acs_credential_id, image.acs_credential_id)
    assert.match(contents.visionline_credential_id, /^9\d{4}$/)
    assert.equal(contents.visionline_card_id, contents.visionline_credential_id)
    assert.deepEqual(
      {
        ...contents,
        acs_credential_id: 'x',
        visionline_card_id: 'y',
        visionline_credential_id: 'z',
      },
      {
        acs_credential_id: 'x',
        card_holder: 'Guest',
        card_function_type: 'guest',
        visionline_card_id: 'y',
        visionline_credential_id: 'z',
        starts_at: '2025-07-14T12:00:00.000Z',
        ends_at: '2025-07-16T12:00:00.000Z',
        guest_acs_entrance_ids: [],
        common_acs_entrance_ids: [],
        number_of_issued_cards: 1,
        written_at: '2025-07-14T12:00:00.000Z',
      },
    )
  })

  test('credential in sync: the credential as the server holds it, on its own card', async () => {
    const result = await scan({
      cardOnEncoder: blank,
      simulation: {
        outcome: 'credential',
        in_sync: true,
        acs_credential_id_on_seam: image.acs_credential_id,
      },
      simulatedCredential: image,
      simulatedCard: laterCard,
    })
    assert.deepEqual(result, {
      ok: true,
      card: {
        ...laterCard,
        contents: { ...written, visionline_card_id: '21', number_of_issued_cards: 3 },
      },
    })
  })

  test('credential out of sync: the same card, ending one day earlier', async () => {
    const result = await scan({
      cardOnEncoder: blank,
      simulation: {
        outcome: 'credential',
        in_sync: false,
        acs_credential_id_on_seam: image.acs_credential_id,
      },
      simulatedCredential: image,
      simulatedCard: laterCard,
    })
    assert.deepEqual(result, {
      ok: true,
      card: {
        ...laterCard,
        contents: {
          ...written,
          visionline_card_id: '21',
          number_of_issued_cards: 3,
          ends_at: '2025-07-14T11:00:00.000Z',
        },
      },
    })
  })

  test('credential out of sync without an end: the card ends now', async () => {
    const result = await scan({
      simulation: {
        outcome: 'credential',
        in_sync: false,
        acs_credential_id_on_seam: image.acs_credential_id,
      },
      simulatedCredential: { ...image, ends_at: null },
      simulatedCard: laterCard,
    })
    assert.ok(result.ok)
    assert.equal(result.card.contents?.ends_at, '2025-07-14T12:00:00.000Z')
    assert.equal(result.card.contents?.starts_at, image.starts_at)
  })

  test('credential never encoded: written on the card lying on the encoder, in its format', async () => {
    const result = await scan({
      cardOnEncoder: blank,
      simulation: {
        outcome: 'credential',
        in_sync: true,
        acs_credential_id_on_seam: image.acs_credential_id,
      },
      simulatedCredential: image,
      simulatedCard: null,
    })
    assert.deepEqual(result, {
      ok: true,
      card: {
        ...blank,
        card_format: image.card_format,
        contents: { ...written, visionline_card_id: '1', number_of_issued_cards: 1 },
      },
    })
  })

  test('credential simulation whose credential no longer exists: a normal scan', async () => {
    const simulation = {
      outcome: 'credential',
      in_sync: true,
      acs_credential_id_on_seam: image.acs_credential_id,
    } as const
    assert.deepEqual(await scan({ cardOnEncoder: othersCard, simulation }), {
      ok: true,
      card: othersCard,
    })
    assert.equal(
      errorOf(await scan({ cardOnEncoder: null, simulation })).type,
      'no_credential_on_encoder',
    )
  })
})
