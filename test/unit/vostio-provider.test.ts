import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AcsCredentialRow, AcsEntranceRow } from '../../src/db/schema.js'
import type { CreateCredentialBody } from '../../src/providers/access-system.js'
import { assaAbloyVostio } from '../../src/providers/assa-abloy-vostio/index.js'
import type { VostioCredentialData } from '../../src/providers/assa-abloy-vostio/rules.js'

/** The Vostio rules that need no database: reading its metadata, overriding and joining. */

const provider = assaAbloyVostio({ sandboxActionDelayMs: 0 })
const now = new Date('2030-06-01T12:00:00.000Z')

const body = (metadata?: Record<string, unknown>): CreateCredentialBody =>
  ({
    acs_user_id: '00000000-0000-4000-8000-000000000001',
    access_method: 'card',
    ...(metadata ? { assa_abloy_vostio_metadata: metadata } : {}),
  }) as CreateCredentialBody

const door = (id: string, type: string, name = id): AcsEntranceRow =>
  ({
    acs_entrance_id: id,
    display_name: name,
    door_category: type,
  }) as unknown as AcsEntranceRow

const guest201 = door('g201', 'GuestDoor', 'Room 201')
const guest202 = door('g202', 'GuestDoor', 'Room 202')
const fitness = door('fit', 'CommonDoor', 'Fitness Center')
const lift = door('lift', 'Elevator', 'Elevator A')
const entrance = door('ent', 'EntranceDoor', 'Hotel Entrance')

/** A credential row carrying the provider's data made from `metadata`. */
const row = async (
  id: string,
  metadata?: Record<string, unknown>,
  extra: Partial<VostioCredentialData> = {},
): Promise<AcsCredentialRow> => {
  const read = provider.readCredentialRequest(body(metadata))
  assert.equal(read.problem, undefined)
  const issued = await provider.newCredential(
    { accessMethod: 'card', code: undefined, options: read.options },
    async () => 7,
  )
  return {
    acs_credential_id: id,
    provider_data: { [provider.key]: { ...(issued.data as VostioCredentialData), ...extra } },
  } as unknown as AcsCredentialRow
}

const dataOf = (value: unknown) => value as VostioCredentialData | undefined

describe('Vostio provider', () => {
  test('traits and the sandbox site', () => {
    assert.equal(provider.externalType, 'assa_abloy_vostio')
    assert.deepEqual(provider.traits.accessMethods, ['card'])
    assert.equal(provider.traits.credentials.card?.type, 'assa_abloy_vostio_key')
    assert.equal(provider.traits.encodesCards, true)
    assert.ok(provider.encoderDriver(true))
    assert.equal(provider.encoderDriver(false), undefined)
    const site = provider.sandboxSite
    assert.equal(site?.account.account_type, 'assa_abloy_vostio')
    assert.equal(site?.account.display_name, 'My Vostio Site')
    assert.equal(site?.system.name, 'Sandbox Vostio Hotel')
    assert.deepEqual([...new Set(site?.doors.map((d) => d.category))].sort(), [
      'CommonDoor',
      'Elevator',
      'EntranceDoor',
      'GuestDoor',
    ])
  })

  test('only guest doors belong to a reservation', () => {
    assert.equal(provider.canBelongToReservation(guest201), true)
    for (const other of [fitness, lift, entrance]) {
      assert.equal(provider.canBelongToReservation(other), false, other.display_name)
    }
  })

  test('contradictory options are refused, naming assa_abloy_vostio_metadata', () => {
    const contradictions = [
      { override_all_guest_acs_entrances: true, join_all_guest_acs_entrances: true },
      { override_guest_acs_entrance_ids: ['g201'], join_all_guest_acs_entrances: true },
      { override_guest_acs_entrance_ids: ['g201'], override_all_guest_acs_entrances: true },
      { auto_join: true, join_all_guest_acs_entrances: true },
    ]
    for (const metadata of contradictions) {
      const read = provider.readCredentialRequest(body(metadata))
      assert.equal(read.problem?.parameter, 'assa_abloy_vostio_metadata', JSON.stringify(metadata))
      assert.match(read.problem?.message ?? '', /contradict/)
    }
    for (const fine of [undefined, { auto_join: false, join_all_guest_acs_entrances: true }]) {
      assert.equal(provider.readCredentialRequest(body(fine)).problem, undefined)
    }
  })

  test('override ids must be guest doors among the credential entrances', () => {
    const options = provider.readCredentialRequest(
      body({ override_guest_acs_entrance_ids: ['g201', 'g201'] }),
    ).options
    const check = provider.credentialEntranceProblem
    assert.ok(check)
    assert.equal(check(options, [guest201, fitness]), undefined)
    assert.match(check(options, [guest202])?.message ?? '', /not among/)
    const common = provider.readCredentialRequest(
      body({ override_guest_acs_entrance_ids: ['fit'] }),
    ).options
    assert.match(check(common, [guest201, fitness])?.message ?? '', /not a guest door/)
    assert.equal(check(common, [guest201, fitness])?.parameter, 'assa_abloy_vostio_metadata')
  })

  test('an override card names its guest doors; a joiner none', async () => {
    const all = await row('all', { override_all_guest_acs_entrances: true })
    const doors = [guest201, guest202, fitness, lift]
    assert.deepEqual(provider.doorsOverriddenBy({ row: all, entrances: doors }), ['g201', 'g202'])
    const some = await row('some', { override_guest_acs_entrance_ids: ['g202'] })
    assert.deepEqual(provider.doorsOverriddenBy({ row: some, entrances: doors }), ['g202'])
    for (const joiner of [
      await row('plain'),
      await row('join', { join_all_guest_acs_entrances: true }),
    ]) {
      assert.deepEqual(provider.doorsOverriddenBy({ row: joiner, entrances: doors }), [])
      assert.equal(provider.stopCard(joiner, all, now), undefined)
    }
  })

  test('an override card stops other working cards, except those that joined it', async () => {
    const override = await row('override', { override_all_guest_acs_entrances: true })
    const earlier = await row('earlier')
    const stopped = dataOf(provider.stopCard(override, earlier, now))
    assert.equal(stopped?.overridden_at, now.toISOString())
    assert.equal(stopped?.overridden_by_acs_credential_id, 'override')
    const joined = await row('joined', undefined, { joined_acs_credential_ids: ['override'] })
    assert.equal(provider.stopCard(override, joined, now), undefined)
    const already = await row('already', undefined, { overridden_at: '2030-01-01T00:00:00.000Z' })
    assert.equal(provider.stopCard(override, already, now), undefined)
    assert.equal(provider.stopCard(override, override, now), undefined)
    // Encoding the stopped card again makes a working card of it.
    const reencoded = dataOf(
      provider.afterEncoding(
        { ...earlier, provider_data: { [provider.key]: stopped } },
        { externalCardId: '3', issuedCardCount: 2 },
      ),
    )
    assert.equal(reencoded?.overridden_at, undefined)
    assert.equal(reencoded?.issued_card_count, 2)
    assert.ok(reencoded?.key_issuing_request_id)
  })

  test('auto_join overrides when no other working card is there, joins when one is', async () => {
    const auto = await row('auto', { auto_join: true })
    const doors = [guest201, fitness]
    // At stake are all its guest doors; before its first encoding it overrides none.
    assert.deepEqual(provider.doorsOverriddenBy({ row: auto, entrances: doors }), ['g201'])
    const settle = provider.settleEncodedCard
    assert.ok(settle)
    const stopped = await row('stopped', undefined, { overridden_at: now.toISOString() })
    const alone = dataOf(settle(auto, [stopped]))
    assert.equal(alone?.auto_join_outcome, 'override')
    const asOverride = { ...auto, provider_data: { [provider.key]: alone } } as AcsCredentialRow
    assert.deepEqual(
      provider.presentCredential({ row: asOverride, entrances: doors, now })
        .assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids,
      ['g201'],
    )

    const other = await row('other')
    const withOther = dataOf(settle(auto, [other, stopped]))
    assert.equal(withOther?.auto_join_outcome, 'join')
    assert.deepEqual(withOther?.joined_acs_credential_ids, ['other'])
    const asJoiner = { ...auto, provider_data: { [provider.key]: withOther } } as AcsCredentialRow
    assert.equal(provider.stopCard(asJoiner, other, now), undefined)
    assert.deepEqual(
      provider.presentCredential({ row: asJoiner, entrances: doors, now })
        .assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids,
      [],
    )
    // Cards that are not auto-join are left as they are.
    assert.equal(settle(other, []), undefined)
  })

  test('reservations: the first card overrides, later ones join the earlier cards', async () => {
    const first = await provider.newCredential(
      { accessMethod: 'card', code: undefined, reservation: { role: 'first_of_stay' } },
      async () => 1,
    )
    assert.deepEqual(dataOf(first.data)?.role, { kind: 'override_all' })
    const joiner = await provider.newCredential(
      {
        accessMethod: 'card',
        code: undefined,
        reservation: { role: 'joins', acs_credential_ids: ['a'] },
      },
      async () => 2,
    )
    assert.deepEqual(dataOf(joiner.data)?.role, { kind: 'join' })
    assert.deepEqual(dataOf(joiner.data)?.joined_acs_credential_ids, ['a'])
  })

  test('an overridden card shows an overridden error; a card with other doors is out of sync on door_names', async () => {
    const stopped = await row('stopped', undefined, {
      overridden_at: now.toISOString(),
      overridden_by_acs_credential_id: 'override',
    })
    const presented = provider.presentCredential({ row: stopped, entrances: [guest201], now })
    assert.deepEqual(
      presented.errors?.map((e) => e.error_code),
      ['overridden'],
    )
    assert.deepEqual(presented.assa_abloy_vostio_metadata?.door_names, ['Room 201'])

    const card = {
      card_number: '04AABBCCDDEEFF',
      card_format: 'mifare_desfire' as const,
      contents: {
        acs_credential_id: 'c',
        card_holder: 'Jane Doe',
        vostio_key_id: '1',
        vostio_card_id: '1',
        starts_at: '2030-06-01T15:00:00.000Z',
        ends_at: null,
        acs_entrance_ids: ['g201'],
        door_names: ['Room 201'],
        written_at: '2030-06-01T12:00:00.000Z',
      },
    }
    const onEncoder = provider.readCard(card, now, undefined)
    assert.deepEqual(Object.keys(onEncoder).sort(), [
      'card_number',
      'created_at',
      'ends_at',
      'is_issued',
      'starts_at',
    ])
    const onSeam = {
      is_issued: true,
      card_number: card.card_number,
      starts_at: '2030-06-01T15:00:00.000Z',
      ends_at: null,
    } as unknown as Parameters<typeof provider.outOfSyncProperties>[1]
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, { card, entrances: [guest201] }),
      [],
    )
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, { card, entrances: [guest201, fitness] }),
      ['door_names'],
    )
    assert.deepEqual(provider.cardProblems?.(card), [])
  })
})
