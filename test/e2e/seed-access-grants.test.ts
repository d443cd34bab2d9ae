import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertResource } from '../support/contract.js'
import { forEachDatabaseAndCredential, useServer } from '../support/suite.js'

/**
 * Seed 003, "Granting Access Using Encoded Plastic Key Cards", through the official
 * SDK as the page writes it: a user identity, an Access Grant with a card for two
 * rooms, the card access method encoded at the hotel's first encoder, the card scanned.
 */
forEachDatabaseAndCredential('seed 003: key cards through Access Grants', (kind, credential) => {
  const server = useServer(kind, { credential })

  test('create a user identity and an Access Grant, encode the card, scan it', async () => {
    const seam = server.current.seam()

    // Create a user identity for your user.
    const janeUser = await seam.userIdentities.create({
      full_name: 'Jane Doe',
      phone_number: '+15555550100',
    })
    assert.equal(janeUser.full_name, 'Jane Doe')
    assert.equal(janeUser.phone_number, '+15555550100')

    const accessGrant = await seam.accessGrants.create({
      user_identity_id: janeUser.user_identity_id,
      acs_entrance_ids: [
        '48ebfb50-c531-43c5-b9ea-409f26dabbd7',
        'f74e4879-5991-4e2f-a368-888983dcfbfc',
      ],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2025-07-13T15:00:00.000Z',
      ends_at: '2025-07-16T11:00:00.000Z',
    })
    assert.equal(accessGrant.user_identity_id, janeUser.user_identity_id)
    assert.equal(accessGrant.starts_at, '2025-07-13T15:00:00.000Z')
    assert.equal(accessGrant.ends_at, '2025-07-16T11:00:00.000Z')
    const [requested] = accessGrant.requested_access_methods
    assert.ok(requested)
    assert.equal(requested.mode, 'card')
    assert.equal(requested.display_name, 'Plastic Card')
    assert.equal(requested.created_access_method_ids.length, 1)
    const [accessMethodId] = requested.created_access_method_ids
    assert.ok(accessMethodId)
    assert.deepEqual(accessGrant.access_method_ids, [accessMethodId])
    assert.deepEqual(accessGrant.errors, [])
    assert.deepEqual(accessGrant.warnings, [])

    const before = await seam.accessMethods.get({ access_method_id: accessMethodId })
    assert.equal(before.mode, 'card')
    assert.equal(before.is_issued, false)
    assert.equal(before.is_encoding_required, true)
    assert.equal(before.is_ready_for_encoding, true)

    // First, get the encoder that you want to use.
    const hotel_a = await seam.acs.systems.get({
      acs_system_id: '11111111-1111-1111-1111-111111111111',
    })
    const encoder = (
      await seam.acs.encoders.list({
        acs_system_ids: [hotel_a.acs_system_id],
      })
    )[0]
    assert.ok(encoder)

    // Then, encode the card.
    const encodingActionAttempt = await seam.accessMethods.encode(
      { access_method_id: accessMethodId, acs_encoder_id: encoder.acs_encoder_id },
      { waitForActionAttempt: false },
    )
    assert.equal(encodingActionAttempt.status, 'pending')
    assert.equal(encodingActionAttempt.action_type as string, 'ENCODE_ACCESS_METHOD')

    // To confirm that the encoding succeeded, poll the returned action attempt.
    const done = await seam.actionAttempts.get(
      { action_attempt_id: encodingActionAttempt.action_attempt_id },
      { waitForActionAttempt: true },
    )
    assert.equal(done.status, 'success')
    const result = done.result as Record<string, unknown>
    assert.equal(result.access_method_id, accessMethodId)
    assert.equal(result.is_issued, true)
    assert.match(String(result.card_number), /^[0-9a-f]{16}$/)
    assert.equal(typeof result.issued_at, 'string')
    assertResource('access_method', result)

    const after = await seam.accessMethods.get({ access_method_id: accessMethodId })
    assert.equal(after.is_issued, true)
    assert.equal(after.is_encoding_required, false)
    assert.equal(after.issued_at, result.issued_at)

    // Scan the card.
    const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: encoder.acs_encoder_id })
    if (scan.action_type !== 'SCAN_CREDENTIAL' || scan.status !== 'success') {
      assert.fail(`scan did not succeed: ${JSON.stringify(scan)}`)
    }
    assert.deepEqual(scan.result.warnings, [])
    assert.equal(scan.result.acs_credential_on_encoder?.card_number, result.card_number)
    assert.equal(scan.result.acs_credential_on_encoder?.starts_at, '2025-07-13T15:00:00.000Z')
    assert.equal(scan.result.acs_credential_on_encoder?.ends_at, '2025-07-16T11:00:00.000Z')
    assert.equal(scan.result.acs_credential_on_seam?.user_identity_id, janeUser.user_identity_id)
    assert.deepEqual(
      scan.result.acs_credential_on_encoder?.visionline_metadata?.guest_acs_entrance_ids,
      ['48ebfb50-c531-43c5-b9ea-409f26dabbd7', 'f74e4879-5991-4e2f-a368-888983dcfbfc'],
    )

    const events = await seam.events.list({
      since: '2020-01-01T00:00:00.000Z',
      access_grant_id: accessGrant.access_grant_id,
    })
    const types = events.map((e) => e.event_type).reverse()
    assert.deepEqual(types, [
      'access_grant.created',
      'access_method.created',
      'access_method.card_encoding_required',
      'access_grant.access_granted_to_door',
      'access_grant.access_granted_to_door',
      'access_grant.access_granted_to_all_doors',
      'access_method.issued',
    ])
  })
})
