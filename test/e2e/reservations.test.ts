import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { backOffice, expectApiError, frontDesk, hotel, since } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

const entranceIds = async (seam: SeamHttp): Promise<Map<string, string>> =>
  new Map((await seam.acs.entrances.list({})).map((e) => [e.display_name, e.acs_entrance_id]))

const idOf = (ids: Map<string, string>, name: string): string => {
  const id = ids.get(name)
  assert.ok(id, name)
  return id
}

const stay1 = { starts_at: '2030-05-10T15:00:00.000Z', ends_at: '2030-05-14T11:00:00.000Z' }
const stay2 = { starts_at: '2030-05-14T15:00:00.000Z', ends_at: '2030-05-16T11:00:00.000Z' }

forEachDatabase('reservation Access Grants', (kind) => {
  const server = useServer(kind)

  /** The card credential behind a grant's (only) card access method. */
  const cardOf = async (seam: SeamHttp, accessGrantId: string) => {
    const [method] = await seam.accessMethods.list({ access_grant_id: accessGrantId })
    assert.ok(method && method.mode === 'card')
    const [credential] = await seam.acs.credentials.list({
      user_identity_id: (await seam.accessGrants.get({ access_grant_id: accessGrantId }))
        .user_identity_id,
    })
    assert.ok(credential)
    return { method, credential }
  }

  const isValid = async (seam: SeamHttp, acsCredentialId: string) =>
    (await seam.acs.credentials.get({ acs_credential_id: acsCredentialId })).visionline_metadata
      ?.is_valid

  test('guest rooms can belong to a reservation; common areas and Salto KS doors cannot', async () => {
    const seam = server.current.seam()
    const entrances = await seam.acs.entrances.list({})
    for (const entrance of entrances) assertResource('acs_entrance', entrance)
    const capable = (name: string) =>
      entrances.find((e) => e.display_name === name)?.can_belong_to_reservation
    assert.equal(capable('Room 101'), true)
    assert.equal(capable('Lobby'), false)
    assert.equal(capable('Elevator'), false)
    assert.equal(capable('Apartment 1A'), false)
  })

  test('a new reservation overrides the last stay; guests of one reservation join it', async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const room = idOf(ids, 'Room 115')
    const lobby = idOf(ids, 'Lobby')
    const grant = (name: string, reservation: string, times: typeof stay1) =>
      seam.accessGrants.create({
        user_identity: { full_name: name },
        acs_entrance_ids: [room, lobby],
        requested_access_methods: [{ mode: 'card' }],
        reservation_key: reservation,
        ...times,
      })

    const first = await grant('First Stay', 'res-115-a', stay1)
    assert.equal(first.reservation_key, 'res-115-a')
    const firstCard = await cardOf(seam, first.access_grant_id)
    await seam.accessMethods.encode({
      access_method_id: firstCard.method.access_method_id,
      acs_encoder_id: frontDesk,
    })
    assert.equal(await isValid(seam, firstCard.credential.acs_credential_id), true)

    // The next stay, under another reservation: its card overrides the first stay's.
    const next = await grant('Next Stay', 'res-115-b', stay2)
    const companion = await grant('Next Stay Companion', 'res-115-b', stay2)
    const nextCard = await cardOf(seam, next.access_grant_id)
    const companionCard = await cardOf(seam, companion.access_grant_id)
    assert.deepEqual(companionCard.credential.visionline_metadata?.joiner_acs_credential_ids, [
      nextCard.credential.acs_credential_id,
    ])
    await seam.accessMethods.encode({
      access_method_id: nextCard.method.access_method_id,
      acs_encoder_id: backOffice,
    })
    await seam.accessMethods.encode({
      access_method_id: companionCard.method.access_method_id,
      acs_encoder_id: backOffice,
    })
    assert.equal(await isValid(seam, firstCard.credential.acs_credential_id), false)
    assert.equal(await isValid(seam, nextCard.credential.acs_credential_id), true)
    assert.equal(await isValid(seam, companionCard.credential.acs_credential_id), true)
    const invalidated = await seam.events.list({
      since,
      event_type: 'acs_credential.invalidated',
      acs_system_id: hotel,
    })
    assert.deepEqual(
      invalidated.map((e) => ('acs_credential_id' in e ? e.acs_credential_id : undefined)),
      [firstCard.credential.acs_credential_id],
    )
  })

  test("the guide's rules: a capable door, a fixed door set, subsets for joiners, overlapping times", async () => {
    const seam = server.current.seam()
    const ids = await entranceIds(seam)
    const [room116, room117, lobby, pool] = ['Room 116', 'Room 117', 'Lobby', 'Pool'].map((n) =>
      idOf(ids, n),
    )
    const grant = (name: string, doors: string[], times = stay1) =>
      seam.accessGrants.create({
        user_identity: { full_name: name },
        acs_entrance_ids: doors,
        requested_access_methods: [{ mode: 'card' }],
        reservation_key: 'res-rules',
        ...times,
      })

    // Rule 1: no reservation-capable entrance.
    await expectApiError(
      grant('Pool Only', [pool ?? '', lobby ?? '']),
      400,
      'invalid_input',
      /reservation_key not supported/,
    )
    const established = await grant('Rules Guest', [room116 ?? '', lobby ?? ''])
    // Joiners may use the same doors, or fewer.
    await grant('Same Doors', [room116 ?? '', pool ?? ''])
    // Rule 2: other doors need the reservation cleared first.
    await expectApiError(
      grant('Other Room', [room117 ?? '']),
      409,
      'reservation_entrance_change_requires_cleanup',
    )
    // Rule 3: a joiner cannot add doors.
    await expectApiError(
      grant('More Rooms', [room116 ?? '', room117 ?? '']),
      409,
      'reservation_joiner_entrance_set_conflict',
    )
    // Rule 4: times must overlap, on creation and on update.
    await expectApiError(
      grant('Later Stay', [room116 ?? ''], stay2),
      409,
      'reservation_time_frames_must_overlap',
    )
    await expectApiError(
      seam.accessGrants.update({ access_grant_id: established.access_grant_id, ...stay2 }),
      409,
      'reservation_time_frames_must_overlap',
    )
    // Nothing of the refused grants was kept.
    const grants = await seam.accessGrants.list({ reservation_key: 'res-rules' })
    assert.equal(grants.length, 2)
    const identities = await seam.userIdentities.list({ search: 'Other Room' })
    assert.deepEqual(identities, [])
    assert.equal(
      (await seam.accessGrants.get({ access_grant_id: established.access_grant_id })).ends_at,
      stay1.ends_at,
    )

    // Cleared, the reservation can move rooms.
    for (const { access_grant_id } of grants) await seam.accessGrants.delete({ access_grant_id })
    const moved = await grant('Moved Guest', [room117 ?? ''])
    assert.equal(moved.reservation_key, 'res-rules')
  })
})
