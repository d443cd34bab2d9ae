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
  spaceFacilities,
  spaceNcoder,
  spaceOffices,
  unknownId,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** The names of the entrances a credential opens. */
const doorsOf = async (seam: SeamHttp, acsCredentialId: string): Promise<string[]> => {
  const entrances = await seam.acs.credentials.listAccessibleEntrances({
    acs_credential_id: acsCredentialId,
  })
  for (const entrance of entrances) assertResource('acs_entrance', entrance)
  return entrances.map((e) => e.display_name).sort()
}

const hasReissueWarning = async (seam: SeamHttp, acsCredentialId: string): Promise<boolean> => {
  const credential = await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })
  assertResource('acs_credential', credential)
  return credential.warnings.some((w) => w.warning_code === 'needs_to_be_reissued')
}

const encode = (seam: SeamHttp, acsCredentialId: string) =>
  encodeAt(seam, spaceNcoder, acsCredentialId)

const newUser = async (seam: SeamHttp, name: string) =>
  seam.acs.users.create({ acs_system_id: spaceOffices, full_name: name })

forEachDatabase('Salto ProAccess Space cards and access groups', (kind) => {
  const server = useServer(kind)

  test("the brand guide's card flow (JavaScript): user, access groups, card, encode, update and re-encode", async () => {
    const seam = server.current.seam()
    // As written, except the access system (the guide's 11111111-… is the sandbox's
    // Visionline hotel in Keysmith; the Salto Space site is 44444444-…-111111111111)
    // and `buildingA` where the guide's snippet says `building_a`.
    const buildingA = await seam.acs.systems.get({ acs_system_id: spaceOffices })
    assertResource('acs_system', buildingA)
    assert.equal(buildingA.external_type, 'salto_space_system')

    // Step 1: Create the new access system user.
    const janeUser = await seam.acs.users.create({
      full_name: 'Jane Doe',
      phone_number: '+15555550100',
      acs_system_id: buildingA.acs_system_id,
    })
    assertResource('acs_user', janeUser)
    assert.equal(janeUser.external_type, 'salto_space_user')

    // Step 2: Add the access system user to all desired access groups.
    const accessGroupIds = [
      '44444444-4444-4444-4444-333333333333',
      '44444444-4444-4444-4444-444444444444',
    ]
    for (const accessGroupId of accessGroupIds) {
      await seam.acs.users.addToAccessGroup({
        acs_user_id: janeUser.acs_user_id,
        acs_access_group_id: accessGroupId,
      })
    }

    // Step 3 as the guide's sample writes it: `assign_new_card` is not the document's
    // field, and the answer names the right one.
    await expectApiError(
      seam.acs.credentials.create({
        acs_user_id: janeUser.acs_user_id,
        access_method: 'card',
        salto_space_metadata: { assign_new_card: true } as { assign_new_key?: boolean },
      }),
      400,
      'invalid_input',
      /assign_new_key/,
    )
    // Step 3 with the documented field.
    const cardCredential = await seam.acs.credentials.create({
      acs_user_id: janeUser.acs_user_id,
      access_method: 'card',
      salto_space_metadata: {
        // This example assigns a new card to the user.
        assign_new_key: true,
      },
    })
    assertResource('acs_credential', cardCredential)
    assert.equal(cardCredential.is_issued, false)
    assert.equal(cardCredential.external_type, 'salto_space_key')
    // The card opens the doors of both groups.
    assert.deepEqual(await doorsOf(seam, cardCredential.acs_credential_id), [
      'Front Door',
      'Meeting Room',
      'Office 101',
      'Parking',
      'Server Room',
    ])

    // Step 4: Encode the credential onto a card.
    const encoder = (
      await seam.acs.encoders.list({
        acs_system_ids: [buildingA.acs_system_id],
      })
    )[0]
    assert.ok(encoder)
    assertResource('acs_encoder', encoder)
    const encodingActionAttempt = await seam.acs.encoders.encodeCredential({
      acs_credential_id: cardCredential.acs_credential_id,
      acs_encoder_id: encoder.acs_encoder_id,
    })
    const polled = await seam.actionAttempts.get({
      action_attempt_id: encodingActionAttempt.action_attempt_id,
    })
    assertResource('action_attempt', polled)
    assert.equal(polled.status, 'success')
    assert.equal(polled.action_type, 'ENCODE_CREDENTIAL')
    const issued = polled.action_type === 'ENCODE_CREDENTIAL' ? polled.result : undefined
    assert.ok(issued && 'card_number' in issued && issued.card_number)
    assert.equal(issued.is_issued, true)

    // The card is in sync.
    const scan = await scanCard(seam, encoder.acs_encoder_id)
    assert.equal(scan.acs_credential_on_seam?.acs_credential_id, cardCredential.acs_credential_id)
    assert.deepEqual(scan.warnings, [])

    // Update: Jane leaves Facilities. Her encoded card now opens too much: re-encode.
    await seam.acs.users.removeFromAccessGroup({
      acs_user_id: janeUser.acs_user_id,
      acs_access_group_id: '44444444-4444-4444-4444-444444444444',
    })
    assert.equal(await hasReissueWarning(seam, cardCredential.acs_credential_id), true)
    const stale = await scanCard(seam, encoder.acs_encoder_id)
    assert.ok(
      stale.warnings.some((w) => w.warning_code === 'acs_credential_on_encoder_out_of_sync'),
      JSON.stringify(stale.warnings),
    )
    // "To update a user's card with changed access permissions, set assign_new_key to false":
    // the user's one card, now with the doors of Employees only.
    const updated = await seam.acs.credentials.create({
      acs_user_id: janeUser.acs_user_id,
      access_method: 'card',
      salto_space_metadata: { assign_new_key: false },
    })
    assertResource('acs_credential', updated)
    assert.equal(updated.acs_credential_id, cardCredential.acs_credential_id)
    assert.ok(updated.warnings.some((w) => w.warning_code === 'needs_to_be_reissued'))
    assert.deepEqual(await doorsOf(seam, updated.acs_credential_id), [
      'Front Door',
      'Meeting Room',
      'Office 101',
      'Parking',
    ])
    const reencoded = await encode(seam, updated.acs_credential_id)
    // The same card was rewritten (one card per user).
    assert.equal(reencoded.card_number, issued.card_number)
    assert.equal(await hasReissueWarning(seam, updated.acs_credential_id), false)
    const again = await scanCard(seam, encoder.acs_encoder_id)
    assert.deepEqual(again.warnings, [])
  })

  test('a user holds at most one card: a second is refused, a replacement follows a delete', async () => {
    const seam = server.current.seam()
    const user = await newUser(seam, 'One Card')
    await seam.acs.users.addToAccessGroup({
      acs_user_id: user.acs_user_id,
      acs_access_group_id: spaceEmployees,
    })
    // Nothing to update yet.
    await expectApiError(
      seam.acs.credentials.create({
        acs_user_id: user.acs_user_id,
        access_method: 'card',
        salto_space_metadata: { assign_new_key: false },
      }),
      400,
      'invalid_input',
      /no card credential to update.*assign_new_key to true/,
    )
    const first = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
    })
    assertResource('acs_credential', first)
    for (const metadata of [{ assign_new_key: true }, undefined]) {
      await expectApiError(
        seam.acs.credentials.create({
          acs_user_id: user.acs_user_id,
          access_method: 'card',
          ...(metadata ? { salto_space_metadata: metadata } : {}),
        }),
        400,
        'invalid_input',
        new RegExp(`at most one card credential.*${first.acs_credential_id}`),
      )
    }
    const cards = await seam.acs.credentials.list({ acs_user_id: user.acs_user_id })
    assert.equal(cards.length, 1)

    // A lost card: delete the credential, then assign a new card.
    await seam.acs.credentials.delete({ acs_credential_id: first.acs_credential_id })
    const replacement = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      salto_space_metadata: { assign_new_key: true },
    })
    assertResource('acs_credential', replacement)
    assert.notEqual(replacement.acs_credential_id, first.acs_credential_id)
    await encode(seam, replacement.acs_credential_id)

    // Access comes from groups, never from entrances named on the credential.
    const other = await newUser(seam, 'Named Doors')
    const [door] = await seam.acs.entrances.list({ acs_system_id: spaceOffices })
    assert.ok(door)
    await expectApiError(
      seam.acs.credentials.create({
        acs_user_id: other.acs_user_id,
        access_method: 'card',
        allowed_acs_entrance_ids: [door.acs_entrance_id],
      }),
      400,
      'invalid_input',
      /access groups/,
    )
    await expectApiError(
      seam.acs.credentials.create({ acs_user_id: other.acs_user_id, access_method: 'code' }),
      400,
      'invalid_input',
    )
  })

  test('access group changes reach the card: a new group, a removed one, a deleted one', async () => {
    const seam = server.current.seam()
    const user = await newUser(seam, 'Group Changes')
    const card = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
    })
    // No groups yet: the card opens nothing, and an unencoded card needs no reissue.
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), [])
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: spaceFacilities,
      acs_user_id: user.acs_user_id,
    })
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), ['Front Door', 'Server Room'])
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), false)
    await encode(seam, card.acs_credential_id)
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), false)

    // Adding the same user again changes nothing.
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: spaceFacilities,
      acs_user_id: user.acs_user_id,
    })
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), false)

    // A new group: the encoded card needs encoding again.
    const visitors = (await seam.acs.accessGroups.list({ acs_system_id: spaceOffices })).find(
      (g) => g.name === 'Visitors',
    )
    assert.ok(visitors)
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: visitors.acs_access_group_id,
      acs_user_id: user.acs_user_id,
    })
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), true)
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), [
      'Front Door',
      'Meeting Room',
      'Server Room',
    ])
    await encode(seam, card.acs_credential_id)
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), false)

    const groups = await seam.acs.accessGroups.list({ acs_user_id: user.acs_user_id })
    for (const group of groups) assertResource('acs_access_group', group)
    assert.deepEqual(groups.map((g) => g.name).sort(), ['Facilities', 'Visitors'])

    // Removing a group through /acs/access_groups/remove_user.
    await seam.acs.accessGroups.removeUser({
      acs_access_group_id: visitors.acs_access_group_id,
      acs_user_id: user.acs_user_id,
    })
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), true)
    await encode(seam, card.acs_credential_id)

    // Deleting a group takes its doors off its users' cards.
    await seam.acs.accessGroups.delete({ acs_access_group_id: spaceFacilities })
    await expectApiError(
      seam.acs.accessGroups.get({ acs_access_group_id: spaceFacilities }),
      404,
      'acs_access_group_not_found',
    )
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), [])
    assert.equal(await hasReissueWarning(seam, card.acs_credential_id), true)
    const deleted = await seam.events.list({ since, event_type: 'acs_access_group.deleted' })
    assert.equal(deleted.length, 1)
    assertResource('event', deleted[0])

    // A reset brings the sandbox's groups back, with the same ids.
    const reset = await seam.workspaces.resetSandbox()
    assert.equal(reset.status, 'success')
    const restored = await seam.acs.accessGroups.get({ acs_access_group_id: spaceFacilities })
    assertResource('acs_access_group', restored)
    assert.equal(restored.name, 'Facilities')
    assert.deepEqual(
      await seam.acs.accessGroups.listUsers({ acs_access_group_id: spaceFacilities }),
      [],
    )
  })

  test('the access group endpoints', async () => {
    const seam = server.current.seam()
    const groups = await seam.acs.accessGroups.list({ acs_system_id: spaceOffices })
    for (const group of groups) assertResource('acs_access_group', group)
    assert.deepEqual(
      groups.map((g) => [g.name, g.external_type]),
      [
        ['Employees', 'salto_space_group'],
        ['Facilities', 'salto_space_group'],
        ['Visitors', 'salto_space_group'],
      ],
    )
    assert.deepEqual(await seam.acs.accessGroups.list({ acs_system_id: hotel }), [])
    assert.deepEqual(
      (await seam.acs.accessGroups.list({ search: 'facil' })).map((g) => g.name),
      ['Facilities'],
    )

    const employees = await seam.acs.accessGroups.get({ acs_access_group_id: spaceEmployees })
    assertResource('acs_access_group', employees)
    assert.equal(employees.acs_system_id, spaceOffices)
    const entrances = await seam.acs.accessGroups.listAccessibleEntrances({
      acs_access_group_id: spaceEmployees,
    })
    for (const entrance of entrances) assertResource('acs_entrance', entrance)
    assert.deepEqual(
      entrances.map((e) => e.display_name),
      ['Front Door', 'Parking', 'Office 101', 'Meeting Room'],
    )

    // By user identity: the identity's ACS user in the group's system.
    const identity = await seam.userIdentities.create({ full_name: 'Identity Member' })
    const user = await seam.acs.users.create({
      acs_system_id: spaceOffices,
      user_identity_id: identity.user_identity_id,
      full_name: 'Identity Member',
    })
    await seam.acs.accessGroups.addUser({
      acs_access_group_id: spaceEmployees,
      user_identity_id: identity.user_identity_id,
    })
    const members = await seam.acs.accessGroups.listUsers({ acs_access_group_id: spaceEmployees })
    for (const member of members) assertResource('acs_user', member)
    assert.ok(members.some((m) => m.acs_user_id === user.acs_user_id))
    assert.deepEqual(
      (await seam.acs.accessGroups.list({ user_identity_id: identity.user_identity_id })).map(
        (g) => g.acs_access_group_id,
      ),
      [spaceEmployees],
    )
    await seam.acs.users.removeFromAccessGroup({
      acs_access_group_id: spaceEmployees,
      user_identity_id: identity.user_identity_id,
    })
    assert.deepEqual(await seam.acs.accessGroups.list({ acs_user_id: user.acs_user_id }), [])

    // A user of another access system, unknown ids.
    const guest = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Hotel Guest' })
    await expectApiError(
      seam.acs.users.addToAccessGroup({
        acs_user_id: guest.acs_user_id,
        acs_access_group_id: spaceEmployees,
      }),
      400,
      'invalid_input',
      /another access system/,
    )
    await expectApiError(
      seam.acs.accessGroups.get({ acs_access_group_id: unknownId }),
      404,
      'acs_access_group_not_found',
    )
    await expectApiError(
      seam.acs.users.addToAccessGroup({
        acs_user_id: unknownId,
        acs_access_group_id: spaceEmployees,
      }),
      404,
      'acs_user_not_found',
    )
    await expectApiError(
      seam.acs.accessGroups.addUser({ acs_access_group_id: spaceEmployees }),
      400,
      'invalid_input',
    )
  })
})

forEachDatabase('Salto ProAccess Space Access Grants', (kind) => {
  const server = useServer(kind)

  test('an Access Grant gives a card to a user with none, and no second card to a user who has one', async () => {
    const seam = server.current.seam()
    const entrances = await seam.acs.entrances.list({ acs_system_id: spaceOffices })
    const frontDoor = entrances.find((e) => e.display_name === 'Front Door')
    assert.ok(frontDoor)

    const first = await seam.accessGrants.create({
      user_identity: { full_name: 'Grant Card Holder', email_address: 'holder@example.com' },
      acs_entrance_ids: [frontDoor.acs_entrance_id],
      requested_access_methods: [{ mode: 'card' }],
    })
    assertResource('access_grant', first)
    assert.deepEqual(first.errors, [])
    const [method] = await seam.accessMethods.list({ access_grant_id: first.access_grant_id })
    assert.ok(method)
    assertResource('access_method', method)
    assert.equal(method.is_encoding_required, true)

    // The same person again: Salto Space allows one card per user.
    const second = await seam.accessGrants.create({
      user_identity_id: first.user_identity_id,
      acs_entrance_ids: [frontDoor.acs_entrance_id],
      requested_access_methods: [{ mode: 'card' }],
    })
    assertResource('access_grant', second)
    assert.deepEqual(await seam.accessMethods.list({ access_grant_id: second.access_grant_id }), [])
    const [error] = second.errors
    assert.equal(error?.error_code, 'cannot_create_requested_access_methods')
    assert.match(error?.message ?? '', /one per user/)
    const [user] = await seam.acs.users.list({
      user_identity_id: first.user_identity_id,
      acs_system_id: spaceOffices,
    })
    assert.ok(user)
    const cards = await seam.acs.credentials.list({ acs_user_id: user.acs_user_id })
    assert.equal(cards.length, 1)
    const events = await seam.events.list({
      since,
      access_grant_id: second.access_grant_id,
      event_types: ['access_grant.could_not_create_requested_access_methods'],
    })
    assert.equal(events.length, 1)
  })
})
