import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertResource } from '../support/contract.js'
import { sandboxGuest } from '../support/sandbox.js'
import { forEachDatabaseAndCredential, useServer } from '../support/suite.js'

/**
 * The flows of shared/seeds, through the official SDK, as the documents write them:
 * 002 "Creating and Encoding Card-based Credentials", 001/004 the encode_credential
 * reference, 000 the scan_credential reference.
 */
forEachDatabaseAndCredential('seed flows: encode and scan a key card', (kind, credential) => {
  const server = useServer(kind, { credential })

  test('the flows call with the suite credential', () => {
    const headers = server.current.seam().client.defaults.headers
    const token = String(headers.authorization).replace('Bearer ', '')
    assert.match(token, credential === 'personal access token' ? /^seam_at/ : /^seam_(?!at)/)
    assert.equal(headers['seam-workspace'] !== undefined, credential === 'personal access token')
  })

  test('seed 002: create a user and a card credential, encode it, confirm by polling and by event', async () => {
    const seam = server.current.seam()
    const room101 = await seam.acs.entrances.get({
      acs_entrance_id: '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
    })
    assert.equal(room101.display_name, 'Room 101')

    // Step 1: Create the new ACS user.
    const acsUser = await seam.acs.users.create({
      acs_system_id: '11111111-1111-1111-1111-111111111111',
      full_name: 'Jane Doe',
      email_address: 'jane@example.com',
    })
    // Step 2: Create a card-based credential for each entrance for the ACS user.
    const credential = await seam.acs.credentials.create({
      acs_user_id: acsUser.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room101.acs_entrance_id],
      starts_at: '2024-12-01T15:00:00.000Z',
      ends_at: '2024-12-04T12:00:00.000Z',
    })
    assert.equal(credential.acs_user_id, acsUser.acs_user_id)
    assert.equal(credential.access_method, 'card')
    assert.equal(credential.starts_at, '2024-12-01T15:00:00.000Z')
    assert.equal(credential.ends_at, '2024-12-04T12:00:00.000Z')
    assert.equal(credential.is_issued, false)

    // Retrieve encoders.
    const buildingSystemId = acsUser.acs_system_id
    const encoders = await seam.acs.encoders.list({ acs_system_ids: [buildingSystemId] })
    const encoder = encoders.find((e) => e.display_name === 'Front Desk')
    assert.ok(encoder, 'the sandbox has a Front Desk encoder')

    // Encode: the API answers at once with a pending attempt.
    const encodingActionAttempt = await seam.acs.encoders.encodeCredential(
      { acs_credential_id: credential.acs_credential_id, acs_encoder_id: encoder.acs_encoder_id },
      { waitForActionAttempt: false },
    )
    assert.equal(encodingActionAttempt.status, 'pending')
    assert.equal(encodingActionAttempt.action_type, 'ENCODE_CREDENTIAL')
    assert.equal(encodingActionAttempt.result, null)
    assert.equal(encodingActionAttempt.error, null)

    // Confirm by polling the action attempt until it succeeds.
    const done = await seam.actionAttempts.get(
      { action_attempt_id: encodingActionAttempt.action_attempt_id },
      { waitForActionAttempt: true },
    )
    assert.equal(done.status, 'success')
    assert.equal(done.action_type, 'ENCODE_CREDENTIAL')
    if (done.action_type !== 'ENCODE_CREDENTIAL' || done.status !== 'success') return
    assert.equal(done.result.acs_credential_id, credential.acs_credential_id)
    assert.equal(done.result.is_issued, true)
    assert.match(done.result.card_number ?? '', /^[0-9a-f]{16}$/)
    assert.ok(done.result.issued_at)

    // The credential now shows the card.
    const issued = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(issued.is_issued, true)
    assert.equal(issued.card_number, done.result.card_number)
    assert.equal(issued.issued_at, done.result.issued_at)
    assert.deepEqual(issued.warnings, [])

    // Confirm by event (what a webhook would carry).
    const events = await seam.events.list({
      since: '2020-01-01T00:00:00.000Z',
      event_type: 'acs_credential.issued',
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(events.length, 1)
    const [event] = events
    assert.ok(event && event.event_type === 'acs_credential.issued')
    assert.equal(event.acs_credential_id, credential.acs_credential_id)
    assert.equal(event.acs_system_id, buildingSystemId)
    assert.equal(event.connected_account_id, acsUser.connected_account_id)
    assertResource('event', event)
  })

  test('seed 001: the encode_credential page runs as written, on the sandbox guest card', async () => {
    const seam = server.current.seam()
    const attempt = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: '18ad521a-308e-4182-b1a6-2338b46a2763',
      acs_credential_id: 'a383871c-331a-42ae-af66-146824505187',
    })
    assertResource('action_attempt', attempt)
    if (attempt.action_type !== 'ENCODE_CREDENTIAL' || attempt.status !== 'success') {
      assert.fail(`encoding did not succeed: ${JSON.stringify(attempt)}`)
    }
    const result = attempt.result
    assert.equal(result.acs_credential_id, sandboxGuest.acsCredentialId)
    assert.equal(result.acs_user_id, sandboxGuest.acsUserId)
    assert.equal(result.acs_system_id, '11111111-1111-1111-1111-111111111111')
    assert.equal(result.access_method, 'card')
    assert.equal(result.is_issued, true)
    assert.ok(result.card_number)
    assert.equal(result.starts_at, '2025-07-10T16:54:17.946Z')
    assert.equal(result.ends_at, '2025-07-12T16:54:17.946Z')
    assert.deepEqual(result.visionline_metadata?.guest_acs_entrance_ids, [
      'a1b2c3d4-e5f6-4a3b-2c1d-0e9f8a7b6c5d',
    ])
    assert.deepEqual(result.visionline_metadata?.common_acs_entrance_ids, [
      '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f',
    ])
    assert.equal(result.visionline_metadata?.is_valid, false, 'the stay is over')
    const user = await seam.acs.users.get({ acs_user_id: result.acs_user_id })
    assert.equal(user.full_name, sandboxGuest.fullName)
  })

  test('seed 001/004: encode_credential through the SDK waits for the attempt by default', async () => {
    const seam = server.current.seam()
    const user = await seam.acs.users.create({
      acs_system_id: '11111111-1111-1111-1111-111111111111',
      full_name: 'John Smith',
    })
    const credential = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [
        '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
        '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f',
      ],
      starts_at: '2025-07-10T16:54:17.946Z',
      ends_at: '2025-07-12T16:54:17.946Z',
    })
    const attempt = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: '18ad521a-308e-4182-b1a6-2338b46a2763',
      acs_credential_id: credential.acs_credential_id,
    })
    if (attempt.action_type !== 'ENCODE_CREDENTIAL' || attempt.status !== 'success') {
      assert.fail(`encoding did not succeed: ${JSON.stringify(attempt)}`)
    }
    const result = attempt.result
    assert.equal(result.access_method, 'card')
    assert.equal(result.external_type, 'visionline_card')
    assert.equal(result.external_type_display_name, 'Visionline Card')
    assert.equal(result.display_name, 'Room 101, Lobby')
    assert.equal(result.is_issued, true)
    assert.equal(result.is_managed, true)
    assert.equal(result.is_latest_desired_state_synced_with_provider, true)
    assert.deepEqual(result.visionline_metadata?.guest_acs_entrance_ids, [
      '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
    ])
    assert.deepEqual(result.visionline_metadata?.common_acs_entrance_ids, [
      '5f4e3d2c-1b0a-9f8e-7d6c-5b4a3c2d1e0f',
    ])
    assert.equal(result.visionline_metadata?.card_function_type, 'guest')
    assert.ok(result.visionline_metadata?.card_id)
    assert.ok(result.visionline_metadata?.credential_id)
  })

  test('seed 000: scan a card, see what is out of date, re-encode it, scan again', async () => {
    const seam = server.current.seam()
    const backOffice = 'b062df92-91c6-482c-a3f9-6e578f062d36'
    const user = await seam.acs.users.create({
      acs_system_id: '11111111-1111-1111-1111-111111111111',
      full_name: 'Guest',
    })
    const credential = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: ['f74e4879-5991-4e2f-a368-888983dcfbfc'],
      starts_at: '2025-07-13T15:00:00.000Z',
      ends_at: '2025-07-15T11:00:00.000Z',
    })
    const encoded = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(encoded.status, 'success')

    const inSync = await seam.acs.encoders.scanCredential({ acs_encoder_id: backOffice })
    assert.equal(inSync.status, 'success')
    assert.equal(inSync.action_type, 'SCAN_CREDENTIAL')
    if (inSync.action_type !== 'SCAN_CREDENTIAL' || inSync.status !== 'success') return
    assert.deepEqual(inSync.result.warnings, [])
    assert.equal(
      inSync.result.acs_credential_on_seam?.acs_credential_id,
      credential.acs_credential_id,
    )
    assert.equal(inSync.result.acs_credential_on_encoder?.ends_at, '2025-07-15T11:00:00.000Z')
    assert.equal(inSync.result.acs_credential_on_encoder?.is_issued, true)

    // The stay is extended on the server: the card is now out of date.
    await seam.acs.credentials.update({
      acs_credential_id: credential.acs_credential_id,
      ends_at: '2025-07-16T11:00:00.000Z',
    })
    const changed = await seam.acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assert.deepEqual(
      changed.warnings.map((w) => w.warning_code),
      ['needs_to_be_reissued'],
    )

    const outOfDate = await seam.acs.encoders.scanCredential({ acs_encoder_id: backOffice })
    if (outOfDate.action_type !== 'SCAN_CREDENTIAL' || outOfDate.status !== 'success') {
      assert.fail('scan failed')
    }
    assert.deepEqual(outOfDate.result.warnings, [
      {
        warning_code: 'acs_credential_on_encoder_out_of_sync',
        warning_message:
          'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at',
      },
    ])
    assert.equal(outOfDate.result.acs_credential_on_encoder?.ends_at, '2025-07-15T11:00:00.000Z')
    assert.equal(outOfDate.result.acs_credential_on_seam?.ends_at, '2025-07-16T11:00:00.000Z')
    assert.equal(
      outOfDate.result.acs_credential_on_encoder?.card_number,
      outOfDate.result.acs_credential_on_seam?.card_number,
    )

    // Re-encode: the same card is rewritten, the credential is reissued.
    const reissued = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: credential.acs_credential_id,
    })
    if (reissued.action_type !== 'ENCODE_CREDENTIAL' || reissued.status !== 'success') {
      assert.fail('re-encoding failed')
    }
    assert.equal(reissued.result.card_number, inSync.result.acs_credential_on_encoder?.card_number)
    assert.deepEqual(reissued.result.warnings, [])
    const types = (
      await seam.events.list({
        since: '2020-01-01T00:00:00.000Z',
        acs_credential_id: credential.acs_credential_id,
      })
    ).map((e) => e.event_type)
    assert.deepEqual(types, ['acs_credential.reissued', 'acs_credential.issued'])

    const fresh = await seam.acs.encoders.scanCredential({ acs_encoder_id: backOffice })
    if (fresh.action_type !== 'SCAN_CREDENTIAL' || fresh.status !== 'success')
      assert.fail('scan failed')
    assert.deepEqual(fresh.result.warnings, [])
    assert.equal(fresh.result.acs_credential_on_encoder?.ends_at, '2025-07-16T11:00:00.000Z')
  })
})
