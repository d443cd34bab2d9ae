import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { assertResource } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, room101 } from '../support/sandbox.js'
import { sandboxWorkspaceId } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Access system rows are kept in each server process (domain/catalog-cache.ts) and
 * dropped on NOTIFY from triggers on the tables behind them, whoever writes: a
 * system created by the `keysmith` command (on PGlite through the running server,
 * on PostgreSQL straight into the database) shows in the next reads, and so does a
 * change made from another connection. Taking a credential number (every card
 * credential advances the system's counter) notifies nothing. Entrances and encoders
 * are kept the same way (migration 0014); a change this process makes is seen by the
 * very next request, with no wait for its notification (db/catalog-watch.ts).
 */
forEachDatabase('access systems kept in the process', (kind) => {
  const server = useServer(kind)

  test('a system created elsewhere shows in the next list and get', async () => {
    const seam = server.current.seam()
    const before = await seam.acs.systems.list()
    await seam.acs.systems.get({ acs_system_id: hotel })
    const created = await server.current.cli([
      'systems',
      'create',
      '--workspace-id',
      sandboxWorkspaceId,
      '--name',
      'Annex Hotel',
    ])
    const id = /Access system: (\S+)/.exec(created)?.[1]
    assert.ok(id, created)
    const listed = await eventually(
      async () => {
        const systems = await seam.acs.systems.list()
        return systems.some((s) => s.acs_system_id === id) ? systems : undefined
      },
      { what: 'the new system in /acs/systems/list' },
    )
    assert.equal(listed.length, before.length + 1)
    for (const system of listed) assertResource('acs_system', system)
    const got = await seam.acs.systems.get({ acs_system_id: id })
    assertResource('acs_system', got)
    assert.equal(got.name, 'Annex Hotel')
  })

  test('an entrance put in a space is in the very next list and get, and out again', async () => {
    const seam = server.current.seam()
    const space = await seam.spaces.create({ name: 'Kept wing' })
    const inSpace = async () =>
      (await seam.acs.entrances.list({ space_id: space.space_id })).map((e) => e.acs_entrance_id)
    // Both reads load the workspace's entrances into the process first.
    assert.deepEqual(await inSpace(), [])
    assert.deepEqual((await seam.acs.entrances.get({ acs_entrance_id: room101 })).space_ids, [])
    await seam.spaces.addAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [room101] })
    assert.deepEqual(await inSpace(), [room101])
    const got = await seam.acs.entrances.get({ acs_entrance_id: room101 })
    assertResource('acs_entrance', got)
    assert.deepEqual(got.space_ids, [space.space_id])
    await seam.spaces.removeAcsEntrances({
      space_id: space.space_id,
      acs_entrance_ids: [room101],
    })
    assert.deepEqual(await inSpace(), [])
    await seam.spaces.delete({ space_id: space.space_id })
  })

  test('kept entrances and encoders page and filter as the database does', async () => {
    const seam = server.current.seam()
    const all = await seam.acs.entrances.list({ acs_system_id: hotel })
    assert.ok(all.length >= 3, 'the hotel has entrances to page through')
    const paged = await seam
      .createPaginator(seam.acs.entrances.list({ acs_system_id: hotel, limit: 2 }))
      .flattenToArray()
    for (const entrance of paged) assertResource('acs_entrance', entrance)
    assert.deepEqual(
      paged.map((e) => e.acs_entrance_id),
      all.map((e) => e.acs_entrance_id),
    )
    // A filter only the database answers (text search) gives the same rows as one
    // answered in the process.
    const searched = await seam.acs.entrances.list({ acs_system_id: hotel, search: 'Room 101' })
    assert.deepEqual(
      searched.map((e) => e.acs_entrance_id),
      all.filter((e) => e.display_name.includes('Room 101')).map((e) => e.acs_entrance_id),
    )
    const some = all.slice(0, 2).map((e) => e.acs_entrance_id.toUpperCase())
    assert.deepEqual(
      (await seam.acs.entrances.list({ acs_entrance_ids: some })).map((e) => e.acs_entrance_id),
      all.slice(0, 2).map((e) => e.acs_entrance_id),
    )
    const encoders = await seam.acs.encoders.list({ acs_system_id: hotel })
    assert.ok(encoders.some((e) => e.acs_encoder_id === frontDesk))
    for (const encoder of encoders) assertResource('acs_encoder', encoder)
    assert.deepEqual(
      (await seam.acs.encoders.list({ acs_encoder_ids: [frontDesk.toUpperCase()] })).map(
        (e) => e.acs_encoder_id,
      ),
      [frontDesk],
    )
    assertResource('acs_encoder', await seam.acs.encoders.get({ acs_encoder_id: frontDesk }))
  })

  if (kind.name === 'postgres') {
    test('a change from another connection shows; the id counter notifies nothing', async () => {
      const seam = server.current.seam()
      assert.equal(
        (await seam.acs.systems.get({ acs_system_id: hotel })).name,
        'Sandbox Visionline Hotel',
      )
      const url = server.current.env.DATABASE_URL
      assert.ok(url)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const heard: string[] = []
        client.on('notification', (n) => heard.push(n.payload ?? ''))
        await client.query('listen keysmith_catalog')
        await client.query(
          'update acs_systems set last_external_number = last_external_number + 1 where acs_system_id = $1',
          [hotel],
        )
        await client.query("select pg_notify('keysmith_catalog', 'marker')")
        await eventually(async () => (heard.includes('marker') ? true : undefined), {
          what: 'the marker notification',
        })
        assert.deepEqual(heard, ['marker'], 'the counter update sent no notification')

        await client.query('update acs_systems set name = $1 where acs_system_id = $2', [
          'Renamed Hotel',
          hotel,
        ])
        await eventually(
          async () =>
            (await seam.acs.systems.get({ acs_system_id: hotel })).name === 'Renamed Hotel'
              ? true
              : undefined,
          { what: 'the renamed system' },
        )
        const listed = await seam.acs.systems.list()
        assert.equal(listed.find((s) => s.acs_system_id === hotel)?.name, 'Renamed Hotel')

        // Encoders: the card lying on one notifies nothing; a rename shows.
        heard.length = 0
        await client.query(
          'update acs_encoders set acs_card_id = null, sandbox_state = $1 where acs_encoder_id = $2',
          ['{}', frontDesk],
        )
        await client.query("select pg_notify('keysmith_catalog', 'marker')")
        await eventually(async () => (heard.includes('marker') ? true : undefined), {
          what: 'the second marker notification',
        })
        assert.deepEqual(heard, ['marker'], 'the card column sent no notification')
        const encoderName = (await seam.acs.encoders.get({ acs_encoder_id: frontDesk }))
          .display_name
        await client.query('update acs_encoders set display_name = $1 where acs_encoder_id = $2', [
          'Renamed Encoder',
          frontDesk,
        ])
        await eventually(
          async () => {
            const listed = await seam.acs.encoders.list({ acs_system_id: hotel })
            return listed.find((e) => e.acs_encoder_id === frontDesk)?.display_name ===
              'Renamed Encoder'
              ? true
              : undefined
          },
          { what: 'the renamed encoder' },
        )
        await client.query('update acs_encoders set display_name = $1 where acs_encoder_id = $2', [
          encoderName,
          frontDesk,
        ])
      } finally {
        await client.query('update acs_systems set name = $1 where acs_system_id = $2', [
          'Sandbox Visionline Hotel',
          hotel,
        ])
        await client.end()
      }
    })
  }
})
