import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import {
  backOffice,
  expectApiError,
  frontDesk,
  hotel,
  newSaltoPin,
  scanCard,
  since,
  unknownId,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

const stay = { starts_at: '2030-05-01T15:00:00.000Z', ends_at: '2030-05-04T11:00:00.000Z' }

const entranceId = async (seam: SeamHttp, name: string): Promise<string> => {
  const entrance = (await seam.acs.entrances.list({ acs_system_id: hotel, search: name })).find(
    (e) => e.display_name === name,
  )
  assert.ok(entrance, name)
  return entrance.acs_entrance_id
}

forEachDatabase('Visionline override and joiner cards', (kind) => {
  const server = useServer(kind)

  const card = async (
    name: string,
    rooms: string[],
    visionline: {
      override?: boolean
      is_override_key?: boolean
      joiner_acs_credential_ids?: string[]
    } = {},
  ) => {
    const seam = server.current.seam()
    const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: name })
    return seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: rooms,
      ...stay,
      visionline_metadata: visionline,
    })
  }

  const isValid = async (acsCredentialId: string) => {
    const credential = await server.current.seam().acs.credentials.get({
      acs_credential_id: acsCredentialId,
    })
    assertResource('acs_credential', credential)
    return credential.visionline_metadata?.is_valid
  }

  const invalidations = async (acsCredentialId: string) =>
    (
      await server.current.seam().events.list({
        since,
        acs_credential_id: acsCredentialId,
        event_type: 'acs_credential.invalidated',
      })
    ).length

  test('an override card stops the earlier cards of its guest room; its joiners and other rooms keep working', async () => {
    const seam = server.current.seam()
    const room110 = await entranceId(seam, 'Room 110')
    const room111 = await entranceId(seam, 'Room 111')
    const lobby = await entranceId(seam, 'Lobby')

    const previous = await card('Previous Guest', [room110, lobby])
    const neighbour = await card('Neighbour', [room111, lobby])
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: previous.acs_credential_id,
    })
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: neighbour.acs_credential_id,
    })
    assert.equal(await isValid(previous.acs_credential_id), true)

    // is_override_key is the deprecated name of override.
    const next = await card('Next Guest', [room110], { is_override_key: true })
    const companion = await card('Companion', [room110, lobby], {
      joiner_acs_credential_ids: [next.acs_credential_id, next.acs_credential_id],
    })
    assert.deepEqual(companion.visionline_metadata?.joiner_acs_credential_ids, [
      next.acs_credential_id,
    ])
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: next.acs_credential_id,
    })
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: companion.acs_credential_id,
    })

    assert.equal(await isValid(previous.acs_credential_id), false, 'overridden')
    assert.equal(await invalidations(previous.acs_credential_id), 1)
    for (const kept of [next, companion, neighbour]) {
      assert.equal(await isValid(kept.acs_credential_id), true, kept.acs_credential_id)
      assert.equal(await invalidations(kept.acs_credential_id), 0)
    }
    const withAccess = await seam.acs.entrances.listCredentialsWithAccess({
      acs_entrance_id: room110,
      include_if: ['visionline_metadata.is_valid'],
    })
    assert.deepEqual(
      withAccess.map((c) => c.acs_credential_id).sort(),
      [next.acs_credential_id, companion.acs_credential_id].sort(),
    )

    // The previous guest's card still lies on the Front Desk: the system says it is overridden.
    const scan = await scanCard(seam, frontDesk)
    assert.equal(scan.acs_credential_on_seam?.acs_credential_id, previous.acs_credential_id)
    assert.equal(scan.acs_credential_on_encoder?.visionline_metadata?.overridden, true)

    // Encoding that credential again makes a working card of it.
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: previous.acs_credential_id,
    })
    assert.equal(await isValid(previous.acs_credential_id), true)
    const rescan = await scanCard(seam, frontDesk)
    assert.equal(rescan.acs_credential_on_encoder?.visionline_metadata?.overridden, false)

    // The next stay in Room 111 overrides the neighbour's card, and only that.
    const later = await card('Later Guest', [room111], { override: true })
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: backOffice,
      acs_credential_id: later.acs_credential_id,
    })
    assert.equal(await isValid(neighbour.acs_credential_id), false)
    assert.equal(await isValid(previous.acs_credential_id), true)
  })

  test('joiner_acs_credential_ids must name cards of the same access system', async () => {
    const seam = server.current.seam()
    const room112 = await entranceId(seam, 'Room 112')
    const pin = await newSaltoPin(seam, 'Resident')
    await expectApiError(
      card('Joins a PIN', [room112], { joiner_acs_credential_ids: [pin.acs_credential_id] }),
      400,
      'invalid_input',
      /not a card of this access system/,
    )
    await expectApiError(
      card('Joins nothing', [room112], { joiner_acs_credential_ids: [unknownId] }),
      404,
      'acs_credential_not_found',
    )
  })
})
