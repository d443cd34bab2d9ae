import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import {
  expectApiError,
  hotel,
  newCardCredential,
  room101,
  sandboxGuest,
  since,
  spaceEmployees,
  spaceFacilities,
  spaceNcoder,
  spaceOffices,
  unknownId,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

type UserSelector = Parameters<SeamHttp['acs']['users']['listAccessibleEntrances']>[0]

/** The names of the entrances an ACS user can open, each checked against the document. */
const userDoors = async (seam: SeamHttp, selector: UserSelector): Promise<string[]> => {
  const entrances = await seam.acs.users.listAccessibleEntrances(selector)
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return entrances.map((e) => e.display_name).sort()
}

const credentialDoors = async (seam: SeamHttp, acsCredentialId: string): Promise<string[]> => {
  const entrances = await seam.acs.credentials.listAccessibleEntrances({
    acs_credential_id: acsCredentialId,
  })
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return entrances.map((e) => e.display_name).sort()
}

/**
 * Assigns or unassigns through the SDK (which answers nothing: the document's
 * operation has no response key) and returns the credential as it is now.
 */
const moved = async (
  seam: SeamHttp,
  call: SeamHttp['acs']['credentials']['assign'] | SeamHttp['acs']['credentials']['unassign'],
  body: Parameters<SeamHttp['acs']['credentials']['assign']>[0],
) => {
  await call.call(seam.acs.credentials, body)
  const credential = await seam.acs.credentials.get({ acs_credential_id: body.acs_credential_id })
  assertResource('acs_credential', credential)
  return credential
}

const invalidatedEvents = async (seam: SeamHttp, acsCredentialId: string) => {
  const events = await seam.events.list({
    since,
    acs_credential_id: acsCredentialId,
    event_types: ['acs_credential.invalidated'],
  })
  for (const event of events) assertResource('event', event)
  return events
}

/** A Salto Space user in Employees and Facilities with an encoded card. */
const spaceUserWithCard = async (seam: SeamHttp, name: string) => {
  const user = await seam.acs.users.create({ acs_system_id: spaceOffices, full_name: name })
  for (const group of [spaceEmployees, spaceFacilities]) {
    await seam.acs.users.addToAccessGroup({
      acs_user_id: user.acs_user_id,
      acs_access_group_id: group,
    })
  }
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
  })
  const attempt = await seam.acs.encoders.encodeCredential({
    acs_credential_id: credential.acs_credential_id,
    acs_encoder_id: spaceNcoder,
  })
  assert.equal(attempt.status, 'success')
  return { user, credential }
}

forEachDatabase(
  'ACS user access: list_accessible_entrances, revoke_access_to_all_entrances',
  (kind) => {
    const server = useServer(kind)

    test('list_accessible_entrances: through credentials, through access groups, both, each door once', async () => {
      const seam = server.current.seam()
      // The sandbox guest's card opens Room 103 and the Lobby.
      assert.deepEqual(await userDoors(seam, { acs_user_id: sandboxGuest.acsUserId }), [
        'Lobby',
        'Room 103',
      ])
      // A hotel user with a Room 101 card, then a second card for Room 101 and the Lobby.
      const { user, credential } = await newCardCredential(seam, 'Entrance Lister')
      assertResource('acs_credential', credential)
      assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), ['Room 101'])
      const lobby = (await seam.acs.entrances.list({ acs_system_id: hotel })).find(
        (e) => e.display_name === 'Lobby',
      )
      assert.ok(lobby)
      await seam.acs.credentials.create({
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [room101, lobby.acs_entrance_id],
      })
      assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), [
        'Lobby',
        'Room 101',
      ])

      // A Salto Space user: the doors of its groups, with or without a card.
      const spaceUser = await seam.acs.users.create({
        acs_system_id: spaceOffices,
        full_name: 'Group Member',
      })
      assert.deepEqual(await userDoors(seam, { acs_user_id: spaceUser.acs_user_id }), [])
      await seam.acs.users.addToAccessGroup({
        acs_user_id: spaceUser.acs_user_id,
        acs_access_group_id: spaceEmployees,
      })
      assert.deepEqual(await userDoors(seam, { acs_user_id: spaceUser.acs_user_id }), [
        'Front Door',
        'Meeting Room',
        'Office 101',
        'Parking',
      ])
      await seam.acs.users.addToAccessGroup({
        acs_user_id: spaceUser.acs_user_id,
        acs_access_group_id: spaceFacilities,
      })
      await seam.acs.credentials.create({
        acs_user_id: spaceUser.acs_user_id,
        access_method: 'card',
      })
      assert.deepEqual(await userDoors(seam, { acs_user_id: spaceUser.acs_user_id }), [
        'Front Door',
        'Meeting Room',
        'Office 101',
        'Parking',
        'Server Room',
      ])
    })

    test('list_accessible_entrances by user identity and access system, as Seam documents it', async () => {
      const seam = server.current.seam()
      const identity = await seam.userIdentities.create({ full_name: 'Identity Holder' })
      const user = await seam.acs.users.create({
        acs_system_id: hotel,
        full_name: 'Identity Holder',
        user_identity_id: identity.user_identity_id,
      })
      await seam.acs.credentials.create({
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [room101],
      })
      assert.deepEqual(
        await userDoors(seam, {
          user_identity_id: identity.user_identity_id,
          acs_system_id: hotel,
        }),
        ['Room 101'],
      )
      // No ACS user of that identity in the Salto Space site.
      await expectApiError(
        seam.acs.users.listAccessibleEntrances({
          user_identity_id: identity.user_identity_id,
          acs_system_id: spaceOffices,
        }),
        404,
        'acs_user_not_found',
      )
    })

    test('bad input: no user named, an unknown user, another access system, a malformed id', async () => {
      const seam = server.current.seam()
      for (const call of [
        (body: object) => seam.acs.users.listAccessibleEntrances(body as UserSelector),
        (body: object) => seam.acs.users.revokeAccessToAllEntrances(body as UserSelector),
      ]) {
        await expectApiError(call({ acs_user_id: unknownId }), 404, 'acs_user_not_found')
        await expectApiError(call({ acs_user_id: 'not-a-uuid' }), 400, 'invalid_input')
        await expectApiError(
          call({ acs_user_id: sandboxGuest.acsUserId, acs_system_id: spaceOffices }),
          400,
          'invalid_input',
        )
      }
    })

    test('revoke_access_to_all_entrances: groups left, cards open nothing and need re-encoding, one event each', async () => {
      const seam = server.current.seam()
      const { user, credential } = await spaceUserWithCard(seam, 'Leaving Employee')
      assert.equal((await userDoors(seam, { acs_user_id: user.acs_user_id })).length, 5)
      const before = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      assert.equal(before.is_issued, true)
      assert.ok(!before.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))

      await seam.acs.users.revokeAccessToAllEntrances({ acs_user_id: user.acs_user_id })

      assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), [])
      assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), [])
      const groups = await seam.acs.accessGroups.list({ acs_user_id: user.acs_user_id })
      assert.deepEqual(groups, [])
      for (const group of [spaceEmployees, spaceFacilities]) {
        const members = await seam.acs.accessGroups.listUsers({ acs_access_group_id: group })
        assert.ok(!members.some((m) => m.acs_user_id === user.acs_user_id))
      }
      // The user and the credential remain; the written card needs re-encoding.
      const kept = await seam.acs.users.get({ acs_user_id: user.acs_user_id })
      assertResource('acs_user', kept)
      const after = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      assertResource('acs_credential', after)
      assert.ok(after.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))
      const events = await invalidatedEvents(seam, credential.acs_credential_id)
      assert.equal(events.length, 1)
      const [event] = events
      assert.ok(event?.event_type === 'acs_credential.invalidated')
      assert.equal(event.acs_system_id, spaceOffices)

      // A second revoke changes nothing and records nothing.
      await seam.acs.users.revokeAccessToAllEntrances({ acs_user_id: user.acs_user_id })
      assert.equal((await invalidatedEvents(seam, credential.acs_credential_id)).length, 1)
    })

    test('revoke_access_to_all_entrances on a hotel user by user identity: every card opens nothing', async () => {
      const seam = server.current.seam()
      const identity = await seam.userIdentities.create({ full_name: 'Checked Out' })
      const user = await seam.acs.users.create({
        acs_system_id: hotel,
        full_name: 'Checked Out',
        user_identity_id: identity.user_identity_id,
      })
      const cards = []
      for (let i = 0; i < 2; i += 1) {
        cards.push(
          await seam.acs.credentials.create({
            acs_user_id: user.acs_user_id,
            access_method: 'card',
            allowed_acs_entrance_ids: [room101],
          }),
        )
      }
      // Someone else's card is untouched.
      const { credential: neighbour } = await newCardCredential(seam, 'Neighbour')
      await seam.acs.users.revokeAccessToAllEntrances({
        user_identity_id: identity.user_identity_id,
        acs_system_id: hotel,
      })
      assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), [])
      for (const card of cards) {
        assert.deepEqual(await credentialDoors(seam, card.acs_credential_id), [])
        assert.equal((await invalidatedEvents(seam, card.acs_credential_id)).length, 1)
      }
      assert.deepEqual(await credentialDoors(seam, neighbour.acs_credential_id), ['Room 101'])
      assert.equal((await invalidatedEvents(seam, neighbour.acs_credential_id)).length, 0)
    })

    test('a client session lists the entrances of its own ACS user only', async () => {
      const seam = server.current.seam()
      const identity = await seam.userIdentities.create({ full_name: 'Kiosk Guest' })
      const user = await seam.acs.users.create({
        acs_system_id: hotel,
        full_name: 'Kiosk Guest',
        user_identity_id: identity.user_identity_id,
      })
      await seam.acs.credentials.create({
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [room101],
      })
      const session = await seam.clientSessions.create({
        user_identity_ids: [identity.user_identity_id],
      })
      const guest = SeamHttp.fromClientSessionToken(session.token, { endpoint: server.current.url })
      assert.deepEqual(await userDoors(guest, { acs_user_id: user.acs_user_id }), ['Room 101'])
      await expectApiError(
        guest.acs.users.listAccessibleEntrances({ acs_user_id: sandboxGuest.acsUserId }),
        404,
        'acs_user_not_found',
      )
    })

    test("another workspace's users are not found, and ours stay as they were", async () => {
      const seam = server.current.seam()
      const { user, credential } = await spaceUserWithCard(seam, 'Well Guarded')
      const other = await server.current.createWorkspace('Other Offices', { sandbox: true })
      const theirs = server.current.seam({ apiKey: other.apiKey })
      await expectApiError(
        theirs.acs.users.listAccessibleEntrances({ acs_user_id: user.acs_user_id }),
        404,
        'acs_user_not_found',
      )
      await expectApiError(
        theirs.acs.users.revokeAccessToAllEntrances({ acs_user_id: user.acs_user_id }),
        404,
        'acs_user_not_found',
      )
      // Our system id with their request: no user of theirs there either.
      await expectApiError(
        theirs.acs.users.revokeAccessToAllEntrances({
          user_identity_id: unknownId,
          acs_system_id: spaceOffices,
        }),
        404,
        'acs_user_not_found',
      )
      assert.equal((await userDoors(seam, { acs_user_id: user.acs_user_id })).length, 5)
      assert.equal((await credentialDoors(seam, credential.acs_credential_id)).length, 5)
      assert.equal((await invalidatedEvents(seam, credential.acs_credential_id)).length, 0)
    })
  },
)

forEachDatabase('ACS credentials: assign and unassign', (kind) => {
  const server = useServer(kind)

  test('a hotel card moves to another user with its entrances, then is left with none', async () => {
    const seam = server.current.seam()
    const { user: first, credential } = await newCardCredential(seam, 'First Holder')
    const second = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Second Holder' })
    const assigned = await moved(seam, seam.acs.credentials.assign, {
      acs_credential_id: credential.acs_credential_id,
      acs_user_id: second.acs_user_id,
    })
    assertResource('acs_credential', assigned)
    assert.equal(assigned.acs_user_id, second.acs_user_id)
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), ['Room 101'])
    assert.deepEqual(await userDoors(seam, { acs_user_id: first.acs_user_id }), [])
    assert.deepEqual(await userDoors(seam, { acs_user_id: second.acs_user_id }), ['Room 101'])
    // Assigning it to its user again changes nothing.
    const again = await moved(seam, seam.acs.credentials.assign, {
      acs_credential_id: credential.acs_credential_id,
      acs_user_id: second.acs_user_id,
    })
    assert.equal(again.acs_user_id, second.acs_user_id)

    // Unassigning names the user it is assigned to.
    await expectApiError(
      seam.acs.credentials.unassign({
        acs_credential_id: credential.acs_credential_id,
        acs_user_id: first.acs_user_id,
      }),
      400,
      'invalid_input',
    )
    const unassigned = await moved(seam, seam.acs.credentials.unassign, {
      acs_credential_id: credential.acs_credential_id,
      acs_user_id: second.acs_user_id,
    })
    assertResource('acs_credential', unassigned)
    assert.equal(unassigned.acs_user_id, undefined)
    assert.deepEqual(await userDoors(seam, { acs_user_id: second.acs_user_id }), [])
    await expectApiError(
      seam.acs.credentials.unassign({
        acs_credential_id: credential.acs_credential_id,
        acs_user_id: second.acs_user_id,
      }),
      400,
      'invalid_input',
    )
  })

  test('assign by user identity: its ACS user in the credential’s system, made when missing', async () => {
    const seam = server.current.seam()
    const { credential } = await newCardCredential(seam, 'Before Identity')
    const identity = await seam.userIdentities.create({ full_name: 'Identity Assignee' })
    // The answer is the document's: the credential, as the SDK would not show it.
    const response = await server.current.fetch('/acs/credentials/assign', {
      json: {
        acs_credential_id: credential.acs_credential_id,
        user_identity_id: identity.user_identity_id,
      },
    })
    assert.equal(response.status, 200)
    const body = (await response.json()) as { ok: boolean; acs_credential: unknown }
    assert.equal(body.ok, true)
    assertResource('acs_credential', body.acs_credential)
    const assigned = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assertResource('acs_credential', assigned)
    assert.ok(assigned.acs_user_id)
    const user = await seam.acs.users.get({ acs_user_id: assigned.acs_user_id })
    assert.equal(user.user_identity_id, identity.user_identity_id)
    assert.equal(user.acs_system_id, hotel)
    const unassigned = await moved(seam, seam.acs.credentials.unassign, {
      acs_credential_id: credential.acs_credential_id,
      user_identity_id: identity.user_identity_id,
    })
    assert.equal(unassigned.acs_user_id, undefined)
  })

  test('Salto Space: the card follows its new user’s groups, needs re-encoding, one card per user', async () => {
    const seam = server.current.seam()
    const { credential } = await spaceUserWithCard(seam, 'Card Giver')
    const taker = await seam.acs.users.create({
      acs_system_id: spaceOffices,
      full_name: 'Card Taker',
    })
    await seam.acs.users.addToAccessGroup({
      acs_user_id: taker.acs_user_id,
      acs_access_group_id: spaceFacilities,
    })
    const assigned = await moved(seam, seam.acs.credentials.assign, {
      acs_credential_id: credential.acs_credential_id,
      acs_user_id: taker.acs_user_id,
    })
    assertResource('acs_credential', assigned)
    assert.equal(assigned.acs_user_id, taker.acs_user_id)
    assert.ok(assigned.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), [
      'Front Door',
      'Server Room',
    ])
    // A user who has a card already gets no second one.
    const { user: holder } = await spaceUserWithCard(seam, 'Has A Card')
    await expectApiError(
      seam.acs.credentials.assign({
        acs_credential_id: credential.acs_credential_id,
        acs_user_id: holder.acs_user_id,
      }),
      400,
      'invalid_input',
      /one per user/,
    )
    // Without a user, a card of a group system opens nothing.
    await seam.acs.credentials.unassign({
      acs_credential_id: credential.acs_credential_id,
      acs_user_id: taker.acs_user_id,
    })
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), [])
  })

  test('bad input, another access system, another workspace', async () => {
    const seam = server.current.seam()
    const { credential } = await newCardCredential(seam, 'Stays Put')
    const spaceUser = await seam.acs.users.create({
      acs_system_id: spaceOffices,
      full_name: 'Other System',
    })
    await expectApiError(
      seam.acs.credentials.assign({
        acs_credential_id: credential.acs_credential_id,
        acs_user_id: spaceUser.acs_user_id,
      }),
      400,
      'invalid_input',
    )
    await expectApiError(
      seam.acs.credentials.assign({
        acs_credential_id: unknownId,
        acs_user_id: spaceUser.acs_user_id,
      }),
      404,
      'acs_credential_not_found',
    )
    await expectApiError(
      seam.acs.credentials.assign({
        acs_credential_id: credential.acs_credential_id,
        acs_user_id: unknownId,
      }),
      404,
      'acs_user_not_found',
    )
    await expectApiError(
      seam.acs.credentials.assign({ acs_credential_id: credential.acs_credential_id }),
      400,
      'invalid_input',
    )
    await expectApiError(
      seam.acs.credentials.unassign({ acs_credential_id: 'not-a-uuid', acs_user_id: unknownId }),
      400,
      'invalid_input',
    )

    const other = await server.current.createWorkspace('Other Hotel', { sandbox: true })
    const theirs = server.current.seam({ apiKey: other.apiKey })
    const theirHotel = (await theirs.acs.systems.list()).find(
      (system) => system.external_type === 'visionline_system',
    )
    assert.ok(theirHotel)
    const theirUser = await theirs.acs.users.create({
      acs_system_id: theirHotel.acs_system_id,
      full_name: 'Theirs',
    })
    const theirCard = await theirs.acs.credentials.create({
      acs_user_id: theirUser.acs_user_id,
      access_method: 'card',
    })
    for (const call of [theirs.acs.credentials.assign, theirs.acs.credentials.unassign]) {
      await expectApiError(
        call.call(theirs.acs.credentials, {
          acs_credential_id: credential.acs_credential_id,
          acs_user_id: theirUser.acs_user_id,
        }),
        404,
        'acs_credential_not_found',
      )
    }
    const { user: ours } = await newCardCredential(seam, 'Ours')
    await expectApiError(
      theirs.acs.credentials.assign({
        acs_credential_id: theirCard.acs_credential_id,
        acs_user_id: ours.acs_user_id,
      }),
      404,
      'acs_user_not_found',
    )
    const unchanged = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(unchanged.acs_user_id !== undefined, true)
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), ['Room 101'])
  })
})

const lobby = '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f'
const room102 = 'f74e4879-5991-4e2f-a368-888983dcfbfc'

const needsReissue = async (seam: SeamHttp, acsCredentialId: string): Promise<boolean> => {
  const credential = await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })
  assertResource('acs_credential', credential)
  return credential.warnings.some((w) => w.warning_code === 'needs_to_be_reissued')
}

/** The id of an entrance of an access system, by name. */
const entranceNamed = async (seam: SeamHttp, acsSystemId: string, name: string) => {
  const entrances = await seam.acs.entrances.list({ acs_system_id: acsSystemId })
  const entrance = entrances.find((e) => e.display_name === name)
  assert.ok(entrance, `${name} is an entrance of ${acsSystemId}`)
  assertResource('acs_entrance', entrance)
  return entrance.acs_entrance_id
}

forEachDatabase('ACS entrances: grant_access', (kind) => {
  const server = useServer(kind)

  test('by entrances: every credential of the user opens the entrance, now and later; revoke takes it back', async () => {
    const seam = server.current.seam()
    const { user, credential } = await newCardCredential(seam, 'Granted Guest')
    const attempt = await seam.acs.encoders.encodeCredential({
      acs_credential_id: credential.acs_credential_id,
      acs_encoder_id: '18ad521a-308e-4182-b1a6-2338b46a2763',
    })
    assert.equal(attempt.status, 'success')
    assert.equal(await needsReissue(seam, credential.acs_credential_id), false)

    await seam.acs.entrances.grantAccess({ acs_entrance_id: lobby, acs_user_id: user.acs_user_id })
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), [
      'Lobby',
      'Room 101',
    ])
    // The card on the guest's key ring does not open the Lobby until encoded again.
    assert.equal(await needsReissue(seam, credential.acs_credential_id), true)
    assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), [
      'Lobby',
      'Room 101',
    ])
    // Granting it again changes nothing.
    const before = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    await seam.acs.entrances.grantAccess({ acs_entrance_id: lobby, acs_user_id: user.acs_user_id })
    const after = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assert.deepEqual(after, before)

    // A credential made later opens it too, beside its own entrances.
    const later = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room102],
    })
    assertResource('acs_credential', later)
    assert.deepEqual(await credentialDoors(seam, later.acs_credential_id), ['Lobby', 'Room 102'])

    // Another user is not affected.
    const { user: other, credential: theirs } = await newCardCredential(seam, 'Not Granted')
    assert.deepEqual(await credentialDoors(seam, theirs.acs_credential_id), ['Room 101'])
    assert.deepEqual(await userDoors(seam, { acs_user_id: other.acs_user_id }), ['Room 101'])

    await seam.acs.users.revokeAccessToAllEntrances({ acs_user_id: user.acs_user_id })
    assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), [])
    const afterRevoke = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room102],
    })
    assert.deepEqual(await credentialDoors(seam, afterRevoke.acs_credential_id), ['Room 102'])
  })

  test('by user identity: its ACS user in the entrance’s system, made when missing', async () => {
    const seam = server.current.seam()
    const identity = await seam.userIdentities.create({ full_name: 'Granted Identity' })
    await seam.acs.entrances.grantAccess({
      acs_entrance_id: lobby,
      user_identity_id: identity.user_identity_id,
    })
    const users = await seam.acs.users.list({ user_identity_id: identity.user_identity_id })
    assert.equal(users.length, 1)
    const [user] = users
    assert.ok(user)
    assertResource('acs_user', user)
    assert.equal(user.acs_system_id, hotel)
    assert.deepEqual(
      await userDoors(seam, { user_identity_id: identity.user_identity_id, acs_system_id: hotel }),
      ['Lobby'],
    )
    // The user's first card opens it with no entrance named.
    const card = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
    })
    assert.deepEqual(await credentialDoors(seam, card.acs_credential_id), ['Lobby'])
  })

  test('by access groups: the card opens the granted entrance beside its groups’ entrances', async () => {
    const seam = server.current.seam()
    const { user, credential } = await spaceUserWithCard(seam, 'Granted Employee')
    const office102 = await entranceNamed(seam, spaceOffices, 'Office 102')
    const doorsBefore = await credentialDoors(seam, credential.acs_credential_id)
    assert.ok(!doorsBefore.includes('Office 102'), 'no group of the user opens Office 102')
    await seam.acs.entrances.grantAccess({
      acs_entrance_id: office102,
      acs_user_id: user.acs_user_id,
    })
    assert.deepEqual(
      await credentialDoors(seam, credential.acs_credential_id),
      [...doorsBefore, 'Office 102'].sort(),
    )
    assert.equal(await needsReissue(seam, credential.acs_credential_id), true)
    // Leaving every group keeps what was granted to the user directly.
    for (const group of await seam.acs.accessGroups.list({ acs_user_id: user.acs_user_id })) {
      await seam.acs.users.removeFromAccessGroup({
        acs_user_id: user.acs_user_id,
        acs_access_group_id: group.acs_access_group_id,
      })
    }
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), ['Office 102'])
    await seam.acs.users.revokeAccessToAllEntrances({ acs_user_id: user.acs_user_id })
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), [])
  })

  test('bad input, another access system, another workspace', async () => {
    const seam = server.current.seam()
    const { user, credential } = await newCardCredential(seam, 'Grant Errors')
    await expectApiError(
      seam.acs.entrances.grantAccess({ acs_entrance_id: lobby }),
      400,
      'invalid_input',
    )
    const identity = await seam.userIdentities.create({ full_name: 'Both Given' })
    await expectApiError(
      seam.acs.entrances.grantAccess({
        acs_entrance_id: lobby,
        acs_user_id: user.acs_user_id,
        user_identity_id: identity.user_identity_id,
      }),
      400,
      'invalid_input',
    )
    await expectApiError(
      seam.acs.entrances.grantAccess({ acs_entrance_id: unknownId, acs_user_id: user.acs_user_id }),
      404,
      'acs_entrance_not_found',
    )
    await expectApiError(
      seam.acs.entrances.grantAccess({ acs_entrance_id: lobby, acs_user_id: unknownId }),
      404,
      'acs_user_not_found',
    )
    const spaceUser = await seam.acs.users.create({
      acs_system_id: spaceOffices,
      full_name: 'Wrong System',
    })
    await expectApiError(
      seam.acs.entrances.grantAccess({
        acs_entrance_id: lobby,
        acs_user_id: spaceUser.acs_user_id,
      }),
      400,
      'invalid_input',
      /another access system/,
    )

    const other = await server.current.createWorkspace('Grant Elsewhere', { sandbox: true })
    const theirs = server.current.seam({ apiKey: other.apiKey })
    const theirHotel = (await theirs.acs.systems.list()).find(
      (system) => system.external_type === 'visionline_system',
    )
    assert.ok(theirHotel)
    const theirUser = await theirs.acs.users.create({
      acs_system_id: theirHotel.acs_system_id,
      full_name: 'Theirs',
    })
    const theirLobby = await entranceNamed(theirs, theirHotel.acs_system_id, 'Lobby')
    await expectApiError(
      theirs.acs.entrances.grantAccess({
        acs_entrance_id: lobby,
        acs_user_id: theirUser.acs_user_id,
      }),
      404,
      'acs_entrance_not_found',
    )
    await expectApiError(
      theirs.acs.entrances.grantAccess({
        acs_entrance_id: theirLobby,
        acs_user_id: user.acs_user_id,
      }),
      404,
      'acs_user_not_found',
    )
    assert.deepEqual(await credentialDoors(seam, credential.acs_credential_id), ['Room 101'])
    assert.deepEqual(await userDoors(seam, { acs_user_id: user.acs_user_id }), ['Room 101'])
  })
})
