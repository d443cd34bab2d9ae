import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hotel, room101 } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** A piece from the middle of an id: `search` is a partial match. */
const partOf = (id: string): string => id.slice(9, 23)

forEachDatabase('search on lists matches the fields the document names', (kind) => {
  const server = useServer(kind)

  test('ACS users, credentials, access systems, user identities and spaces', async () => {
    const seam = server.current.seam()
    const identity = await seam.userIdentities.create({
      full_name: 'Quentin Searchable',
      phone_number: '+15555550987',
    })
    const user = await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Q. S.',
      user_identity_id: identity.user_identity_id,
    })
    const other = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Someone Else' })
    const userIds = async (search: string) =>
      (await seam.acs.users.list({ search })).map((u) => u.acs_user_id)
    for (const search of [
      'q. s',
      partOf(user.acs_user_id),
      partOf(identity.user_identity_id),
      'quentin search', // the user identity's full name
      '5550987', // the user identity's phone number
    ]) {
      assert.deepEqual(await userIds(search), [user.acs_user_id], search)
    }

    const credential = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room101],
    })
    await seam.acs.credentials.create({ acs_user_id: other.acs_user_id, access_method: 'card' })
    const credentialIds = async (search: string) =>
      (await seam.acs.credentials.list({ acs_system_id: hotel, search })).map(
        (c) => c.acs_credential_id,
      )
    for (const search of [
      partOf(credential.acs_credential_id),
      partOf(user.acs_user_id),
      'room 101', // display_name: the entrances it opens
    ]) {
      assert.deepEqual(await credentialIds(search), [credential.acs_credential_id], search)
    }
    assert.deepEqual(await credentialIds('Someone Else'), [], 'not the holder name')

    const systems = await seam.acs.systems.list({ search: partOf(hotel) })
    assert.deepEqual(
      systems.map((s) => s.acs_system_id),
      [hotel],
    )

    const identities = await seam.userIdentities.list({
      search: partOf(identity.user_identity_id),
    })
    assert.deepEqual(
      identities.map((i) => i.user_identity_id),
      [identity.user_identity_id],
    )

    const space = await seam.spaces.create({ name: 'East Wing', space_key: 'wing-east-42' })
    await seam.spaces.create({ name: 'West Wing', space_key: 'wing-west-7' })
    const spaces = await seam.spaces.list({ search: 'EAST-4' })
    assert.deepEqual(
      spaces.map((s) => s.space_id),
      [space.space_id],
    )
  })
})
