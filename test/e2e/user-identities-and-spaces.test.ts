import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeamHttpInvalidInputError } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { expectApiError, hotel, saltoSystemId, since, unknownId } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

forEachDatabase('user identities and spaces', (kind) => {
  const server = useServer(kind)

  test('a user identity with ACS users in both sandbox systems', async () => {
    const seam = server.current.seam()
    const salto = await saltoSystemId(seam)
    const identity = await seam.userIdentities.create({
      full_name: 'Hana Ito',
      email_address: 'hana@example.com',
      phone_number: '+15555550123',
      user_identity_key: 'guest-hana',
      acs_system_ids: [hotel, salto],
    })
    assert.equal(identity.display_name, 'Hana Ito')
    assert.equal(identity.acs_user_ids.length, 2)
    const byKey = await seam.userIdentities.get({ user_identity_key: 'guest-hana' })
    assert.equal(byKey.user_identity_id, identity.user_identity_id)

    const systems = await seam.userIdentities.listAcsSystems({
      user_identity_id: identity.user_identity_id,
    })
    assert.deepEqual(systems.map((s) => s.acs_system_id).sort(), [hotel, salto].sort())
    const users = await seam.userIdentities.listAcsUsers({
      user_identity_id: identity.user_identity_id,
    })
    assert.equal(users.length, 2)
    const saltoUser = users.find((u) => u.acs_system_id === salto)
    assert.equal(saltoUser?.external_type, 'salto_site_user')
    assert.equal(saltoUser?.full_name, 'Hana Ito')

    // The identity's ACS users follow its profile.
    await seam.userIdentities.update({
      user_identity_id: identity.user_identity_id,
      full_name: 'Hana Ito-Sato',
      email_address: 'hana.sato@example.com',
    })
    const renamed = await seam.acs.users.list({ user_identity_id: identity.user_identity_id })
    assert.ok(renamed.every((u) => u.full_name === 'Hana Ito-Sato'))
    assert.ok(renamed.every((u) => u.email_address === 'hana.sato@example.com'))
    const byEmail = await seam.acs.users.list({
      user_identity_email_address: 'hana.sato@example.com',
    })
    assert.equal(byEmail.length, 2)

    // A card credential through the identity, and the doors it opens.
    const credential = await seam.acs.credentials.create({
      user_identity_id: identity.user_identity_id,
      acs_system_id: hotel,
      access_method: 'card',
      allowed_acs_entrance_ids: ['48ebfb50-c531-43c5-b9ea-409f26dabbd7'],
    })
    assert.equal(credential.user_identity_id, identity.user_identity_id)
    const entrances = await seam.userIdentities.listAccessibleEntrances({
      user_identity_id: identity.user_identity_id,
    })
    assert.deepEqual(
      entrances.map((e) => e.display_name),
      ['Room 101'],
    )

    // Keys are unique within the workspace.
    await expectApiError(
      seam.userIdentities.create({ full_name: 'Someone', user_identity_key: 'guest-hana' }),
      409,
      'user_identity_key_already_in_use',
    )

    // Deleting the identity deletes its ACS users and credentials.
    await seam.userIdentities.delete({ user_identity_id: identity.user_identity_id })
    await expectApiError(
      seam.userIdentities.get({ user_identity_id: identity.user_identity_id }),
      404,
      'user_identity_not_found',
    )
    await expectApiError(
      seam.acs.credentials.get({ acs_credential_id: credential.acs_credential_id }),
      404,
      'acs_credential_not_found',
    )
    assert.equal(
      (await seam.acs.users.list({ user_identity_id: identity.user_identity_id })).length,
      0,
    )
  })

  test('linking and unlinking an existing ACS user', async () => {
    const seam = server.current.seam()
    const identity = await seam.userIdentities.create({ full_name: 'Ivo Jansen' })
    const acsUser = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Ivo Jansen' })
    await seam.userIdentities.addAcsUser({
      user_identity_id: identity.user_identity_id,
      acs_user_id: acsUser.acs_user_id,
    })
    const linked = await seam.acs.users.get({ acs_user_id: acsUser.acs_user_id })
    assert.equal(linked.user_identity_id, identity.user_identity_id)
    const viaPair = await seam.acs.users.get({
      acs_system_id: hotel,
      user_identity_id: identity.user_identity_id,
    })
    assert.equal(viaPair.acs_user_id, acsUser.acs_user_id)

    const second = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Ivo again' })
    await expectApiError(
      seam.userIdentities.addAcsUser({
        user_identity_id: identity.user_identity_id,
        acs_user_id: second.acs_user_id,
      }),
      400,
      'invalid_input',
    )
    await seam.userIdentities.removeAcsUser({
      user_identity_id: identity.user_identity_id,
      acs_user_id: acsUser.acs_user_id,
    })
    const unlinked = await seam.acs.users.get({ acs_user_id: acsUser.acs_user_id })
    assert.equal(unlinked.user_identity_id, undefined)
    await expectApiError(
      seam.userIdentities.removeAcsUser({
        user_identity_id: identity.user_identity_id,
        acs_user_id: acsUser.acs_user_id,
      }),
      404,
      'acs_user_not_found',
    )
  })

  test('an ACS user the access system already has with the same email or phone is linked, not duplicated', async () => {
    const seam = server.current.seam()
    const salto = await saltoSystemId(seam)
    const byEmail = await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Lena Ortiz',
      email_address: 'Lena@Example.com',
    })
    const byPhone = await seam.acs.users.create({
      acs_system_id: salto,
      full_name: 'L. Ortiz',
      phone_number: '+15555550444',
    })
    const identity = await seam.userIdentities.create({
      full_name: 'Lena Ortiz',
      email_address: 'lena@example.com',
      phone_number: '+15555550444',
      acs_system_ids: [hotel, salto],
    })
    assert.deepEqual(
      [...identity.acs_user_ids].sort(),
      [byEmail.acs_user_id, byPhone.acs_user_id].sort(),
    )
    const users = await seam.acs.users.list({ user_identity_id: identity.user_identity_id })
    assert.equal(users.length, 2)
    assert.equal((await seam.acs.users.list({ search: 'Ortiz' })).length, 2, 'no new ACS users')

    // A credential for the identity in a system uses the linked ACS user too.
    const other = await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Milo Park',
      phone_number: '+15555550555',
    })
    const milo = await seam.userIdentities.create({
      full_name: 'Milo Park',
      phone_number: '+15555550555',
    })
    const credential = await seam.acs.credentials.create({
      user_identity_id: milo.user_identity_id,
      acs_system_id: hotel,
      access_method: 'card',
    })
    assert.equal(credential.acs_user_id, other.acs_user_id)
  })

  test('add_acs_user with an unknown user_identity_key makes the identity from the ACS user', async () => {
    const seam = server.current.seam()
    const acsUser = await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Noor Haddad',
      email_address: 'noor@example.com',
    })
    await seam.userIdentities.addAcsUser({
      user_identity_key: 'guest-noor',
      acs_user_id: acsUser.acs_user_id,
    })
    const identity = await seam.userIdentities.get({ user_identity_key: 'guest-noor' })
    assert.equal(identity.full_name, 'Noor Haddad')
    assert.equal(identity.email_address, 'noor@example.com')
    assert.deepEqual(identity.acs_user_ids, [acsUser.acs_user_id])
    // The key now names that identity.
    const second = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Noor again' })
    await expectApiError(
      seam.userIdentities.addAcsUser({
        user_identity_key: 'guest-noor',
        acs_user_id: second.acs_user_id,
      }),
      400,
      'invalid_input',
    )
  })

  test('an empty full_name or user_identity_key is refused, naming the parameter', async () => {
    const seam = server.current.seam()
    const empty = async (call: Promise<unknown>, parameter: string) => {
      const error = await expectApiError(
        call,
        400,
        'invalid_input',
        /must not be empty|fewer than 1 characters/,
      )
      assert.ok(error instanceof SeamHttpInvalidInputError)
      assert.ok(error.getValidationErrorMessages(parameter).length > 0, parameter)
    }
    await empty(seam.acs.users.create({ acs_system_id: hotel, full_name: '' }), 'full_name')
    const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Has A Name' })
    await empty(
      seam.acs.users.update({ acs_user_id: user.acs_user_id, full_name: '  ' }),
      'full_name',
    )
    await empty(seam.userIdentities.create({ full_name: '' }), 'full_name')
    await empty(seam.userIdentities.create({ user_identity_key: '' }), 'user_identity_key')
    const identity = await seam.userIdentities.create({ full_name: 'Also Named' })
    await empty(
      seam.userIdentities.update({ user_identity_id: identity.user_identity_id, full_name: '' }),
      'full_name',
    )
    await empty(
      seam.accessGrants.create({
        user_identity: { full_name: '' },
        acs_entrance_ids: [],
        requested_access_methods: [{ mode: 'card' }],
      }),
      'user_identity',
    )
    assert.equal(
      (await seam.acs.users.get({ acs_user_id: user.acs_user_id })).full_name,
      'Has A Name',
    )
    assert.equal(
      (await seam.userIdentities.get({ user_identity_id: identity.user_identity_id })).full_name,
      'Also Named',
    )
    // An empty phone number the document lets through is no display name (found by
    // the fuzz: display_name must have a character).
    const byPhone = await seam.userIdentities.create({ phone_number: '', user_identity_key: 'k1' })
    assert.equal(byPhone.display_name, 'k1')
  })

  test("an ACS user's access_schedule must end after it starts, and the error names it", async () => {
    const seam = server.current.seam()
    const error = await expectApiError(
      seam.acs.users.create({
        acs_system_id: hotel,
        full_name: 'Backwards Stay',
        access_schedule: {
          starts_at: '2030-01-05T00:00:00.000Z',
          ends_at: '2030-01-01T00:00:00.000Z',
        },
      }),
      400,
      'invalid_input',
      /access_schedule.ends_at must be later/,
    )
    assert.ok(error instanceof SeamHttpInvalidInputError)
    assert.ok(error.getValidationErrorMessages('access_schedule').length > 0)
  })

  test('space.device_membership_changed when a space gains or loses entrances, and only then', async () => {
    const seam = server.current.seam()
    const entrances = await seam.acs.entrances.list({ acs_system_id: hotel, limit: 3 })
    const [a, b] = entrances.map((e) => e.acs_entrance_id)
    assert.ok(a && b)
    const space = await seam.spaces.create({ name: 'Membership Wing', acs_entrance_ids: [a] })
    const changes = async () =>
      (
        await seam.events.list({
          since,
          space_id: space.space_id,
          event_type: 'space.device_membership_changed',
        })
      ).reverse()
    await seam.spaces.addAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [b] })
    await seam.spaces.addAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [b] })
    await seam.spaces.update({ space_id: space.space_id, acs_entrance_ids: [b, a] })
    await seam.spaces.removeAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [a] })
    const events = await changes()
    for (const event of events) assertResource('event', event)
    assert.deepEqual(
      events.map((e) =>
        e.event_type === 'space.device_membership_changed' ? [...e.acs_entrance_ids].sort() : [],
      ),
      [[a, b].sort(), [b]],
    )
  })

  test('spaces: create, get by key, list, update, and delete', async () => {
    const seam = server.current.seam()
    const entrances = await seam.acs.entrances.list({ acs_system_id: hotel })
    const [first, second, third] = entrances
    assert.ok(first && second && third)
    const space = await seam.spaces.create({
      name: 'Wing A',
      space_key: 'wing-a',
      acs_entrance_ids: [first.acs_entrance_id, second.acs_entrance_id],
    })
    assert.equal(space.display_name, 'Wing A')
    assert.equal(space.device_count, 0)
    assert.equal((await seam.spaces.get({ space_key: 'wing-a' })).space_id, space.space_id)
    assert.ok(
      (await seam.spaces.list({ search: 'Wing' })).some((s) => s.space_id === space.space_id),
    )

    const updated = await seam.spaces.update({
      space_id: space.space_id,
      name: 'Wing A (renovated)',
      acs_entrance_ids: [third.acs_entrance_id],
    })
    assert.equal(updated.name, 'Wing A (renovated)')
    assert.equal(updated.acs_entrance_count, 1)
    const inside = await seam.acs.entrances.list({ space_id: space.space_id })
    assert.deepEqual(
      inside.map((e) => e.acs_entrance_id),
      [third.acs_entrance_id],
    )

    await expectApiError(
      seam.spaces.create({ name: 'Copy', space_key: 'wing-a' }),
      409,
      'space_key_already_in_use',
    )
    await expectApiError(
      seam.spaces.addAcsEntrances({
        space_id: space.space_id,
        acs_entrance_ids: [unknownId],
      }),
      404,
      'acs_entrance_not_found',
    )
    await expectApiError(
      seam.spaces.create({ name: 'Locks', device_ids: [unknownId] }),
      404,
      'device_not_found',
    )

    // A grant through the space loses the doors when the space is deleted.
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Jo King' },
      space_ids: [space.space_id],
      requested_access_methods: [{ mode: 'card' }],
    })
    assert.equal(grant.access_method_ids.length, 1)
    await seam.spaces.delete({ space_id: space.space_id })
    await expectApiError(seam.spaces.get({ space_id: space.space_id }), 404, 'space_not_found')
    const after = await seam.accessGrants.get({ access_grant_id: grant.access_grant_id })
    assert.deepEqual(after.space_ids, [])
    assert.deepEqual(after.access_method_ids, [])
    assert.deepEqual(
      after.errors.map((e) => e.error_code),
      ['cannot_create_requested_access_methods'],
    )
    const types = (await seam.events.list({ since, space_id: space.space_id })).map(
      (e) => e.event_type,
    )
    assert.deepEqual(types, [
      'space.deleted',
      'space.device_membership_changed', // the update to the third entrance only
      'space.created',
    ])
  })
})
