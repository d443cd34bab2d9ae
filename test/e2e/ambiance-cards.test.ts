import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import {
  encodeAt,
  expectApiError,
  hotel,
  scanCard,
  since,
  spaceEmployees,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** The sandbox's dormakaba Ambiance site in the default workspace (README, "The sandbox"). */
const resort = '66666666-6666-6666-6666-111111111111'
const resortAccount = '66666666-6666-6666-6666-222222222222'
const guests = '66666666-6666-6666-6666-333333333333'
const staff = '66666666-6666-6666-6666-444444444444'
const concierge = '66666666-6666-6666-6666-555555555555'

const guestDoors = ['Business Lounge', 'Suite 301', 'Suite 302', 'Suite 303', 'Suite 304']
const staffDoors = ['Business Lounge', 'Parking Garage', 'Spa', 'Staff Entrance']
const allDoors = [
  'Business Lounge',
  'Parking Garage',
  'Spa',
  'Staff Entrance',
  'Suite 301',
  'Suite 302',
  'Suite 303',
  'Suite 304',
]

/** The names of the entrances a credential opens. */
const doorsOf = async (seam: SeamHttp, acsCredentialId: string): Promise<string[]> => {
  const entrances = await seam.acs.credentials.listAccessibleEntrances({
    acs_credential_id: acsCredentialId,
  })
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return entrances.map((e) => e.display_name).sort()
}

const credentialOf = async (seam: SeamHttp, acsCredentialId: string) => {
  const credential = await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })
  assertResource('acs_credential', credential)
  return credential
}

const needsReissue = async (seam: SeamHttp, acsCredentialId: string): Promise<boolean> =>
  (await credentialOf(seam, acsCredentialId)).warnings.some(
    (w) => w.warning_code === 'needs_to_be_reissued',
  )

const encode = (seam: SeamHttp, acsCredentialId: string) =>
  encodeAt(seam, concierge, acsCredentialId)

/** Scans the card on the Concierge Encoder, checking the action attempt's resources. */
const scan = async (seam: SeamHttp) => {
  const result = await scanCard(seam, concierge)
  if (result.acs_credential_on_seam) assertResource('acs_credential', result.acs_credential_on_seam)
  return result
}

const outOfSync = (warnings: readonly { warning_code: string; warning_message?: string }[]) =>
  warnings.find((w) => w.warning_code === 'acs_credential_on_encoder_out_of_sync')

const newUser = async (seam: SeamHttp, name: string) => {
  const user = await seam.acs.users.create({ acs_system_id: resort, full_name: name })
  assertResource('acs_user', user)
  return user
}

const newCard = async (seam: SeamHttp, acsUserId: string) => {
  const card = await seam.acs.credentials.create({ acs_user_id: acsUserId, access_method: 'card' })
  assertResource('acs_credential', card)
  return card
}

/** Entrance ids of the resort by display name. */
const resortEntrances = async (seam: SeamHttp) => {
  const entrances = await seam.acs.entrances.list({ acs_system_id: resort })
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return entrances
}

const entranceId = async (seam: SeamHttp, name: string): Promise<string> => {
  const entrance = (await resortEntrances(seam)).find((e) => e.display_name === name)
  assert.ok(entrance, `no entrance ${name}`)
  return entrance.acs_entrance_id
}

forEachDatabase('dormakaba Ambiance cards and access groups', (kind) => {
  const server = useServer(kind)

  test('the card flow: user, group, card, encode, scan; a group change needs a re-encode', async () => {
    const seam = server.current.seam()
    const system = await seam.acs.systems.get({ acs_system_id: resort })
    assertResource('acs_system', system)
    assert.equal(system.external_type, 'dormakaba_ambiance_site')
    assert.equal(system.name, 'Sandbox Ambiance Resort')
    assert.equal(system.connected_account_id, resortAccount)

    const user = await newUser(seam, 'Jane Guest')
    // The document has no Ambiance acs_user external type.
    assert.equal(user.external_type, undefined)
    await seam.acs.users.addToAccessGroup({
      acs_user_id: user.acs_user_id,
      acs_access_group_id: guests,
    })

    const card = await newCard(seam, user.acs_user_id)
    assert.equal(card.external_type, 'dormakaba_ambiance_credential')
    assert.equal(card.is_issued, false)
    assert.equal(card.acs_system_id, resort)
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), guestDoors)

    const [encoder, ...others] = await seam.acs.encoders.list({ acs_system_ids: [resort] })
    assert.ok(encoder)
    assert.deepEqual(others, [])
    assertResource('acs_encoder', encoder)
    assert.equal(encoder.acs_encoder_id, concierge)
    assert.equal(encoder.display_name, 'Concierge Encoder')

    const issued = await encode(seam, card.acs_credential_id)
    assert.ok('card_number' in issued && issued.card_number)
    assert.equal(issued.is_issued, true)
    const fresh = await scan(seam)
    assert.equal(fresh.acs_credential_on_seam?.acs_credential_id, card.acs_credential_id)
    assert.equal(fresh.acs_credential_on_encoder?.card_number, issued.card_number)
    assert.deepEqual(fresh.warnings, [])
    assert.equal(await needsReissue(seam, card.acs_credential_id), false)

    // Jane joins Staff: her card opens more now, and the card she holds does not.
    await seam.acs.users.addToAccessGroup({
      acs_user_id: user.acs_user_id,
      acs_access_group_id: staff,
    })
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), allDoors)
    assert.equal(await needsReissue(seam, card.acs_credential_id), true)
    const stale = await scan(seam)
    assert.match(outOfSync(stale.warnings)?.warning_message ?? '', /acs_entrance_ids/)

    const reencoded = await encode(seam, card.acs_credential_id)
    // The same card is rewritten.
    assert.ok('card_number' in reencoded)
    assert.equal(reencoded.card_number, issued.card_number)
    assert.equal(await needsReissue(seam, card.acs_credential_id), false)
    assert.deepEqual((await scan(seam)).warnings, [])

    // She leaves Guests: again out of sync until encoded.
    await seam.acs.accessGroups.removeUser({
      acs_access_group_id: guests,
      acs_user_id: user.acs_user_id,
    })
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), staffDoors)
    assert.equal(await needsReissue(seam, card.acs_credential_id), true)
    assert.ok(outOfSync((await scan(seam)).warnings))
    await encode(seam, card.acs_credential_id)
    assert.deepEqual((await scan(seam)).warnings, [])

    const reissued = await seam.events.list({
      since,
      acs_credential_id: card.acs_credential_id,
      event_types: ['acs_credential.issued', 'acs_credential.reissued'],
    })
    for (const event of reissued) assertResource('event', event)
    assert.deepEqual(reissued.map((e) => e.event_type).reverse(), [
      'acs_credential.issued',
      'acs_credential.reissued',
      'acs_credential.reissued',
    ])
  })

  test('the group rules: access only through groups, cards only, several cards per user', async () => {
    const seam = server.current.seam()
    const groups = await seam.acs.accessGroups.list({ acs_system_id: resort })
    for (const group of groups) assertResource('acs_access_group', group)
    assert.deepEqual(
      groups.map((g) => [g.acs_access_group_id, g.name, g.external_type]),
      [
        [guests, 'Guests', 'dormakaba_ambiance_access_group'],
        [staff, 'Staff', 'dormakaba_ambiance_access_group'],
      ],
    )
    const lounge = await seam.acs.accessGroups.listAccessibleEntrances({
      acs_access_group_id: guests,
    })
    for (const entrance of lounge) assertResource('acs_entrance', entrance)
    assert.deepEqual(lounge.map((e) => e.display_name).sort(), guestDoors)

    const user = await newUser(seam, 'Rule Checker')
    // Entrances named on the credential are refused: access comes from groups.
    await expectApiError(
      seam.acs.credentials.create({
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [await entranceId(seam, 'Suite 301')],
      }),
      400,
      'invalid_input',
      /access groups/,
    )
    // Cards only: no PIN codes, no mobile keys.
    for (const access_method of ['code', 'mobile_key'] as const) {
      await expectApiError(
        seam.acs.credentials.create({ acs_user_id: user.acs_user_id, access_method }),
        400,
        'invalid_input',
        /supported: card/,
      )
    }

    // A user in no group gets a card that opens nothing.
    const first = await newCard(seam, user.acs_user_id)
    assert.deepEqual(await doorsOf(seam, first.acs_credential_id), [])
    // A second card for the same user is its own credential (no one-card rule).
    const second = await newCard(seam, user.acs_user_id)
    assert.notEqual(second.acs_credential_id, first.acs_credential_id)
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: staff,
      acs_user_id: user.acs_user_id,
    })
    assert.deepEqual(await doorsOf(seam, first.acs_credential_id), staffDoors)
    assert.deepEqual(await doorsOf(seam, second.acs_credential_id), staffDoors)
    const accessible = await seam.acs.users.listAccessibleEntrances({
      acs_user_id: user.acs_user_id,
    })
    for (const entrance of accessible) assertResource('acs_entrance', entrance)
    assert.deepEqual(accessible.map((e) => e.display_name).sort(), staffDoors)

    // Both cards are encoded, on two different cards.
    const one = await encode(seam, first.acs_credential_id)
    const two = await encode(seam, second.acs_credential_id)
    assert.ok('card_number' in one && 'card_number' in two)
    assert.notEqual(one.card_number, two.card_number)

    // Adding the member twice changes nothing; deleting the group takes its doors off.
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: staff,
      acs_user_id: user.acs_user_id,
    })
    assert.equal(await needsReissue(seam, first.acs_credential_id), false)
    // An entrance granted to the user opens beside the groups' (README, "Access groups").
    await seam.acs.entrances.grantAccess({
      acs_entrance_id: await entranceId(seam, 'Suite 304'),
      acs_user_id: user.acs_user_id,
    })
    assert.deepEqual(
      await doorsOf(seam, second.acs_credential_id),
      [...staffDoors, 'Suite 304'].sort(),
    )
    await seam.acs.accessGroups.delete({ acs_access_group_id: staff })
    assert.deepEqual(await doorsOf(seam, first.acs_credential_id), ['Suite 304'])
    assert.equal(await needsReissue(seam, first.acs_credential_id), true)
    assert.equal(await needsReissue(seam, second.acs_credential_id), true)

    // Groups of other systems, and users of other systems, stay apart.
    const hotelGuest = await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Hotel Guest',
    })
    await expectApiError(
      seam.acs.users.addToAccessGroup({
        acs_user_id: hotelGuest.acs_user_id,
        acs_access_group_id: guests,
      }),
      400,
      'invalid_input',
      /another access system/,
    )
    await expectApiError(
      seam.acs.users.addToAccessGroup({
        acs_user_id: user.acs_user_id,
        acs_access_group_id: spaceEmployees,
      }),
      400,
      'invalid_input',
      /another access system/,
    )

    const reset = await seam.workspaces.resetSandbox()
    assert.equal(reset.status, 'success')
  })

  test('no remote unlock: entrances say so, no unlock endpoint, no cloud keys', async () => {
    const seam = server.current.seam()
    const entrances = await resortEntrances(seam)
    assert.deepEqual(entrances.map((e) => e.display_name).sort(), allDoors)
    for (const entrance of entrances) {
      assert.equal(entrance.can_unlock_with_cloud_key, false, entrance.display_name)
      assert.equal(entrance.can_unlock_with_card, true)
      assert.equal(entrance.can_unlock_with_code, false)
      assert.equal(entrance.can_belong_to_reservation, false)
      assert.deepEqual(entrance.dormakaba_ambiance_metadata, {
        access_point_name: entrance.display_name,
      })
    }
    // Only Ambiance says it: the hotel's entrances do not claim anything about cloud keys.
    const hotelDoors = await seam.acs.entrances.list({ acs_system_id: hotel })
    assert.ok(hotelDoors.length > 0)
    assert.ok(hotelDoors.every((e) => e.can_unlock_with_cloud_key === undefined))

    // Keysmith serves no remote unlock at all: the endpoints answer 404 in Seam's shape.
    const [door] = entrances
    assert.ok(door)
    for (const [path, body] of [
      ['/acs/entrances/unlock', { acs_entrance_id: door.acs_entrance_id }],
      ['/access_methods/unlock_door', { access_method_id: door.acs_entrance_id }],
    ] as const) {
      const response = await server.current.fetch(path, { json: body })
      assert.equal(response.status, 404, path)
      const answer = (await response.json()) as { error?: { type?: string; request_id?: string } }
      assert.equal(answer.error?.type, 'endpoint_not_found')
      assert.ok(answer.error?.request_id)
    }

    // A grant asking for a cloud key on an Ambiance door gets none, and says why.
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Remote Hopeful' },
      acs_entrance_ids: [door.acs_entrance_id],
      requested_access_methods: [{ mode: 'cloud_key' }],
    })
    assertResource('access_grant', grant)
    assert.deepEqual(grant.access_method_ids, [])
    assert.deepEqual(
      grant.errors.map((e) => e.error_code),
      ['cannot_create_requested_access_methods'],
    )
    // Nor is a cloud key credential issued directly.
    await expectApiError(
      seam.acs.credentials.create({
        acs_user_id: (await newUser(seam, 'Cloud Key')).acs_user_id,
        access_method: 'cloud_key',
      }),
      400,
      'invalid_input',
      /do not issue cloud_key credentials; supported: card/,
    )
  })

  test('an Access Grant with a card on Ambiance entrances: made by entrances, encoded, scanned', async () => {
    const seam = server.current.seam()
    const suite = await entranceId(seam, 'Suite 302')
    const lounge = await entranceId(seam, 'Business Lounge')
    const identity = await seam.userIdentities.create({ full_name: 'Grant Guest' })
    const grant = await seam.accessGrants.create({
      user_identity_id: identity.user_identity_id,
      acs_entrance_ids: [suite, lounge],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2026-05-01T15:00:00.000Z',
      ends_at: '2026-05-04T11:00:00.000Z',
    })
    assertResource('access_grant', grant)
    assert.deepEqual(grant.errors, [])
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    const method = await seam.accessMethods.get({ access_method_id: methodId })
    assertResource('access_method', method)
    assert.equal(method.is_encoding_required, true)
    assert.equal(method.is_issued, false)

    const [credential, ...more] = await seam.acs.credentials.list({
      user_identity_id: identity.user_identity_id,
    })
    assert.ok(credential)
    assert.deepEqual(more, [])
    assertResource('acs_credential', credential)
    assert.equal(credential.acs_system_id, resort)
    assert.equal(credential.external_type, 'dormakaba_ambiance_credential')
    assert.equal(credential.starts_at, '2026-05-01T15:00:00.000Z')
    assert.equal(credential.ends_at, '2026-05-04T11:00:00.000Z')
    // The grant's card opens the grant's entrances, not those of any group.
    assert.deepEqual(await doorsOf(seam, credential.acs_credential_id), [
      'Business Lounge',
      'Suite 302',
    ])

    await seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: concierge })
    const issued = await seam.accessMethods.get({ access_method_id: methodId })
    assertResource('access_method', issued)
    assert.equal(issued.is_issued, true)
    assert.equal(issued.is_encoding_required, false)
    const scanned = await scan(seam)
    assert.equal(scanned.acs_credential_on_seam?.acs_credential_id, credential.acs_credential_id)
    assert.deepEqual(scanned.warnings, [])

    // The grant's user joining a group leaves the grant's card to its grant.
    assert.ok(credential.acs_user_id)
    await seam.acs.users.addToAccessGroup({
      acs_user_id: credential.acs_user_id,
      acs_access_group_id: staff,
    })
    assert.deepEqual(await doorsOf(seam, credential.acs_credential_id), [
      'Business Lounge',
      'Suite 302',
    ])
    assert.equal(await needsReissue(seam, credential.acs_credential_id), false)

    // Changing the stay makes the card need encoding again, as on any card system.
    await seam.accessGrants.update({
      access_grant_id: grant.access_grant_id,
      ends_at: '2026-05-06T11:00:00.000Z',
    })
    const stale = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(stale.is_encoding_required, true)
    assert.match(outOfSync((await scan(seam)).warnings)?.warning_message ?? '', /ends_at/)
    const again = await seam.accessMethods.encode({
      access_method_id: methodId,
      acs_encoder_id: concierge,
    })
    assertResource('action_attempt', again)
    assert.equal(again.status, 'success')
    assert.deepEqual((await scan(seam)).warnings, [])

    // Ambiance entrances cannot belong to a reservation (no override rule modelled).
    await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Reservation Guest' },
        acs_entrance_ids: [suite],
        requested_access_methods: [{ mode: 'card' }],
        reservation_key: 'ambiance-res-1',
      }),
      400,
      'invalid_input',
    )
    await seam.accessGrants.delete({ access_grant_id: grant.access_grant_id })
  })

  test('/workspaces/reset_sandbox restores the Ambiance site with the documented ids', async () => {
    const seam = server.current.seam()
    const user = await newUser(seam, 'Before Reset')
    await seam.acs.users.addToAccessGroup({
      acs_user_id: user.acs_user_id,
      acs_access_group_id: guests,
    })
    await newCard(seam, user.acs_user_id)
    await seam.acs.accessGroups.delete({ acs_access_group_id: staff })

    const reset = await seam.workspaces.resetSandbox()
    assertResource('action_attempt', reset)
    assert.equal(reset.status, 'success')

    const system = await seam.acs.systems.get({ acs_system_id: resort })
    assertResource('acs_system', system)
    assert.equal(system.name, 'Sandbox Ambiance Resort')
    assert.equal(system.external_type, 'dormakaba_ambiance_site')
    assert.equal(system.connected_account_id, resortAccount)
    const account = await seam.connectedAccounts.get({ connected_account_id: resortAccount })
    assertResource('connected_account', account)
    assert.equal(account.account_type, 'dormakaba_ambiance')
    assert.equal(account.display_name, 'My Ambiance Site')

    for (const [id, name, doors] of [
      [guests, 'Guests', guestDoors],
      [staff, 'Staff', staffDoors],
    ] as const) {
      const group = await seam.acs.accessGroups.get({ acs_access_group_id: id })
      assertResource('acs_access_group', group)
      assert.equal(group.name, name)
      assert.equal(group.acs_system_id, resort)
      const entrances = await seam.acs.accessGroups.listAccessibleEntrances({
        acs_access_group_id: id,
      })
      assert.deepEqual(entrances.map((e) => e.display_name).sort(), doors)
      assert.deepEqual(await seam.acs.accessGroups.listUsers({ acs_access_group_id: id }), [])
    }
    const encoder = await seam.acs.encoders.get({ acs_encoder_id: concierge })
    assertResource('acs_encoder', encoder)
    assert.equal(encoder.display_name, 'Concierge Encoder')
    assert.equal(encoder.acs_system_id, resort)
    assert.deepEqual((await resortEntrances(seam)).map((e) => e.display_name).sort(), allDoors)
    // Door names are unique across all of the sandbox's access systems.
    const names = (await seam.acs.entrances.list({ limit: 1000 })).map((e) => e.display_name)
    assert.equal(new Set(names).size, names.length)
    assert.deepEqual(await seam.acs.users.list({ acs_system_id: resort }), [])
    assert.deepEqual(await seam.acs.credentials.list({ acs_system_id: resort }), [])
  })
})
