import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type SeamHttp, SeamHttpInvalidInputError } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { expectApiError, frontDesk, hotel, scanCard, since, unknownId } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

const room = (n: number) => `Room ${n}`

/** Entrance ids by display name, for both sandbox systems. */
const entranceIds = async (seam: SeamHttp): Promise<Map<string, string>> => {
  const entrances = await seam.acs.entrances.list({})
  return new Map(entrances.map((e) => [e.display_name, e.acs_entrance_id]))
}

const idOf = (ids: Map<string, string>, name: string): string => {
  const id = ids.get(name)
  assert.ok(id, `no entrance ${name}`)
  return id
}

const eventTypes = async (
  seam: SeamHttp,
  filter: { access_grant_id?: string; access_method_id?: string },
) => (await seam.events.list({ since, ...filter })).map((e) => e.event_type).reverse()

forEachDatabase('Access Grants', (kind) => {
  const server = useServer(kind)

  test('an inline user identity, a space and a card: the grant resolves the space to entrances', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const suite = await seam.spaces.create({
      name: 'Suite 105',
      space_key: 'suite-105',
      acs_entrance_ids: [idOf(ids, room(105)), idOf(ids, 'Lobby')],
    })
    assert.equal(suite.acs_entrance_count, 2)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Ana Lima', email_address: 'ana@example.com' },
      space_ids: [suite.space_id],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2026-03-01T15:00:00.000Z',
      ends_at: '2026-03-04T11:00:00.000Z',
    })
    assert.deepEqual(grant.space_ids, [suite.space_id])
    const identity = await seam.userIdentities.get({ user_identity_id: grant.user_identity_id })
    assert.equal(identity.full_name, 'Ana Lima')
    assert.equal(identity.acs_user_ids.length, 1)
    const [acsUserId] = identity.acs_user_ids
    assert.ok(acsUserId)
    const acsUser = await seam.acs.users.get({ acs_user_id: acsUserId })
    assert.equal(acsUser.acs_system_id, hotel)
    assert.equal(acsUser.user_identity_id, identity.user_identity_id)
    assert.equal(acsUser.user_identity_email_address, 'ana@example.com')

    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    const credentials = await seam.acs.credentials.list({
      user_identity_id: identity.user_identity_id,
    })
    assert.equal(credentials.length, 1)
    const [credential] = credentials
    assert.ok(credential)
    assert.equal(credential.access_method, 'card')
    assert.equal(credential.starts_at, '2026-03-01T15:00:00.000Z')
    assert.equal(credential.ends_at, '2026-03-04T11:00:00.000Z')
    assert.deepEqual(credential.visionline_metadata?.guest_acs_entrance_ids, [idOf(ids, room(105))])
    assert.deepEqual(credential.visionline_metadata?.common_acs_entrance_ids, [idOf(ids, 'Lobby')])

    const room105 = await seam.acs.entrances.get({ acs_entrance_id: idOf(ids, room(105)) })
    assert.deepEqual(room105.space_ids, [suite.space_id])
    const inSpace = await seam.acs.entrances.list({ space_id: suite.space_id })
    assert.equal(inSpace.length, 2)
    const byEntrance = await seam.accessGrants.list({ acs_entrance_id: idOf(ids, 'Lobby') })
    assert.ok(byEntrance.some((g) => g.access_grant_id === grant.access_grant_id))
    const bySpace = await seam.accessMethods.list({ space_id: suite.space_id })
    assert.deepEqual(
      bySpace.map((m) => m.access_method_id),
      [methodId],
    )
  })

  test('updating the times makes an encoded card need encoding again; encoding reissues it', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const identity = await seam.userIdentities.create({ full_name: 'Bo Chen' })
    const grant = await seam.accessGrants.create({
      user_identity_id: identity.user_identity_id,
      acs_entrance_ids: [idOf(ids, room(106))],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2026-04-01T15:00:00.000Z',
      ends_at: '2026-04-03T11:00:00.000Z',
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    await seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: frontDesk })
    const issued = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(issued.is_issued, true)
    assert.equal(issued.is_encoding_required, false)

    await seam.accessGrants.update({
      access_grant_id: grant.access_grant_id,
      ends_at: '2026-04-05T11:00:00.000Z',
    })
    const changed = await seam.accessGrants.get({ access_grant_id: grant.access_grant_id })
    assert.equal(changed.ends_at, '2026-04-05T11:00:00.000Z')
    const stale = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(stale.is_encoding_required, true)
    assert.equal(stale.is_ready_for_encoding, true)
    assert.equal(stale.is_issued, true)

    // The card on the encoder still carries the old stay.
    const scan = await scanCard(seam, frontDesk)
    assert.equal(
      scan.warnings[0]?.warning_message,
      'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at',
    )

    const reencoded = await seam.accessMethods.encode({
      access_method_id: methodId,
      acs_encoder_id: frontDesk,
    })
    assert.equal(reencoded.status, 'success')
    const fresh = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(fresh.is_encoding_required, false)

    assert.deepEqual(await eventTypes(seam, { access_method_id: methodId }), [
      'access_method.created',
      'access_method.card_encoding_required',
      'access_method.issued',
      'access_method.card_encoding_required',
      'access_method.reissued',
    ])
    const grantEvents = await eventTypes(seam, { access_grant_id: grant.access_grant_id })
    assert.ok(grantEvents.includes('access_grant.access_times_changed'))
  })

  test('a space gaining and losing an entrance changes the card and the doors the grant opens', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const space = await seam.spaces.create({
      name: 'Room 107 stay',
      acs_entrance_ids: [idOf(ids, room(107))],
    })
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Cy Diaz' },
      space_ids: [space.space_id],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2026-05-01T15:00:00.000Z',
      ends_at: '2026-05-02T11:00:00.000Z',
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    await seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: frontDesk })

    await seam.spaces.addAcsEntrances({
      space_id: space.space_id,
      acs_entrance_ids: [idOf(ids, 'Pool')],
    })
    const [credential] = await seam.acs.credentials.list({
      user_identity_id: grant.user_identity_id,
    })
    assert.ok(credential)
    assert.deepEqual(credential.visionline_metadata?.common_acs_entrance_ids, [idOf(ids, 'Pool')])
    assert.deepEqual(
      credential.warnings.map((w) => w.warning_code),
      ['needs_to_be_reissued'],
    )
    assert.equal(
      (await seam.accessMethods.get({ access_method_id: methodId })).is_encoding_required,
      true,
    )

    await seam.spaces.removeAcsEntrances({
      space_id: space.space_id,
      acs_entrance_ids: [idOf(ids, 'Pool')],
    })
    const grantEvents = await eventTypes(seam, { access_grant_id: grant.access_grant_id })
    assert.ok(grantEvents.includes('access_grant.access_to_door_lost'))
    assert.equal(grantEvents.filter((t) => t === 'access_grant.access_granted_to_door').length, 2)
    const accessible = await seam.userIdentities.listAccessibleEntrances({
      user_identity_id: grant.user_identity_id,
    })
    assert.deepEqual(
      accessible.map((e) => e.display_name),
      [room(107)],
    )
  })

  test('deleting a grant revokes its access methods and deletes the credentials behind them', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Dee Evans' },
      acs_entrance_ids: [idOf(ids, room(108))],
      requested_access_methods: [{ mode: 'card' }],
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    await seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: frontDesk })
    const [credential] = await seam.acs.credentials.list({
      user_identity_id: grant.user_identity_id,
    })
    assert.ok(credential)
    // The grant's credential is the grant's to remove.
    await expectApiError(
      seam.acs.credentials.delete({ acs_credential_id: credential.acs_credential_id }),
      400,
      'invalid_input',
      /access method/,
    )

    await seam.accessGrants.delete({ access_grant_id: grant.access_grant_id })
    await expectApiError(
      seam.accessGrants.get({ access_grant_id: grant.access_grant_id }),
      404,
      'access_grant_not_found',
    )
    await expectApiError(
      seam.accessMethods.get({ access_method_id: methodId }),
      404,
      'access_method_not_found',
    )
    await expectApiError(
      seam.acs.credentials.get({ acs_credential_id: credential.acs_credential_id }),
      404,
      'acs_credential_not_found',
    )
    // A deleted access method cannot be encoded.
    await expectApiError(
      seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: frontDesk }),
      404,
      'access_method_not_found',
    )
    const types = await eventTypes(seam, { access_method_id: methodId })
    assert.deepEqual(types.slice(-2), ['access_method.revoked', 'access_method.deleted'])
    const credentialEvents = await seam.events.list({
      since,
      acs_credential_id: credential.acs_credential_id,
      event_type: 'acs_credential.deleted',
    })
    assert.equal(credentialEvents.length, 1)
    assert.ok(
      (await eventTypes(seam, { access_grant_id: grant.access_grant_id })).includes(
        'access_grant.deleted',
      ),
    )
  })

  test('a deleted access method stays revoked when its grant changes; requesting the mode again makes a new one', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Rae Voke' },
      acs_entrance_ids: [idOf(ids, room(109))],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: '2026-06-01T15:00:00.000Z',
      ends_at: '2026-06-03T11:00:00.000Z',
    })
    const [revokedId] = grant.access_method_ids
    assert.ok(revokedId)
    await seam.accessMethods.delete({ access_method_id: revokedId })

    // New times re-apply the grant's rule: the revoked card is not made again.
    await seam.accessGrants.update({
      access_grant_id: grant.access_grant_id,
      ends_at: '2026-06-04T11:00:00.000Z',
    })
    const changed = await seam.accessGrants.get({ access_grant_id: grant.access_grant_id })
    assertResource('access_grant', changed)
    assert.deepEqual(changed.access_method_ids, [])
    assert.deepEqual(await seam.accessMethods.list({ access_grant_id: grant.access_grant_id }), [])
    assert.deepEqual(
      await seam.acs.credentials.list({ user_identity_id: grant.user_identity_id }),
      [],
    )
    const [request] = changed.requested_access_methods
    assert.deepEqual(request?.created_access_method_ids, [revokedId])
    assert.equal(Object.hasOwn(request ?? {}, 'revoked_acs_system_ids'), false)

    // Asking for a card again is a new request, served at once.
    const again = await seam.accessGrants.requestAccessMethods({
      access_grant_id: grant.access_grant_id,
      requested_access_methods: [{ mode: 'card' }],
    })
    assert.equal(again.access_method_ids.length, 1)
    assert.notEqual(again.access_method_ids[0], revokedId)
    const [credential] = await seam.acs.credentials.list({
      user_identity_id: grant.user_identity_id,
    })
    assert.equal(credential?.ends_at, '2026-06-04T11:00:00.000Z')
  })

  test("access_method events name the grant's access_grant_key", async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Keyed Guest' },
      acs_entrance_ids: [idOf(ids, room(118))],
      requested_access_methods: [{ mode: 'card' }],
      access_grant_key: 'pms-booking-118',
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    const [created] = await seam.events.list({
      since,
      access_method_id: methodId,
      event_type: 'access_method.created',
    })
    assert.ok(created && created.event_type === 'access_method.created')
    assertResource('event', created)
    assert.deepEqual(created.access_grant_keys, ['pms-booking-118'])
    assert.deepEqual(created.access_grant_ids, [grant.access_grant_id])
  })

  test('encode_credential also takes the access method, answering with the credential', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Kai Lund' },
      acs_entrance_ids: [idOf(ids, room(113))],
      requested_access_methods: [{ mode: 'card' }],
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    const attempt = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      access_method_id: methodId,
    })
    if (attempt.action_type !== 'ENCODE_CREDENTIAL' || attempt.status !== 'success') {
      assert.fail(`unexpected attempt ${JSON.stringify(attempt)}`)
    }
    assert.equal(attempt.result.user_identity_id, grant.user_identity_id)
    assert.equal(attempt.result.is_issued, true)
    const method = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(method.is_issued, true)
    assert.equal(method.is_encoding_required, false)
    // A credential id that is not the access method's is refused.
    const other = await seam.accessGrants.create({
      user_identity: { full_name: 'Lea Moss' },
      acs_entrance_ids: [idOf(ids, room(114))],
      requested_access_methods: [{ mode: 'card' }],
    })
    const [otherCredential] = await seam.acs.credentials.list({
      user_identity_id: other.user_identity_id,
    })
    assert.ok(otherCredential)
    await expectApiError(
      seam.acs.encoders.encodeCredential({
        acs_encoder_id: frontDesk,
        access_method_id: methodId,
        acs_credential_id: otherCredential.acs_credential_id,
      }),
      400,
      'invalid_input',
    )
  })

  test('PIN codes are issued at once where the access system supports codes (Salto KS)', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Eve Fox' },
      acs_entrance_ids: [idOf(ids, 'Main Entrance'), idOf(ids, 'Apartment 1A')],
      requested_access_methods: [{ mode: 'code' }],
      starts_at: '2026-06-01T15:00:00.000Z',
      ends_at: '2026-06-30T11:00:00.000Z',
    })
    const [methodId] = grant.access_method_ids
    assert.ok(methodId)
    const method = await seam.accessMethods.get({ access_method_id: methodId })
    assert.equal(method.mode, 'code')
    assert.equal(method.display_name, 'PIN Code')
    assert.equal(method.is_issued, true)
    assert.match(method.code ?? '', /^\d{6}$/)
    const issued = await seam.events.list({
      since,
      access_method_id: methodId,
      event_type: 'access_method.issued',
    })
    assert.equal(issued.length, 1)
    const [event] = issued
    assert.ok(event && event.event_type === 'access_method.issued')
    assert.equal(event.code, method.code)
    // The credential behind it was issued at once too.
    const [credential] = await seam.acs.credentials.list({
      user_identity_id: grant.user_identity_id,
    })
    assert.ok(credential?.is_issued)
    const credentialIssued = await seam.events.list({
      since,
      acs_credential_id: credential.acs_credential_id,
      event_type: 'acs_credential.issued',
    })
    assert.equal(credentialIssued.length, 1)
    // A code cannot be encoded onto a card.
    await expectApiError(
      seam.accessMethods.encode({ access_method_id: methodId, acs_encoder_id: frontDesk }),
      400,
      'invalid_input',
    )
    // Salto KS makes up its own PIN codes: a requested value is refused, not replaced.
    await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Eve Fox' },
        acs_entrance_ids: [idOf(ids, 'Main Entrance')],
        requested_access_methods: [{ mode: 'code', code: '1234' }],
      }),
      400,
      'invalid_input',
      /makes up its own PIN codes/,
    )
  })

  test('modes an access system cannot serve are reported, not dropped', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    // PIN codes open the Salto KS door but not the hotel room; mobile keys open neither.
    const grant = await seam.accessGrants.create({
      user_identity: { full_name: 'Fay Gil' },
      acs_entrance_ids: [idOf(ids, room(109)), idOf(ids, 'Rooftop')],
      requested_access_methods: [{ mode: 'code' }, { mode: 'mobile_key' }],
    })
    assert.equal(grant.access_method_ids.length, 1)
    assert.deepEqual(
      grant.warnings.map((w) => w.warning_code),
      ['underprovisioned_access'],
    )
    assert.match(grant.warnings[0]?.message ?? '', /Room 109 cannot be opened with a PIN Code/)
    assert.deepEqual(
      grant.errors.map((e) => e.error_code),
      ['cannot_create_requested_access_methods'],
    )
    const [event] = await seam.events.list({
      since,
      access_grant_id: grant.access_grant_id,
      event_type: 'access_grant.could_not_create_requested_access_methods',
    })
    assert.ok(
      event && event.event_type === 'access_grant.could_not_create_requested_access_methods',
    )
    assert.match(event.error_message, /Mobile Key/)

    // Cards are served by both systems: one access method in each.
    const more = await seam.accessGrants.requestAccessMethods({
      access_grant_id: grant.access_grant_id,
      requested_access_methods: [{ mode: 'card' }],
    })
    assert.equal(more.access_method_ids.length, 3)
    assert.equal(more.requested_access_methods.length, 3)
    const cards = (
      await seam.accessMethods.list({ access_grant_id: grant.access_grant_id })
    ).filter((m) => m.mode === 'card')
    // The hotel card waits for its encoder; the Salto KS card waits for a registered
    // tag to be assigned to it (/access_methods/assign_card).
    assert.deepEqual(
      cards.map((m) => [m.is_encoding_required, m.is_assignment_required, m.is_issued]).sort(),
      [
        [false, true, false],
        [true, false, false],
      ],
    )
  })

  test('bad input is refused with a clear error and nothing is half-created', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const before = (await seam.userIdentities.list({})).length
    await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Nobody' },
        acs_entrance_ids: [idOf(ids, room(110)), unknownId],
        requested_access_methods: [{ mode: 'card' }],
      }),
      404,
      'acs_entrance_not_found',
    )
    await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Nobody' },
        space_ids: [unknownId],
        requested_access_methods: [{ mode: 'card' }],
      }),
      404,
      'space_not_found',
    )
    await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Nobody' },
        acs_entrance_ids: [idOf(ids, room(110))],
        requested_access_methods: [{ mode: 'card' }],
        starts_at: '2026-07-05T00:00:00.000Z',
        ends_at: '2026-07-01T00:00:00.000Z',
      }),
      400,
      'invalid_input',
      /ends_at/,
    )
    await expectApiError(
      seam.accessGrants.create({
        user_identity_id: unknownId,
        acs_entrance_ids: [idOf(ids, room(110))],
        requested_access_methods: [{ mode: 'card' }],
      }),
      404,
      'user_identity_not_found',
    )
    const invalid = await expectApiError(
      seam.accessGrants.create({
        user_identity: { full_name: 'Nobody' },
        acs_entrance_ids: [idOf(ids, room(110))],
        requested_access_methods: [{ mode: 'teleport' as 'card' }],
      }),
      400,
      'invalid_input',
    )
    assert.ok(invalid instanceof SeamHttpInvalidInputError)
    assert.equal((await seam.userIdentities.list({})).length, before)
    assert.equal(
      (await seam.accessGrants.list({ acs_entrance_id: idOf(ids, room(110)) })).length,
      0,
    )
  })

  describe('another workspace', () => {
    test("cannot see or use this workspace's grants, spaces, identities or access methods", async () => {
      const mine = server.current.seam()
      const ids = await entranceIds(mine)
      const grant = await mine.accessGrants.create({
        user_identity: { full_name: 'Gus Hall' },
        acs_entrance_ids: [idOf(ids, room(111))],
        requested_access_methods: [{ mode: 'card' }],
      })
      const space = await mine.spaces.create({
        name: 'Private',
        acs_entrance_ids: [idOf(ids, room(112))],
      })
      const [methodId] = grant.access_method_ids
      assert.ok(methodId)
      const other = await server.current.createWorkspace('Other Hotel', { sandbox: true })
      const theirs = server.current.seam({ apiKey: other.apiKey })
      await expectApiError(
        theirs.accessGrants.get({ access_grant_id: grant.access_grant_id }),
        404,
        'access_grant_not_found',
      )
      await expectApiError(
        theirs.accessMethods.get({ access_method_id: methodId }),
        404,
        'access_method_not_found',
      )
      await expectApiError(
        theirs.userIdentities.get({ user_identity_id: grant.user_identity_id }),
        404,
        'user_identity_not_found',
      )
      await expectApiError(theirs.spaces.get({ space_id: space.space_id }), 404, 'space_not_found')
      // Their own grant cannot reach our entrances or spaces.
      await expectApiError(
        theirs.accessGrants.create({
          user_identity: { full_name: 'Intruder' },
          acs_entrance_ids: [idOf(ids, room(111))],
          requested_access_methods: [{ mode: 'card' }],
        }),
        404,
        'acs_entrance_not_found',
      )
      await expectApiError(
        theirs.accessGrants.create({
          user_identity: { full_name: 'Intruder' },
          space_ids: [space.space_id],
          requested_access_methods: [{ mode: 'card' }],
        }),
        404,
        'space_not_found',
      )
      assert.equal((await theirs.accessGrants.list({})).length, 0)
      await theirs.accessMethods.delete({ access_grant_id: unknownId }).catch(() => {})
      const seam = server.current.seam()
      const still = await seam.accessGrants.get({ access_grant_id: grant.access_grant_id })
      assert.deepEqual(still.access_method_ids, [methodId])
      assertResource('access_grant', still)
    })
  })
})
