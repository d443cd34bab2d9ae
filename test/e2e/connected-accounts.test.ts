import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { expectApiError, hotel, unknownId } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * /connected_accounts/get, /list and /update for the accounts behind the sandbox's
 * access systems, through the API key and through a client session (which reaches
 * only the accounts of its guest's access systems).
 */

const hotelAccount = '11111111-1111-1111-1111-222222222222'

forEachDatabase('connected accounts', (kind) => {
  const server = useServer(kind)

  test('list, get and update the accounts behind the access systems', async () => {
    const seam = server.current.seam()
    const accounts = await seam.connectedAccounts.list()
    for (const account of accounts) assertResource('connected_account', account)
    assert.deepEqual(accounts.map((a) => a.account_type).sort(), [
      'assa_abloy_vostio',
      'dormakaba_ambiance',
      'salto_ks',
      'salto_space',
      'visionline',
    ])
    for (const account of accounts) {
      assert.deepEqual(account.errors, [])
      assert.deepEqual(account.warnings, [])
    }
    const systems = await seam.acs.systems.list()
    assert.deepEqual(
      [...new Set(systems.map((s) => s.connected_account_id))].sort(),
      accounts.map((a) => a.connected_account_id).sort(),
    )
    const visionline = await seam.connectedAccounts.get({ connected_account_id: hotelAccount })
    assert.equal(visionline.account_type_display_name, 'ASSA ABLOY Visionline')
    assert.equal(visionline.automatically_manage_new_devices, true)

    await seam.connectedAccounts.update({
      connected_account_id: hotelAccount,
      display_name: 'Hotel front office',
      custom_metadata: { property_id: 'hotel-a', is_pilot: true },
      automatically_manage_new_devices: false,
    })
    const updated = await seam.connectedAccounts.get({ connected_account_id: hotelAccount })
    assert.equal(updated.display_name, 'Hotel front office')
    assert.deepEqual(updated.custom_metadata, { property_id: 'hotel-a', is_pilot: true })
    assert.equal(updated.automatically_manage_new_devices, false)
    assert.deepEqual(
      await seam.connectedAccounts.get({ connected_account_id: hotelAccount }),
      updated,
    )
    const byMetadata = await seam.connectedAccounts.list({
      custom_metadata_has: { property_id: 'hotel-a' },
    })
    assert.deepEqual(
      byMetadata.map((a) => a.connected_account_id),
      [hotelAccount],
    )
    assert.deepEqual(await seam.connectedAccounts.list({ custom_metadata_has: { x: 'y' } }), [])
    assert.deepEqual(
      (await seam.connectedAccounts.list({ search: 'salto' })).map((a) => a.account_type).sort(),
      ['salto_ks', 'salto_space'],
    )
    // custom_metadata replaces the whole object.
    // (A null value leaves its key out; the SDK's types do not let one through.)
    const response = await server.current.fetch('/connected_accounts/update', {
      json: { connected_account_id: hotelAccount, custom_metadata: { floor: '2', gone: null } },
    })
    assert.equal(response.status, 200)
    const { connected_account: replaced } = (await response.json()) as {
      connected_account: { custom_metadata: unknown }
    }
    assertResource('connected_account', replaced)
    assert.deepEqual(replaced.custom_metadata, { floor: '2' })

    // Only the id: nothing changes.
    await seam.connectedAccounts.update({ connected_account_id: hotelAccount })
    assert.deepEqual(
      (await seam.connectedAccounts.get({ connected_account_id: hotelAccount })).custom_metadata,
      { floor: '2' },
    )
    await expectApiError(
      seam.connectedAccounts.get({ connected_account_id: unknownId }),
      404,
      'connected_account_not_found',
    )
    await expectApiError(
      seam.connectedAccounts.update({ connected_account_id: unknownId, display_name: 'x' }),
      404,
      'connected_account_not_found',
    )
    await expectApiError(
      seam.connectedAccounts.update({ connected_account_id: hotelAccount, customer_key: 'acme' }),
      400,
      'invalid_input',
      /customer/,
    )
    await expectApiError(
      seam.connectedAccounts.update({ connected_account_id: hotelAccount, display_name: ' ' }),
      400,
      'invalid_input',
    )
  })

  test("a client session gets its guest's account, not the others", async () => {
    const s = server.current
    const seam = s.seam()
    const identity = await seam.userIdentities.create({ full_name: 'Cleo' })
    await seam.acs.users.create({
      acs_system_id: hotel,
      full_name: 'Cleo',
      user_identity_id: identity.user_identity_id,
    })
    const session = await seam.clientSessions.create({
      user_identity_id: identity.user_identity_id,
    })
    const guest = SeamHttp.fromClientSessionToken(session.token, { endpoint: s.url })
    const account = await guest.connectedAccounts.get({ connected_account_id: hotelAccount })
    assert.equal(account.connected_account_id, hotelAccount)
    const salto = (await seam.connectedAccounts.list()).find((a) => a.account_type === 'salto_ks')
    assert.ok(salto)
    await expectApiError(
      guest.connectedAccounts.get({ connected_account_id: salto.connected_account_id }),
      404,
      'connected_account_not_found',
    )
    // /connected_accounts/list takes only customer client sessions (document security).
    await expectApiError(guest.connectedAccounts.list(), 401, 'unauthorized')
    // A session granted the Salto account reaches it, and lists accounts by its key.
    await seam.clientSessions.grantAccess({
      client_session_id: session.client_session_id,
      connected_account_ids: [salto.connected_account_id],
    })
    assert.equal(
      (await guest.connectedAccounts.get({ connected_account_id: salto.connected_account_id }))
        .account_type,
      'salto_ks',
    )
  })
})
