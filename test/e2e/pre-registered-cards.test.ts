import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import {
  expectApiError,
  finishedAttempt,
  frontDesk,
  hotel,
  saltoSystemId,
  since,
  spaceOffices,
  unknownId,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** The sandbox's Salto KS tags: one on its encoder, three registered in the drawer. */
const tagOnEncoder = '04A1B2C3D4E500'
const drawerTags = ['04A1B2C3D4E501', '04A1B2C3D4E502', '04A1B2C3D4E503']

const saltoSite = async (seam: SeamHttp) => {
  const acsSystemId = await saltoSystemId(seam)
  const [encoder, ...others] = await seam.acs.encoders.list({ acs_system_id: acsSystemId })
  assert.ok(encoder, 'the Salto KS site has an encoder')
  assert.equal(others.length, 0)
  assertResource('acs_encoder', encoder)
  const entrances = await seam.acs.entrances.list({ acs_system_id: acsSystemId })
  const entrance = (name: string) => {
    const found = entrances.find((e) => e.display_name === name)
    assert.ok(found, name)
    return found.acs_entrance_id
  }
  return { acsSystemId, encoderId: encoder.acs_encoder_id, entrance }
}

/** Starts an attempt without the SDK's waiting and returns it once finished, checked. */
const finished = async (seam: SeamHttp, start: Promise<{ action_attempt_id: string }>) => {
  const pending = await start
  const attempt = await finishedAttempt(seam, pending.action_attempt_id)
  assertResource('action_attempt', attempt)
  return attempt
}

const doorsOf = async (seam: SeamHttp, acsCredentialId: string) =>
  (await seam.acs.credentials.listAccessibleEntrances({ acs_credential_id: acsCredentialId }))
    .map((e) => e.display_name)
    .sort()

forEachDatabase('Pre-registered tags: scan_to_assign_credential and assign_card', (kind) => {
  const server = useServer(kind)

  test('a tag read at the Salto KS encoder is issued to the user; an unknown tag needs detect_new_tags', async () => {
    const seam = server.current.seam()
    const site = await saltoSite(seam)
    const resident = await seam.acs.users.create({
      acs_system_id: site.acsSystemId,
      full_name: 'Tag Resident',
    })
    await seam.acs.entrances.grantAccess({
      acs_entrance_id: site.entrance('Main Entrance'),
      acs_user_id: resident.acs_user_id,
    })

    // The SDK waits for the attempt, as a front desk app would.
    const attempt = await seam.acs.encoders.scanToAssignCredential({
      acs_encoder_id: site.encoderId,
      acs_user_id: resident.acs_user_id,
    })
    assertResource('action_attempt', attempt)
    if (attempt.action_type !== 'SCAN_TO_ASSIGN_CREDENTIAL' || attempt.status !== 'success') {
      assert.fail(`scan to assign did not succeed: ${JSON.stringify(attempt)}`)
    }
    const { acs_credential_id } = attempt.result
    assert.ok(acs_credential_id)
    const credential = await seam.acs.credentials.get({ acs_credential_id })
    assertResource('acs_credential', credential)
    assert.equal(credential.card_number, tagOnEncoder)
    assert.equal(credential.acs_user_id, resident.acs_user_id)
    assert.equal(credential.external_type, 'salto_ks_tag')
    assert.equal(credential.is_issued, true)
    assert.equal(attempt.result.card_number, tagOnEncoder)
    assert.deepEqual(await doorsOf(seam, acs_credential_id), ['Main Entrance'])
    const issued = await seam.events.list({
      since,
      acs_credential_id,
      event_types: ['acs_credential.issued'],
    })
    assert.equal(issued.length, 1)

    // The resident took the tag; the next one is not registered in Salto KS yet.
    const unknown = await finished(
      seam,
      seam.acs.encoders.scanToAssignCredential(
        { acs_encoder_id: site.encoderId, acs_user_id: resident.acs_user_id },
        { waitForActionAttempt: false },
      ),
    )
    assert.equal(unknown.status, 'error')
    assert.equal(unknown.error?.type, 'no_credential_on_encoder')
    assert.match(unknown.error?.message ?? '', /detect_new_tags/)
    assert.equal((await seam.acs.credentials.list({ acs_user_id: resident.acs_user_id })).length, 1)

    // Asked to, the scan registers the new tag, by user identity this time.
    const identity = await seam.userIdentities.create({ full_name: 'Second Resident' })
    const registered = await finished(
      seam,
      seam.acs.encoders.scanToAssignCredential(
        {
          acs_encoder_id: site.encoderId,
          user_identity_id: identity.user_identity_id,
          salto_ks_metadata: { detect_new_tags: true },
        },
        { waitForActionAttempt: false },
      ),
    )
    if (registered.action_type !== 'SCAN_TO_ASSIGN_CREDENTIAL' || registered.status !== 'success') {
      assert.fail(`registering scan did not succeed: ${JSON.stringify(registered)}`)
    }
    assert.match(registered.result.card_number ?? '', /^[0-9A-F]{14}$/)
    assert.notEqual(registered.result.card_number, tagOnEncoder)
    const [second] = await seam.acs.users.list({ user_identity_id: identity.user_identity_id })
    assert.ok(second)
    assert.equal(second.acs_system_id, site.acsSystemId)
    assert.equal(registered.result.acs_user_id, second.acs_user_id)
  })

  test('an Access Grant’s Salto KS card waits for a registered tag, assigned by number', async () => {
    const seam = server.current.seam()
    const site = await saltoSite(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Assigned Resident' },
      acs_entrance_ids: [site.entrance('Apartment 1A'), site.entrance('Main Entrance')],
      requested_access_methods: [{ mode: 'card' }],
    })
    assertResource('access_grant', grant)
    const [method] = await seam.accessMethods.list({ access_grant_id: grant.access_grant_id })
    assert.ok(method)
    assertResource('access_method', method)
    assert.equal(method.is_assignment_required, true)
    assert.equal(method.is_encoding_required, false)
    assert.equal(method.is_issued, false)

    // A number no tag of the site has.
    const missing = await finished(
      seam,
      seam.accessMethods.assignCard(
        { access_method_id: method.access_method_id, card_number: 'FFFFFFFFFFFFFF' },
        { waitForActionAttempt: false },
      ),
    )
    assert.equal(missing.status, 'error')
    assert.equal(missing.error?.type, 'credential_not_found')

    const assigned = await seam.accessMethods.assignCard({
      access_method_id: method.access_method_id,
      card_number: drawerTags[0] ?? '',
    })
    assertResource('action_attempt', assigned)
    if (assigned.action_type !== 'ASSIGN_CREDENTIAL' || assigned.status !== 'success') {
      assert.fail(`assign_card did not succeed: ${JSON.stringify(assigned)}`)
    }
    assert.equal(assigned.result.access_method_id, method.access_method_id)
    assert.equal(assigned.result.is_issued, true)
    assert.equal(assigned.result.is_assignment_required, false)
    const now = await seam.accessMethods.get({ access_method_id: method.access_method_id })
    assertResource('access_method', now)
    assert.equal(now.is_issued, true)
    const credentials = await seam.acs.credentials.list({ acs_system_id: site.acsSystemId })
    const card = credentials.find((c) => c.card_number === drawerTags[0])
    assert.ok(card)
    assertResource('acs_credential', card)
    assert.equal(card.is_issued, true)
    assert.deepEqual(await doorsOf(seam, card.acs_credential_id), ['Apartment 1A', 'Main Entrance'])
    const events = await seam.events.list({
      since,
      access_grant_id: grant.access_grant_id,
      event_types: ['access_method.issued'],
    })
    assert.equal(events.length, 1)

    // Once assigned it takes no other tag, and a tag serves one card at a time.
    await expectApiError(
      seam.accessMethods.assignCard({
        access_method_id: method.access_method_id,
        card_number: drawerTags[1] ?? '',
      }),
      400,
      'invalid_input',
    )
    const other = await seam.accessGrants.create({
      user_identity: { full_name: 'Same Tag' },
      acs_entrance_ids: [site.entrance('Apartment 1B')],
      requested_access_methods: [{ mode: 'card' }],
    })
    const [otherMethod] = await seam.accessMethods.list({ access_grant_id: other.access_grant_id })
    assert.ok(otherMethod)
    const taken = await finished(
      seam,
      seam.accessMethods.assignCard(
        { access_method_id: otherMethod.access_method_id, card_number: drawerTags[0] ?? '' },
        { waitForActionAttempt: false },
      ),
    )
    assert.equal(taken.status, 'error')
    assert.equal(taken.error?.type, 'uncategorized_error')
    assert.match(taken.error?.message ?? '', /assigned to credential/)
  })

  test('systems that encode their cards refuse both; Salto KS tags are not encoded', async () => {
    const seam = server.current.seam()
    const site = await saltoSite(seam)
    const guest = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Hotel Guest' })
    await expectApiError(
      seam.acs.encoders.scanToAssignCredential({
        acs_encoder_id: frontDesk,
        acs_user_id: guest.acs_user_id,
      }),
      400,
      'invalid_input',
      /encode_credential/,
    )
    const hotelGrant = await seam.accessGrants.create({
      user_identity: { full_name: 'Hotel Card' },
      acs_entrance_ids: ['48ebfb50-c531-43c5-b9ea-409f26dabbd7'],
      requested_access_methods: [{ mode: 'card' }],
    })
    const [hotelMethod] = await seam.accessMethods.list({
      access_grant_id: hotelGrant.access_grant_id,
    })
    assert.ok(hotelMethod)
    assert.equal(hotelMethod.is_assignment_required, false)
    await expectApiError(
      seam.accessMethods.assignCard({
        access_method_id: hotelMethod.access_method_id,
        card_number: drawerTags[2] ?? '',
      }),
      400,
      'invalid_input',
      /access_methods\/encode/,
    )
    // A Salto KS credential is not encoded at its encoder.
    const resident = await seam.acs.users.create({
      acs_system_id: site.acsSystemId,
      full_name: 'Not Encoded',
    })
    const tag = await seam.acs.credentials.create({
      acs_user_id: resident.acs_user_id,
      access_method: 'card',
    })
    await expectApiError(
      seam.acs.encoders.encodeCredential({
        acs_encoder_id: site.encoderId,
        acs_credential_id: tag.acs_credential_id,
      }),
      400,
      'invalid_input',
      /scan_to_assign_credential/,
    )
    // A user of another system, no user at all, an unknown encoder.
    const spaceUser = await seam.acs.users.create({
      acs_system_id: spaceOffices,
      full_name: 'Office Worker',
    })
    await expectApiError(
      seam.acs.encoders.scanToAssignCredential({
        acs_encoder_id: site.encoderId,
        acs_user_id: spaceUser.acs_user_id,
      }),
      400,
      'invalid_input',
      /another access system/,
    )
    await expectApiError(
      seam.acs.encoders.scanToAssignCredential({ acs_encoder_id: site.encoderId }),
      400,
      'invalid_input',
    )
    await expectApiError(
      seam.acs.encoders.scanToAssignCredential({
        acs_encoder_id: unknownId,
        acs_user_id: resident.acs_user_id,
      }),
      404,
      'acs_encoder_not_found',
    )
    await expectApiError(
      seam.accessMethods.assignCard({ access_method_id: unknownId, card_number: '1' }),
      404,
      'access_method_not_found',
    )
  })
})
