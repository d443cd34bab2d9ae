import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hotel, room101, saltoSystemId } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** A piece from the middle of an id: `search` is a partial match. */
const partOf = (id: string): string => id.slice(9, 23)

forEachDatabase('list filters', (kind) => {
  const server = useServer(kind)

  test('search matches the fields the document names: ACS users, credentials, access systems, user identities, spaces', async () => {
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

  test('customer_key matches nothing (Keysmith has no customers); location_id is space_id', async () => {
    const seam = server.current.seam()
    assert.deepEqual(await seam.acs.systems.list({ customer_key: 'hotel-group-1' }), [])
    assert.deepEqual(await seam.acs.entrances.list({ customer_key: 'hotel-group-1' }), [])
    assert.deepEqual(await seam.spaces.list({ customer_key: 'hotel-group-1' }), [])
    assert.deepEqual(await seam.accessGrants.list({ customer_key: 'hotel-group-1' }), [])

    const space = await seam.spaces.create({ name: 'Suite 101', acs_entrance_ids: [room101] })
    const viaLocation = await seam.acs.entrances.list({ location_id: space.space_id })
    assert.deepEqual(
      viaLocation.map((e) => e.acs_entrance_id),
      [room101],
    )
  })

  test('spaces: by connected account; not nested, so parent filters match nothing', async () => {
    // The pinned SDK does not know these parameters yet: plain HTTP, as the document says.
    const s = server.current
    const seam = s.seam()
    const [hotelSystem] = await seam.acs.systems.list({ search: partOf(hotel) })
    assert.ok(hotelSystem)
    const inHotel = await seam.spaces.create({ name: 'Hotel Floor 1', acs_entrance_ids: [room101] })
    const empty = await seam.spaces.create({ name: 'Nothing Yet' })
    const spaceIds = async (json: Record<string, string>) => {
      const response = await s.fetch('/spaces/list', { json })
      assert.equal(response.status, 200)
      const body = (await response.json()) as { spaces: { space_id: string }[] }
      return body.spaces.map((space) => space.space_id)
    }
    const listed = await spaceIds({ connected_account_id: hotelSystem.connected_account_id })
    assert.ok(listed.includes(inHotel.space_id))
    assert.ok(!listed.includes(empty.space_id))
    assert.deepEqual(await spaceIds({ parent_space_id: inHotel.space_id }), [])
    assert.deepEqual(await spaceIds({ parent_space_key: 'anything' }), [])
  })

  test('spaces/update changes only the customer_data keys given; null clears one', async () => {
    const seam = server.current.seam()
    const space = await seam.spaces.create({
      name: 'Garden Suite',
      customer_data: { address: '1 Garden Way', time_zone: 'Europe/Lisbon' },
    })
    await seam.spaces.update({
      space_id: space.space_id,
      customer_data: { default_checkin_time: '15:00', time_zone: null },
    })
    const updated = await seam.spaces.get({ space_id: space.space_id })
    assert.deepEqual(updated.customer_data, {
      address: '1 Garden Way',
      default_checkin_time: '15:00',
    })
  })

  test('access_grant_key: null lists the grants without a key', async () => {
    const seam = server.current.seam()
    const grant = (key?: string) =>
      seam.accessGrants.create({
        user_identity: { full_name: `Keyed ${key ?? 'none'}` },
        acs_entrance_ids: [room101],
        requested_access_methods: [{ mode: 'card' }],
        ...(key ? { access_grant_key: key } : {}),
      })
    const keyed = await grant('booking-7')
    const unkeyed = await grant()
    const withoutKey = (await seam.accessGrants.list({ access_grant_key: null })).map(
      (g) => g.access_grant_id,
    )
    assert.ok(withoutKey.includes(unkeyed.access_grant_id))
    assert.ok(!withoutKey.includes(keyed.access_grant_id))
    const byKey = await seam.accessGrants.list({ access_grant_key: 'booking-7' })
    assert.deepEqual(
      byKey.map((g) => g.access_grant_id),
      [keyed.access_grant_id],
    )
  })

  test('access_grants/list by acs_system_id: grants reaching its entrances, directly or through a space', async () => {
    const seam = server.current.seam()
    const salto = await saltoSystemId(seam)
    // No access method could be made (the hotel has no mobile keys): still the hotel's grant.
    const unserved = await seam.accessGrants.create({
      user_identity: { full_name: 'Mobile Only' },
      acs_entrance_ids: [room101],
      requested_access_methods: [{ mode: 'mobile_key' }],
    })
    assert.deepEqual(unserved.access_method_ids, [])
    const space = await seam.spaces.create({ name: 'Via Space', acs_entrance_ids: [room101] })
    const throughSpace = await seam.accessGrants.create({
      user_identity: { full_name: 'Space Guest' },
      space_ids: [space.space_id],
      requested_access_methods: [{ mode: 'card' }],
    })
    const inHotel = (await seam.accessGrants.list({ acs_system_id: hotel })).map(
      (g) => g.access_grant_id,
    )
    assert.ok(inHotel.includes(unserved.access_grant_id))
    assert.ok(inHotel.includes(throughSpace.access_grant_id))
    const inSalto = (await seam.accessGrants.list({ acs_system_id: salto })).map(
      (g) => g.access_grant_id,
    )
    assert.ok(!inSalto.includes(unserved.access_grant_id))
    assert.ok(!inSalto.includes(throughSpace.access_grant_id))
  })
})
