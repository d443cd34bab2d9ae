import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type SeamHttp, SeamHttpInvalidInputError } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { encodeAt, expectApiError, since } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** The sandbox's Vostio site, with the ids of the default sandbox (see README). */
const vostioHotel = '55555555-5555-5555-5555-111111111111'
const vostioAccount = '55555555-5555-5555-5555-222222222222'
const vostioEncoder = '55555555-5555-5555-5555-555555555555'
const room201 = '55555555-5555-5555-5555-666666666601'

const stay = { starts_at: '2030-06-01T15:00:00.000Z', ends_at: '2030-06-04T11:00:00.000Z' }

type VostioOptions = {
  auto_join?: boolean
  join_all_guest_acs_entrances?: boolean
  override_all_guest_acs_entrances?: boolean
  override_guest_acs_entrance_ids?: string[]
}

const entranceIds = async (seam: SeamHttp): Promise<Map<string, string>> => {
  const entrances = await seam.acs.entrances.list({ acs_system_id: vostioHotel })
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return new Map(entrances.map((e) => [e.display_name, e.acs_entrance_id]))
}

const idOf = (ids: Map<string, string>, name: string): string => {
  const id = ids.get(name)
  assert.ok(id, name)
  return id
}

const credentialOf = async (seam: SeamHttp, acsCredentialId: string) => {
  const credential = await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })
  assertResource('acs_credential', credential)
  return credential
}

/** The error codes on a credential: `overridden` once an override card stopped it. */
const errorCodes = async (seam: SeamHttp, acsCredentialId: string): Promise<string[]> =>
  (await credentialOf(seam, acsCredentialId)).errors.map((e) => e.error_code)

const invalidations = async (seam: SeamHttp, acsCredentialId: string): Promise<number> => {
  const events = await seam.events.list({
    since,
    acs_credential_id: acsCredentialId,
    event_type: 'acs_credential.invalidated',
  })
  for (const event of events) assertResource('event', event)
  return events.length
}

const encode = (seam: SeamHttp, acsCredentialId: string) =>
  encodeAt(seam, vostioEncoder, acsCredentialId)

/** Scans the card on the Vostio encoder; the attempt and the credential on Seam match the document. */
const scan = async (seam: SeamHttp) => {
  const attempt = await seam.acs.encoders.scanCredential({ acs_encoder_id: vostioEncoder })
  assertResource('action_attempt', attempt)
  if (attempt.action_type !== 'SCAN_CREDENTIAL' || attempt.status !== 'success') {
    assert.fail(`scan did not succeed: ${JSON.stringify(attempt)}`)
  }
  const result = attempt.result
  if (result.acs_credential_on_seam) assertResource('acs_credential', result.acs_credential_on_seam)
  return result
}

forEachDatabase('ASSA ABLOY Vostio cards', (kind) => {
  const server = useServer(kind)

  const card = async (name: string, doors: string[], vostio?: VostioOptions) => {
    const seam = server.current.seam()
    const user = await seam.acs.users.create({ acs_system_id: vostioHotel, full_name: name })
    assertResource('acs_user', user)
    const credential = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: doors,
      ...stay,
      ...(vostio ? { assa_abloy_vostio_metadata: vostio } : {}),
    })
    assertResource('acs_credential', credential)
    return credential
  }

  test('the sandbox site: account, system, its doors by door_type and its encoder', async () => {
    const seam = server.current.seam()
    const system = await seam.acs.systems.get({ acs_system_id: vostioHotel })
    assertResource('acs_system', system)
    assert.equal(system.name, 'Sandbox Vostio Hotel')
    assert.equal(system.external_type, 'assa_abloy_vostio')
    assert.equal(system.connected_account_id, vostioAccount)

    const account = await seam.connectedAccounts.get({ connected_account_id: vostioAccount })
    assertResource('connected_account', account)
    assert.equal(account.account_type, 'assa_abloy_vostio')
    assert.equal(account.display_name, 'My Vostio Site')

    const entrances = await seam.acs.entrances.list({ acs_system_id: vostioHotel })
    const byName = new Map(entrances.map((e) => [e.display_name, e]))
    for (const entrance of entrances) assertResource('acs_entrance', entrance)
    assert.deepEqual(entrances.map((e) => e.display_name).sort(), [
      'Elevator A',
      'Fitness Center',
      'Hotel Entrance',
      'Room 201',
      'Room 202',
      'Room 203',
      'Room 204',
      'Room 205',
      'Room 206',
    ])
    assert.equal(byName.get('Room 201')?.acs_entrance_id, room201)
    assert.deepEqual(byName.get('Room 201')?.assa_abloy_vostio_metadata, {
      door_name: 'Room 201',
      door_number: 201,
      door_type: 'GuestDoor',
      pms_id: 'PMS-201',
      stand_open: false,
    })
    const types = Object.fromEntries(
      entrances.map((e) => [e.display_name, e.assa_abloy_vostio_metadata?.door_type]),
    )
    assert.equal(types['Fitness Center'], 'CommonDoor')
    assert.equal(types['Hotel Entrance'], 'EntranceDoor')
    assert.equal(types['Elevator A'], 'Elevator')
    // Only guest doors can belong to a reservation.
    for (const entrance of entrances) {
      assert.equal(
        entrance.can_belong_to_reservation,
        entrance.assa_abloy_vostio_metadata?.door_type === 'GuestDoor',
        entrance.display_name,
      )
    }

    const [encoder] = await seam.acs.encoders.list({ acs_system_ids: [vostioHotel] })
    assert.ok(encoder)
    assertResource('acs_encoder', encoder)
    assert.equal(encoder.acs_encoder_id, vostioEncoder)
    assert.equal(encoder.display_name, 'Vostio Front Desk Encoder')
  })

  test('the card flow: create with Vostio metadata, encode, scan, change, re-encode, scan clean', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const fitness = idOf(ids, 'Fitness Center')
    const created = await card('Vera Vostio', [room201, fitness], {
      override_all_guest_acs_entrances: true,
    })
    assert.equal(created.external_type, 'assa_abloy_vostio_key')
    assert.equal(created.is_issued, false)
    assert.deepEqual(
      created.warnings.map((w) => w.warning_code),
      ['waiting_to_be_issued'],
    )
    const metadata = created.assa_abloy_vostio_metadata
    assert.ok(metadata?.key_id)
    assert.deepEqual(metadata.door_names?.sort(), ['Fitness Center', 'Room 201'])
    assert.deepEqual(metadata.override_guest_acs_entrance_ids, [room201])
    assert.equal(metadata.key_issuing_request_id, undefined)

    const encoded = await encode(seam, created.acs_credential_id)
    assertResource('acs_credential', encoded)
    assert.equal(encoded.is_issued, true)
    assert.ok(encoded.card_number)
    assert.ok(encoded.assa_abloy_vostio_metadata?.key_issuing_request_id)
    assert.deepEqual(encoded.warnings, [])
    assert.deepEqual(encoded.errors, [])

    const inSync = await scan(seam)
    assert.deepEqual(inSync.warnings, [])
    assert.equal(inSync.acs_credential_on_seam?.acs_credential_id, created.acs_credential_id)
    assert.equal(inSync.acs_credential_on_encoder?.card_number, encoded.card_number)
    assert.equal(inSync.acs_credential_on_encoder?.is_issued, true)
    assert.equal(inSync.acs_credential_on_encoder?.ends_at, stay.ends_at)

    // The stay is extended and the guest's doors are taken away: the card is out of date.
    await seam.acs.credentials.update({
      acs_credential_id: created.acs_credential_id,
      ends_at: '2030-06-05T11:00:00.000Z',
    })
    await seam.acs.users.revokeAccessToAllEntrances({ acs_user_id: created.acs_user_id ?? '' })
    const changed = await credentialOf(seam, created.acs_credential_id)
    assert.deepEqual(
      changed.warnings.map((w) => w.warning_code),
      ['needs_to_be_reissued'],
    )
    assert.deepEqual(changed.assa_abloy_vostio_metadata?.door_names, [])
    const outOfDate = await scan(seam)
    assert.deepEqual(outOfDate.warnings, [
      {
        warning_code: 'acs_credential_on_encoder_out_of_sync',
        warning_message:
          'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at, door_names',
      },
    ])

    // Re-encoding rewrites the same card; the scan is clean again.
    const reissued = await encode(seam, created.acs_credential_id)
    assert.equal(reissued.card_number, encoded.card_number)
    assert.deepEqual(reissued.warnings, [])
    assert.notEqual(
      reissued.assa_abloy_vostio_metadata?.key_issuing_request_id,
      encoded.assa_abloy_vostio_metadata?.key_issuing_request_id,
    )
    const clean = await scan(seam)
    assert.deepEqual(clean.warnings, [])
    assert.equal(clean.acs_credential_on_encoder?.ends_at, '2030-06-05T11:00:00.000Z')
  })

  test('an override card stops the earlier cards of its guest door; joiners and common doors keep working', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const room202 = idOf(ids, 'Room 202')
    const room203 = idOf(ids, 'Room 203')
    const fitness = idOf(ids, 'Fitness Center')
    const entrance = idOf(ids, 'Hotel Entrance')

    // A plain card (neither flag) joins: it stops nothing.
    const previous = await card('Previous Guest', [room202, fitness, entrance])
    assert.deepEqual(previous.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
    const staff = await card('Gym Staff', [fitness, entrance])
    const neighbour = await card('Neighbour', [room203, fitness])
    await encode(seam, previous.acs_credential_id)
    await encode(seam, staff.acs_credential_id)
    await encode(seam, neighbour.acs_credential_id)

    // The next guest's card overrides Room 202 only (the fitness center is not a guest door).
    const next = await card('Next Guest', [room202, room203, fitness], {
      override_guest_acs_entrance_ids: [room202],
    })
    assert.deepEqual(next.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [room202])
    await encode(seam, next.acs_credential_id)
    const companion = await card('Companion', [room202, fitness], {
      join_all_guest_acs_entrances: true,
    })
    await encode(seam, companion.acs_credential_id)

    assert.deepEqual(await errorCodes(seam, previous.acs_credential_id), ['overridden'])
    assert.equal(await invalidations(seam, previous.acs_credential_id), 1)
    for (const kept of [staff, neighbour, next, companion]) {
      assert.deepEqual(await errorCodes(seam, kept.acs_credential_id), [], kept.acs_credential_id)
      assert.equal(await invalidations(seam, kept.acs_credential_id), 0)
    }

    // Scanning the previous guest's card shows its credential overridden.
    await seam.acs.encoders.simulate.nextCredentialScanWillSucceed({
      acs_encoder_id: vostioEncoder,
      scenario: 'credential_exists_on_seam',
      acs_credential_id_on_seam: previous.acs_credential_id,
    })
    const scanned = await scan(seam)
    assert.equal(scanned.acs_credential_on_seam?.acs_credential_id, previous.acs_credential_id)
    assert.deepEqual(
      scanned.acs_credential_on_seam?.errors.map((e) => e.error_code),
      ['overridden'],
    )
    assert.deepEqual(scanned.warnings, [])

    // Encoding that credential again makes a working card of it (a joiner: it stops nothing).
    await encode(seam, previous.acs_credential_id)
    assert.deepEqual(await errorCodes(seam, previous.acs_credential_id), [])
    assert.deepEqual(await errorCodes(seam, next.acs_credential_id), [])

    // A card overriding all its guest doors stops every other card of them, joiners too,
    // but never a card of the common doors only.
    const later = await card('Later Guest', [room202, fitness], {
      override_all_guest_acs_entrances: true,
    })
    await encode(seam, later.acs_credential_id)
    for (const stopped of [previous, next, companion]) {
      assert.deepEqual(await errorCodes(seam, stopped.acs_credential_id), ['overridden'])
    }
    assert.deepEqual(await errorCodes(seam, staff.acs_credential_id), [])
    assert.deepEqual(await errorCodes(seam, neighbour.acs_credential_id), [])
  })

  test('auto_join: an override card when no other card is on its guest doors, a joiner when there is one', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const room204 = idOf(ids, 'Room 204')
    const fitness = idOf(ids, 'Fitness Center')

    // A card of the common door only does not count.
    const staff = await card('Spa Staff', [fitness])
    await encode(seam, staff.acs_credential_id)

    const first = await card('First Auto', [room204, fitness], { auto_join: true })
    assert.equal(first.assa_abloy_vostio_metadata?.auto_join, true)
    assert.deepEqual(first.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
    const encodedFirst = await encode(seam, first.acs_credential_id)
    assert.deepEqual(encodedFirst.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [
      room204,
    ])

    const second = await card('Second Auto', [room204], { auto_join: true })
    const encodedSecond = await encode(seam, second.acs_credential_id)
    assert.deepEqual(encodedSecond.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
    for (const kept of [staff, first, second]) {
      assert.deepEqual(await errorCodes(seam, kept.acs_credential_id), [])
    }

    // The first card encoded again finds the second: it joins it now, and stops nothing.
    const again = await encode(seam, first.acs_credential_id)
    assert.deepEqual(again.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
    assert.deepEqual(await errorCodes(seam, second.acs_credential_id), [])

    // A plain override card of the room stops both.
    const override = await card('Override', [room204], { override_all_guest_acs_entrances: true })
    await encode(seam, override.acs_credential_id)
    assert.deepEqual(await errorCodes(seam, first.acs_credential_id), ['overridden'])
    assert.deepEqual(await errorCodes(seam, second.acs_credential_id), ['overridden'])
    assert.deepEqual(await errorCodes(seam, staff.acs_credential_id), [])

    // Only working cards count: the override card is the one left, so a new auto-join
    // card of the room joins it.
    const third = await card('Third Auto', [room204], { auto_join: true })
    const encodedThird = await encode(seam, third.acs_credential_id)
    assert.deepEqual(encodedThird.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
    assert.deepEqual(await errorCodes(seam, override.acs_credential_id), [])
  })

  test('assa_abloy_vostio_metadata is checked: override ids among the guest doors, no contradictions', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const room205 = idOf(ids, 'Room 205')
    const room206 = idOf(ids, 'Room 206')
    const fitness = idOf(ids, 'Fitness Center')
    const refused = async (doors: string[], vostio: VostioOptions, message: RegExp) => {
      const error = await expectApiError(
        card('Refused', doors, vostio),
        400,
        'invalid_input',
        message,
      )
      assert.ok(error instanceof SeamHttpInvalidInputError)
      assert.ok(error.getValidationErrorMessages('assa_abloy_vostio_metadata').length > 0)
    }
    await refused(
      [room205],
      { override_guest_acs_entrance_ids: [room206] },
      /override_guest_acs_entrance_ids.*not among the credential's allowed_acs_entrance_ids/,
    )
    await refused(
      [room205, fitness],
      { override_guest_acs_entrance_ids: [fitness] },
      /override_guest_acs_entrance_ids.*not a guest door/,
    )
    await refused(
      [room205],
      { override_all_guest_acs_entrances: true, join_all_guest_acs_entrances: true },
      /override_all_guest_acs_entrances and join_all_guest_acs_entrances contradict/,
    )
    await refused(
      [room205],
      { override_guest_acs_entrance_ids: [room205], join_all_guest_acs_entrances: true },
      /contradict/,
    )
    await refused(
      [room205],
      { auto_join: true, override_all_guest_acs_entrances: true },
      /contradict/,
    )

    // Nothing was made by the refused requests.
    const credentials = await seam.acs.credentials.list({ acs_system_id: vostioHotel })
    for (const credential of credentials) assertResource('acs_credential', credential)
    assert.ok(
      credentials.every((c) => !c.assa_abloy_vostio_metadata?.door_names?.includes('Room 205')),
    )

    // False flags are no contradiction.
    const plain = await card('Plain', [room205], {
      override_all_guest_acs_entrances: false,
      join_all_guest_acs_entrances: true,
      auto_join: false,
    })
    assert.equal(plain.assa_abloy_vostio_metadata?.auto_join, false)
    assert.deepEqual(plain.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [])
  })

  test('Access Grants on a Vostio room: the first of a reservation overrides, later grants join', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const room206 = idOf(ids, 'Room 206')
    const fitness = idOf(ids, 'Fitness Center')
    const grant = async (name: string, reservation: string) => {
      const created = await seam.accessGrants.create({
        user_identity: { full_name: name },
        acs_entrance_ids: [room206, fitness],
        requested_access_methods: [{ mode: 'card' }],
        reservation_key: reservation,
        ...stay,
      })
      assertResource('access_grant', created)
      const [method] = await seam.accessMethods.list({ access_grant_id: created.access_grant_id })
      assert.ok(method && method.mode === 'card')
      assertResource('access_method', method)
      const [credential] = await seam.acs.credentials.list({
        user_identity_id: created.user_identity_id,
      })
      assert.ok(credential)
      assertResource('acs_credential', credential)
      assert.equal(credential.acs_system_id, vostioHotel)
      return { method, credential }
    }
    const encodeMethod = async (accessMethodId: string) => {
      const attempt = await seam.accessMethods.encode({
        access_method_id: accessMethodId,
        acs_encoder_id: vostioEncoder,
      })
      assertResource('action_attempt', attempt)
      assert.equal(attempt.status, 'success')
      const method = await seam.accessMethods.get({ access_method_id: accessMethodId })
      assertResource('access_method', method)
      assert.equal(method.is_issued, true)
      assert.equal(method.is_encoding_required, false)
    }

    const first = await grant('Stay One Guest', 'vostio-206-a')
    assert.deepEqual(first.credential.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids, [
      room206,
    ])
    const companion = await grant('Stay One Companion', 'vostio-206-a')
    assert.deepEqual(
      companion.credential.assa_abloy_vostio_metadata?.override_guest_acs_entrance_ids,
      [],
    )
    await encodeMethod(first.method.access_method_id)
    await encodeMethod(companion.method.access_method_id)
    // The first guest's card encoded again does not stop the companion who joined it.
    await encodeMethod(first.method.access_method_id)
    assert.deepEqual(await errorCodes(seam, first.credential.acs_credential_id), [])
    assert.deepEqual(await errorCodes(seam, companion.credential.acs_credential_id), [])

    // The next reservation overrides both.
    const next = await grant('Stay Two Guest', 'vostio-206-b')
    await encodeMethod(next.method.access_method_id)
    assert.deepEqual(await errorCodes(seam, first.credential.acs_credential_id), ['overridden'])
    assert.deepEqual(await errorCodes(seam, companion.credential.acs_credential_id), ['overridden'])
    assert.deepEqual(await errorCodes(seam, next.credential.acs_credential_id), [])
    assert.equal(await invalidations(seam, first.credential.acs_credential_id), 1)
  })

  test('/workspaces/reset_sandbox restores the Vostio site with its documented ids', async () => {
    const seam = server.current.seam()
    const made = await card('Before Reset', [room201])
    await encode(seam, made.acs_credential_id)
    const reset = await seam.workspaces.resetSandbox()
    assertResource('action_attempt', reset)
    assert.equal(reset.status, 'success')

    const system = await seam.acs.systems.get({ acs_system_id: vostioHotel })
    assertResource('acs_system', system)
    assert.equal(system.connected_account_id, vostioAccount)
    assert.deepEqual(await seam.acs.users.list({ acs_system_id: vostioHotel }), [])
    assert.deepEqual(await seam.acs.credentials.list({ acs_system_id: vostioHotel }), [])
    const room = await seam.acs.entrances.get({ acs_entrance_id: room201 })
    assertResource('acs_entrance', room)
    assert.equal(room.display_name, 'Room 201')
    const encoder = await seam.acs.encoders.get({ acs_encoder_id: vostioEncoder })
    assertResource('acs_encoder', encoder)
    assert.equal(encoder.acs_system_id, vostioHotel)
    // A blank card lies on the encoder again.
    const blank = await scan(seam)
    assert.equal(blank.acs_credential_on_encoder?.is_issued, false)
    assert.ok(!blank.acs_credential_on_seam)
  })
})
